"""E-mail in and out: parsing, threading and intake of mail, the quarantine, attachments, composing replies and the outbox."""
