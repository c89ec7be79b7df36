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

SLA (policy "Standard", calendar "office": 09:00-18:00 UTC, Monday to Friday): the business
minutes and how the first response and the resolution ended, as the kernel would have stored
them on the ticket (#1001 has no business minutes: no calendar applied, the wall clock counts),
and the targets that ended:

========  ===========================  =============================================
ticket    business minutes             targets ended (outcome, when)
========  ===========================  =============================================
#1002     first response 60 (Fri        first response breached Mon 11-09 (after the
          17-18, Mon from 09:00)        week); breaching nothing now (no due time)
#1003     first response 30,            first response met Tue, next response met Thu,
          resolution 1080 (Tue 10-18,   resolution breached Thu
          Wed 9 h, Thu 09-10)
#1001     -                             first response met Mon, resolution met Mon
#1004     -                             due Wed 12:00, still running: breaching now
#1005     -                             first response breached Wed (merged: left out)
#1007     resolution 1800 (Thu 12-18,   first response met Thu 10-29 (before the
          Fri, Mon, Tue 09-15: 30 h)    week), resolution breached Tue
========  ===========================  =============================================

CSAT: #1001 rated 5, #1007 rated 2 (both solved in the week; #1003 not rated).
"""

from __future__ import annotations

from datetime import UTC, datetime

from deskterm.db.engine import Store
from deskterm.db.models import (
    Agent,
    Article,
    ArticleTicket,
    BusinessCalendar,
    Customer,
    Group,
    Message,
    Organization,
    SatisfactionRating,
    SlaOutcome,
    SlaPolicy,
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

        office = BusinessCalendar(name="office", timezone="UTC", hours={
            day: [["09:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")})
        session.add(office)
        session.flush()
        standard = SlaPolicy(name="Standard", calendar_id=office.id, first_response_minutes=240,
                             next_response_minutes=240, resolution_minutes=960)
        session.add(standard)
        session.flush()

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
        def business(number, **minutes):
            row = session.get(Ticket, number)
            for name, value in minutes.items():
                setattr(row, f"{name}_business_minutes", value)
            session.add(row)

        business(1002, first_response=60)
        business(1003, first_response=30, resolution=1080)
        business(1007, resolution=1800)
        for number, due in ((1004, at(11, 4, 12)), (1006, datetime(2099, 1, 1, tzinfo=UTC))):
            row = session.get(Ticket, number)
            row.sla_policy_id, row.sla_due_at = standard.id, due
            session.add(row)

        def ended(number, target, outcome, when):
            row = session.get(Ticket, number)  # as the SLA kernel keeps it on the ticket
            if target != "next_response":
                setattr(row, f"{target}_sla_met", outcome == "met")
                session.add(row)
            session.add(SlaOutcome(ticket_id=number, policy_id=standard.id,
                                   policy_name="Standard", target=target, outcome=outcome,
                                   started_at=when, due_at=when,
                                   met_at=when if outcome == "met" else None, ended_at=when))

        ended(1001, "first_response", "met", at(11, 2, 10))
        ended(1001, "resolution", "met", at(11, 2, 12))
        ended(1002, "first_response", "breached", at(11, 9, 9))
        ended(1003, "first_response", "met", at(11, 3, 10, 30))
        ended(1003, "next_response", "met", at(11, 5, 9, 30))
        ended(1003, "resolution", "breached", at(11, 5, 10))
        ended(1005, "first_response", "breached", at(11, 4, 9, 30))
        ended(1007, "first_response", "met", at(10, 29, 13))
        ended(1007, "resolution", "breached", at(11, 3, 15))
        session.add_all([
            SatisfactionRating(ticket_id=1001, customer_id=customer.id, score=5,
                               rated_at=at(11, 2, 14)),
            SatisfactionRating(ticket_id=1007, customer_id=customer.id, score=2,
                               rated_at=at(11, 10, 9))])
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
