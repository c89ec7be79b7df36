"""A small fixed desk for the reports' tests, every time written down, so each number a report
gives can be counted by hand (see tests/unit/test_reports.py for the counts).

The week reported on is Monday 2026-11-02 to Sunday 2026-11-08 (UTC).

========  ===============  =======  =====  ======================================================
ticket    created          group    who    what happened
========  ===============  =======  =====  ======================================================
#1001     Mon 11-02 09:00  billing  ada    replied Mon 10:00 (15 min), solved Mon 12:00; vpn
#1002     Fri 11-06 17:00  network  bert   high, phone; replied Mon 11-09 09:00 (across the
                                           weekend: 64 h), open; vpn
#1003     Tue 11-03 10:00  billing  ada    replied Tue 10:30 (10 min), solved Tue 11:00,
                                           reopened, replied Thu 09:30 (20 min), solved Thu
                                           11-05 10:00; printer
#1004     Wed 11-04 08:00  -        -      new, never answered
#1005     Wed 11-04 09:00  billing  -      merged into #1001 Wed 09:30 (closed)
#1006     Fri 10-30 12:00  network  bert   open, never answered; bert's note Wed (5 min)
#1007     Thu 10-29 12:00  network  bert   replied Thu 13:00, solved Tue 11-03 15:00; vpn
========  ===============  =======  =====  ======================================================

Article ``vpn-reset`` was used on #1001 (Mon) and #1002 (Fri).
"""

from __future__ import annotations

from datetime import UTC, datetime

from deskterm.db.engine import Store
from deskterm.db.models import (
    Agent,
    Article,
    ArticleTicket,
    Customer,
    Group,
    Message,
    Organization,
    Tag,
    Ticket,
    TicketTag,
)
from deskterm.desk import setup


def at(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def seed_report_desk(store: Store) -> None:
    def work(session) -> None:
        ada = setup.ensure_first_admin(session, username="ada")
        assert ada is not None
        bert = Agent(username="bert", display_name="Bert Jansen")
        acme = Organization(name="Acme Corp", domain="acme.test")
        billing, network = Group(name="billing"), Group(name="network")
        session.add_all([bert, acme, billing, network])
        session.flush()
        customer = Customer(name="Cy", email="cy@acme.test", organization_id=acme.id)
        vpn, printer = Tag(name="vpn"), Tag(name="printer")
        session.add_all([customer, vpn, printer])
        session.flush()

        def ticket(number, created, group, assignee, status="open", **fields):
            row = Ticket(id=number, subject=f"Ticket {number}", status=status,
                         requester_id=customer.id, group_id=group.id if group else None,
                         assignee_id=assignee, created_at=created, updated_at=created,
                         **fields)
            session.add(row)
            session.flush()
            session.add(Message(ticket_id=number, author_customer_id=customer.id,
                                body="Help", created_at=created))
            return row

        def reply(number, when, agent, minutes=None, public=True):
            session.add(Message(ticket_id=number, author_agent_id=agent, public=public,
                                body="Answer", created_at=when, minutes=minutes))

        ticket(1001, at(11, 2, 9), billing, ada.id, "solved",
               first_response_at=at(11, 2, 10), solved_at=at(11, 2, 12))
        reply(1001, at(11, 2, 10), ada.id, 15)
        ticket(1002, at(11, 6, 17), network, bert.id, "open", priority=2, channel="phone",
               first_response_at=at(11, 9, 9))
        reply(1002, at(11, 9, 9), bert.id, 30)
        ticket(1003, at(11, 3, 10), billing, ada.id, "solved", reopens=1,
               first_response_at=at(11, 3, 10, 30), solved_at=at(11, 5, 10))
        reply(1003, at(11, 3, 10, 30), ada.id, 10)
        reply(1003, at(11, 5, 9, 30), ada.id, 20)
        ticket(1004, at(11, 4, 8), None, None, "new")
        ticket(1005, at(11, 4, 9), billing, None, "closed", closed_at=at(11, 4, 9, 30),
               merged_into_id=1001)
        ticket(1006, at(10, 30, 12), network, bert.id, "open")
        reply(1006, at(11, 4, 11), bert.id, 5, public=False)
        ticket(1007, at(10, 29, 12), network, bert.id, "solved",
               first_response_at=at(10, 29, 13), solved_at=at(11, 3, 15))
        reply(1007, at(10, 29, 13), bert.id)
        session.add_all([TicketTag(ticket_id=n, tag_id=vpn.id) for n in (1001, 1002, 1007)])
        session.add(TicketTag(ticket_id=1003, tag_id=printer.id))
        article = Article(slug="vpn-reset", title="Resetting the VPN", body="Steps",
                          status="published", insert_count=3, link_count=1, views=12)
        session.add(article)
        session.flush()
        session.add_all([ArticleTicket(article_id=article.id, ticket_id=1001,
                                       linked_at=at(11, 2, 10)),
                         ArticleTicket(article_id=article.id, ticket_id=1002,
                                       linked_at=at(11, 6, 18))])

    store.write(work)
