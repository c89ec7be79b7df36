"""The tickets the link and merge pickers offer first, on both stores."""

from __future__ import annotations

from deskterm.desk.tickets.candidates import ticket_candidates

from .helpers import change, new_ticket


def _offered(store, number, agent, purpose):
    with store.read() as session:
        return [(c.ticket.number, c.why) for c in ticket_candidates(
            session, number=number, agent=agent, purpose=purpose)]


def test_the_requester_s_tickets_then_open_problems_then_the_agent_s_own(store, admin, agent):
    this = new_ticket(store, admin)
    older = new_ticket(store, admin, subject="Printer jams again")
    closed = new_ticket(store, admin, subject="Printer jammed in May")
    change(store, admin, closed.number, status="solved")
    change(store, admin, closed.number, status="closed")
    solved = new_ticket(store, admin, subject="Printer fixed")
    change(store, admin, solved.number, status="solved")
    problem = new_ticket(store, agent, requester_email="dave@acme.test", ticket_type="problem",
                         subject="Floor 3 printers jam")
    solved_problem = new_ticket(store, agent, requester_email="dave@acme.test",
                                ticket_type="problem")
    change(store, admin, solved_problem.number, status="solved")
    mine = new_ticket(store, admin, requester_email="erin@acme.test", assignee="bert")
    theirs = new_ticket(store, admin, requester_email="erin@acme.test", assignee="ada")

    link = _offered(store, this.number, "bert", "link")
    assert link == [(older.number, "same requester"), (problem.number, "open problem"),
                    (mine.number, "yours"), (solved.number, "same requester"),
                    (closed.number, "same requester")]
    merge = _offered(store, this.number, "bert", "merge")
    assert merge == [(older.number, "same requester"), (mine.number, "yours"),
                     (solved.number, "same requester")]
    assert theirs.number not in dict(_offered(store, this.number, "bert", "link"))
    assert dict(_offered(store, mine.number, "bert", "link")).get(mine.number) is None
