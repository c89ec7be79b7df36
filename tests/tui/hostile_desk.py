"""A desk whose text is hostile everywhere the console fills an editor from, and the check that
none of it reached the terminal.

The text is first written through the domain in plain words, then overwritten in the store with
the hostile text, so the desk holds what an old import, another client or a future bug could
have left there, whatever the domain checks on the way in.
"""

from __future__ import annotations

import re

from sqlmodel import select

from deskterm.db import migrate
from deskterm.db.engine import Store
from deskterm.db.models import Article, Draft, KbCategory, Macro, Message, Tag, Ticket
from deskterm.desk import setup
from deskterm.desk.kb import articles
from deskterm.desk.tickets import change
from deskterm.desk.tickets import ticket as tickets
from deskterm.desk.tickets.drafts import save_draft
from deskterm.desk.tickets.macros import add_macro

ESC = "\x1b"
SEQUENCES = {
    "osc52": f"{ESC}]52;c;SGVsbG8=\x07",                      # writes the agent's clipboard
    "osc8": f"{ESC}]8;;http://evil.example/{ESC}\\here{ESC}]8;;{ESC}\\",  # a hidden link
    "csi": f"{ESC}[2J{ESC}[6n",                               # clear; report the cursor
    "dcs": f"{ESC}P+q544e{ESC}\\",                            # query: answered as keys
    "ris": f"{ESC}c",                                         # reset the terminal
    "c1": "\u009b31m\u009d52;c;SGVsbG8=\u009c",               # 8-bit CSI and OSC 52
    "bidi": "\u202e\u2066",                                   # reverse what follows
    "bel": "\x07",
}
MARKUP = "[@click=app.quit]x[/]"
"""Rich/Textual markup: must show as these characters, never run."""
HOSTILE = " ".join(f"<{name}>{seq}</{name}>" for name, seq in SEQUENCES.items()) + " " + MARKUP
"""Every sequence between visible markers, then markup (about 300 characters)."""
SHOWN = ("<osc52></osc52> <osc8>here</osc8> <csi></csi> <dcs></dcs> <ris></ris> <c1></c1> "
         "<bidi></bidi> <bel></bel> " + MARKUP)
"""What an editor shows of :data:`HOSTILE`: the markers, the OSC 8 link's words, the markup."""
SHORT = f"N{ESC}]52;c;SGVsbG8=\x07{ESC}c\u202e{ESC}[2J"
"""For the short fields (a category, a tag): still every kind of harm that fits."""

OSC = re.compile(rb"\x1b\]([^\x07\x1b]*)")
"""An OSC sequence's start and text, terminated or not (a terminal may still act on it)."""
OSC_WHOLE = re.compile(rb"\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)")
BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"


def assert_inert(raw: bytes) -> None:
    """None of the hostile sequences is in ``raw``; Textual's own OSC sequences may be (OSC 22,
    the pointer shape; OSC 8 for its own links) but never with the desk's text."""
    for match in OSC.finditer(raw):
        body = match.group(1)
        assert not body.startswith((b"52;", b"0;", b"2;")), match.group()
    assert b"SGVsbG8" not in raw, "an OSC 52 payload"
    assert b"evil" not in raw, "an OSC 8 link"
    assert b"\x07" not in OSC_WHOLE.sub(b"", raw), "a BEL outside Textual's OSC sequences"
    assert b"\x1bP" not in raw, "a DCS sequence"
    assert b"\x1b[2J" not in raw, "a clear-screen sequence"
    assert b"\x1b[6n" not in raw, "a cursor-position query"
    assert b"\x1bc" not in raw, "a terminal reset (RIS)"
    text = raw.decode("utf-8", errors="replace")
    assert "\ufffd" not in text, "bytes that are not UTF-8 (a raw C1 byte?)"
    c1 = sorted({f"U+{ord(ch):04X}" for ch in text if "\x80" <= ch <= "\x9f"})
    assert not c1, f"C1 control characters: {c1}"
    bidi = sorted({f"U+{ord(ch):04X}" for ch in text if ch in BIDI})
    assert not bidi, f"bidi controls: {bidi}"


class HostileDesk:
    """A desk on ``url``, its admin ``username``; each method adds one hostile thing."""

    def __init__(self, url: str, username: str) -> None:
        self.url = url
        self.store = Store(url)
        migrate.upgrade(self.store)
        self.admin = self.store.write(lambda s: setup.ensure_first_admin(s, username=username))

    def close(self) -> None:
        self.store.dispose()

    def _overwrite(self, model, key, **values) -> None:
        def write(session) -> None:
            row = session.get(model, key)
            for name, value in values.items():
                setattr(row, name, value)
            session.add(row)

        self.store.write(write)

    def ticket(self, subject: str, body: str = "Since the update.") -> int:
        """A ticket assigned to the admin, its subject ``subject`` + the hostile text."""
        admin = self.admin
        made = self.store.write(lambda s: tickets.create_ticket(
            s, actor=admin, requester_email="mallory@hostile.example",
            requester_name="Mallory", subject=subject, body=body, assignee=admin.username))
        self._overwrite(Ticket, made.number, subject=f"{subject} {HOSTILE}")
        return made.number

    def solve(self, number: int, answer: str, tag: str) -> None:
        """The admin solves ``number`` with ``answer`` + the hostile text; it gets a hostile tag."""
        admin = self.admin
        self.store.write(lambda s: tickets.add_reply(s, actor=admin, number=number,
                                                     body=answer, status="solved"))
        self.store.write(lambda s: tickets.update_ticket(
            s, actor=admin, number=number, changes=change.TicketChanges(add_tags=(tag,))))

        def poison(session) -> None:
            reply = session.exec(select(Message).where(Message.ticket_id == number)
                                 .order_by(Message.id.desc())).first()
            reply.body = f"{answer} {HOSTILE}"
            session.add(reply)
            row = session.exec(select(Tag).where(Tag.name == tag)).one()
            row.name = f"{tag}{SHORT}"
            session.add(row)

        self.store.write(poison)

    def article(self, title: str, body: str) -> int:
        """A published public article whose title, body, tag and category are hostile."""
        admin = self.admin
        made = self.store.write(lambda s: articles.create_article(
            s, actor=admin, title=title, body=body, category="Network", tags=("vpn",),
            status="published", visibility="public"))

        def poison(session) -> None:
            row = session.get(Article, made.id)
            row.title = f"{title} {HOSTILE}"
            row.body = f"{body}\n\n{HOSTILE}\n"
            row.tags = [f"vpn{SHORT}"]
            session.add(row)
            category = session.get(KbCategory, row.category_id)
            category.name = f"Net{SHORT}"
            session.add(category)

        self.store.write(poison)
        return made.id

    def macro(self, name: str, body: str) -> None:
        """A macro whose body holds the hostile text (and the requester's name)."""
        admin = self.admin
        self.store.write(lambda s: add_macro(s, actor=admin, name=name, body=body))

        def poison(session) -> None:
            row = session.exec(select(Macro).where(Macro.name == name)).one()
            row.body = f"{body} {HOSTILE}"
            session.add(row)

        self.store.write(poison)

    def draft(self, number: int, body: str) -> None:
        """The admin's stored draft reply on ``number``: ``body`` + the hostile text."""
        admin = self.admin
        self.store.write(lambda s: save_draft(s, actor=admin, number=number, kind="reply",
                                              body=body))

        def poison(session) -> None:
            row = session.exec(select(Draft).where(Draft.ticket_id == number)).one()
            row.body = f"{body} {HOSTILE}"
            session.add(row)

        self.store.write(poison)

    def stored_draft(self, number: int) -> str | None:
        """The body of the draft stored on ``number`` now (read on a connection of its own)."""
        store = Store(self.url)
        try:
            with store.read() as session:
                row = session.exec(select(Draft).where(Draft.ticket_id == number)).first()
                return None if row is None else row.body
        finally:
            store.dispose()
