"""A corpus of hostile ticket and article text for the pseudo-terminal tests: escape sequences
(CSI, OSC 52 and 8, DCS, RIS), C1 controls, bidi overrides, Rich markup, a 10,000-character
word, zero-width and combining characters and wide (CJK, emoji) characters.

Tickets and articles are made through the domain in plain words, then their text is overwritten
in the store with the corpus, past the domain's own checks (lengths, cleaning on the way in):
what an old import, another client or a future bug could leave there."""

from __future__ import annotations

from sqlmodel import select

from deskterm.db import migrate
from deskterm.db.engine import Store
from deskterm.db.models import Article, Customer, Message, Ticket
from deskterm.desk import setup
from deskterm.desk.kb import articles
from deskterm.desk.tickets import ticket as tickets

ESC = "\x1b"
CORPUS = {
    "csi": f"{ESC}[2J{ESC}[31mred{ESC}[0m{ESC}[6n{ESC}[?1049l",
    "osc52": f"{ESC}]52;c;SGVsbG8=\x07",
    "osc8": f"{ESC}]8;;http://evil.example/{ESC}\\click{ESC}]8;;{ESC}\\",
    "dcs": f"{ESC}P+q544e{ESC}\\",
    "ris": f"{ESC}c",
    "c1": "\u009b31m\u009d52;c;SGVsbG8=\u009c\u0085\u0090x",
    "bidi": "\u202ereversed\u202c\u2066iso\u2069",
    "markup": "[red]x[/] [@click=app.quit]q[/] [link=http://link.example]l[/link]",
    "long": "W" * 10_000,
    "zerowidth": "zero\u200bwidth\u200d\u2060\ufeffjoin",
    "combining": "e\u0301\u0301\u0301 Z\u0336\u0335a\u0337\u0336l\u0338g\u0334o",
    "cjk": "漢字の件名です全角ＡＢＣ",
    "emoji": "😀👍🏽👨‍👩‍👧",
}
"""Each lands in a subject, a requester's name, a message body, an article's title and body."""


def seed(url: str, username: str) -> dict[str, int]:
    """A migrated desk at ``url`` holding a ticket per corpus entry (assigned to ``username``,
    the admin) and a published article per entry; returns the ticket numbers by entry."""
    store = Store(url)
    try:
        migrate.upgrade(store)
        admin = store.write(lambda s: setup.ensure_first_admin(s, username=username))
        assert admin is not None
        numbers = {}
        for index, (key, text) in enumerate(CORPUS.items()):
            made = store.write(lambda s, key=key, index=index: tickets.create_ticket(
                s, actor=admin, requester_email=f"user{index}@hostile.example",
                requester_name=f"N{key}", subject=f"S{key}", body=f"Body {key}",
                assignee=username))
            article = store.write(lambda s, key=key: articles.create_article(
                s, actor=admin, title=f"A{key}", body=f"# {key}", category="Hostile",
                tags=(key,), status="published", visibility="public"))
            numbers[key] = made.number

            def poison(session, key=key, text=text, number=made.number, article_id=article.id):
                ticket = session.get(Ticket, number)
                ticket.subject = f"S{key} {text} end"
                customer = session.get(Customer, ticket.requester_id)
                customer.name = f"N{key} {text}"
                message = session.exec(select(Message).where(Message.ticket_id == number)).one()
                message.body = f"Body {key}: {text} end"
                row = session.get(Article, article_id)
                row.title = f"A{key} {text}"
                row.body = f"# {key}\n\n{text}\n\nend {key}"
                session.add_all([ticket, customer, message, row])

            store.write(poison)
        return numbers
    finally:
        store.dispose()
