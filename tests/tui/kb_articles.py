"""Articles for the knowledge-base console tests: a small tree, a draft, and hostile text."""

from __future__ import annotations

from sqlalchemy import update

from deskterm.db.engine import Store
from deskterm.db.models import Article
from deskterm.desk.kb import articles as kb_articles
from deskterm.desk.people.auth import resolve_actor

from .desks import NOW

HOSTILE_TITLE = "Hostile [@click=app.quit]title[/] \x1b[31mred\x1b[0m"
HOSTILE_BODY = (
    "Before \x1b[31mred\x1b[0m after \x1b]52;c;SGVsbG8=\x07 done.\n\n"
    "Markup stays text: [@click=app.quit]click me[/] and [b]not bold[/b].\n\n"
    "A [bad link](javascript:alert(1)) and a [good link](https://example.com/help).\n"
)
ARTICLES = [
    ("Reset a VPN token", "Network/VPN", "published",
     "1. Open **Settings → VPN**.\n2. Press *Reset token* and sign in again.\n\n"
     "The VPN token expires after 90 days."),
    ("VPN drops every few minutes", "Network/VPN", "published",
     "When the VPN drops every few minutes, update the client to 4.2 and turn off "
     "power saving on the Wi-Fi adapter."),
    ("Printer jams on page 2", "Hardware/Printers", "published",
     "Open tray 2, remove the torn sheet and check the rollers. A printer that jams on page "
     "2 often holds the wrong paper size."),
    ("Refund a double charge", "Billing", "draft",
     "Find both charges in the payment console and refund the second one."),
    ("Guest Wi-Fi voucher", None, "published",
     "Guests get a Wi-Fi voucher at reception; it is valid for one day."),
    (HOSTILE_TITLE, "Security", "published", HOSTILE_BODY),
]


def add_articles(store: Store) -> dict[str, int]:
    """The articles above by ada, at the frozen clock's time; returns their ids by title."""

    def work(session) -> dict[str, int]:
        ada = resolve_actor(session, username="ada")
        ids = {}
        for title, category, status, body in ARTICLES:
            article = kb_articles.create_article(session, actor=ada, title=title, body=body,
                                                 category=category, status=status,
                                                 tags=("vpn",) if "VPN" in title else ())
            ids[title] = article.id
        session.exec(update(Article).values(created_at=NOW, updated_at=NOW, published_at=NOW))
        return ids

    return store.write(work)
