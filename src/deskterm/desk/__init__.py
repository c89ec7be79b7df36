"""The help desk's rules: tickets, people, identity. Plain Python over a Session; no Textual."""
