"""Escalating, merging, linking and solving problems, on both stores, and their CLI commands."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlmodel import col, select, update

from deskterm.db.models import Message
from deskterm.desk.errors import InvalidInput, NotFound, PermissionDenied, StaleTicket
from deskterm.desk.filter.language import query_tickets
from deskterm.desk.people import directory as people
from deskterm.desk.tickets import ops as ticket_ops
from deskterm.desk.tickets import ticket as tickets

from .helpers import change, detail, new_ticket


def _events(store, number: int, version: int) -> list[tuple[str, str | None, str | None]]:
    return sorted((e.field, e.old, e.new) for e in detail(store, number).events
                  if e.version == version)


def _close(store, actor, number: int) -> None:
    change(store, actor, number, status="solved")
    change(store, actor, number, status="closed")


# --- Escalate -----------------------------------------------------------------------------------


def test_escalate_steps_through_the_tiers_with_a_note_and_events(store, admin, agent):
    store.write(lambda s: people.add_group(s, name="Network"))
    ticket = new_ticket(store, admin, assignee="bert")
    up = store.write(lambda s: ticket_ops.escalate(
        s, actor=agent, number=ticket.number, reason="  VPN concentrator logs needed ",
        group="Network", unassign=True, expected_version=ticket.version))
    assert (up.tier, up.group, up.assignee) == (2, "Network", None)
    assert _events(store, ticket.number, up.version) == [
        ("assignee", "bert", None), ("group", None, "Network"), ("tier", "1", "2")]
    note = detail(store, ticket.number).messages[-1]
    assert (note.public, note.author, note.body) == (
        False, "Bert Agent", "Escalated to tier 2 (Network): VPN concentrator logs needed")
    top = store.write(lambda s: ticket_ops.escalate(s, actor=agent, number=ticket.number,
                                                    reason="Needs a code fix"))
    assert (top.tier, top.group) == (3, "Network")
    assert detail(store, ticket.number).messages[-1].body == (
        "Escalated to tier 3 (Network): Needs a code fix")
    with pytest.raises(InvalidInput, match="already at tier 3, the last"):
        store.write(lambda s: ticket_ops.escalate(s, actor=agent, number=ticket.number,
                                                  reason="more"))


def test_escalate_refusals_change_nothing(store, admin):
    ticket = new_ticket(store, admin)
    for kwargs, error, message in (
        ({"reason": "  \n"}, InvalidInput, "escalation reason: must not be empty"),
        ({"reason": "r", "group": "Nowhere"}, NotFound, "no group named 'Nowhere'"),
        ({"reason": "r", "expected_version": 7}, StaleTicket, "since you loaded it"),
    ):
        with pytest.raises(error, match=message):
            store.write(lambda s, kw=kwargs: ticket_ops.escalate(s, actor=admin,
                                                                 number=ticket.number, **kw))
    shown = detail(store, ticket.number)
    assert (shown.ticket.tier, shown.ticket.version, len(shown.messages)) == (1, 1, 1)
    _close(store, admin, ticket.number)
    with pytest.raises(PermissionDenied, match="closed is final"):
        store.write(lambda s: ticket_ops.escalate(s, actor=admin, number=ticket.number,
                                                  reason="r"))


# --- Merge --------------------------------------------------------------------------------------


def test_merge_moves_messages_in_time_order_and_closes_the_source(store, admin):
    target = new_ticket(store, admin, subject="VPN down", body="VPN is down.", tags=["vpn"])
    source = new_ticket(store, admin, subject="No VPN", body="Cannot connect to the "
                        "zyxquartz gateway.", tags=["urgent-ish"], requester_email="dan@b.test")
    # The source's first message was written before the target's: it must come first.
    store.write(lambda s: s.execute(
        update(Message).where(col(Message.ticket_id) == source.number)
        .values(created_at=target.created_at - timedelta(hours=1))))
    tickets_reply = store.write(lambda s: tickets.add_reply(
        s, actor=admin, number=source.number, body="Looking", minutes=7))
    merged = store.write(lambda s: ticket_ops.merge(s, actor=admin, source=source.number,
                                                    target=target.number))
    assert merged.number == target.number
    assert merged.tags == ("urgent-ish", "vpn")
    into = detail(store, target.number)
    bodies = [m.body for m in into.messages]
    assert bodies[:3] == ["Cannot connect to the zyxquartz gateway.", "VPN is down.", "Looking"]
    assert bodies[3] == f"Merged {source.ref} into this ticket (2 messages moved): No VPN"
    assert into.merged_from == (source.number,)
    assert into.minutes_spent == 7
    assert ("merged_from", None, source.ref) in _events(store, target.number,
                                                        into.ticket.version)
    gone = detail(store, source.number)
    assert (gone.ticket.status, gone.merged_into) == ("closed", target.number)
    assert [m.body for m in gone.messages] == [f"Merged into {target.ref}: VPN down"]
    assert gone.messages[0].public is False
    assert _events(store, source.number, gone.ticket.version) == [
        ("merged_into", None, target.ref), ("status", "open", "closed")]
    assert tickets_reply.version < gone.ticket.version


def test_a_merged_message_is_found_under_the_target(store, admin):
    target = new_ticket(store, admin, subject="Mail is slow")
    source = new_ticket(store, admin, subject="Outlook", body="zyxquartz error on send")
    chinese = new_ticket(store, admin, subject="邮件", body="邮件发送失败很多次")
    with store.read() as session:
        page = query_tickets(session, "zyxquartz", me="ada")
        assert [t.number for t in page.items] == [source.number]
    store.write(lambda s: ticket_ops.merge(s, actor=admin, source=source.number,
                                           target=target.number))
    store.write(lambda s: ticket_ops.merge(s, actor=admin, source=chinese.number,
                                           target=target.number))
    with store.read() as session:
        for term in ("zyxquartz", "发送失败"):
            page = query_tickets(session, term, me="ada")
            assert [t.number for t in page.items] == [target.number], term
        # A subject stays with its ticket.
        page = query_tickets(session, "邮件", me="ada")
        assert sorted(t.number for t in page.items) == [target.number, chinese.number]
        # The notes left on the sources name the target; their own words went with the merge.
        assert query_tickets(session, "zyxquartz status:closed", me="ada").items == ()


def test_merge_refusals(store, admin):
    first, second, third = (new_ticket(store, admin, subject=f"T{i}") for i in range(3))
    closed = new_ticket(store, admin)
    _close(store, admin, closed.number)

    def merge(source, target):
        return store.write(lambda s: ticket_ops.merge(s, actor=admin, source=source,
                                                      target=target))

    with pytest.raises(InvalidInput, match="into itself"):
        merge(first.number, first.number)
    with pytest.raises(PermissionDenied, match=f"{closed.ref} is closed.*cannot merge"):
        merge(first.number, closed.number)
    with pytest.raises(PermissionDenied, match="closed is final"):
        merge(closed.number, first.number)
    with pytest.raises(NotFound):
        merge(first.number, 99999)
    merge(second.number, first.number)
    with pytest.raises(InvalidInput, match=f"already merged into {first.ref}"):
        merge(second.number, third.number)
    with pytest.raises(InvalidInput, match=f"merge {third.ref} into {first.ref} instead"):
        merge(third.number, second.number)
    assert detail(store, third.number).ticket.version == 1


# --- Links --------------------------------------------------------------------------------------


def _link(store, actor, number, other, kind="related"):
    return store.write(lambda s: ticket_ops.link(s, actor=actor, number=number, other=other,
                                                 kind=kind))


def test_related_links_read_from_both_sides_and_unlink(store, admin):
    one, two, three = (new_ticket(store, admin, subject=f"T{i}") for i in range(3))
    links = _link(store, admin, one.number, two.number)
    assert [t.number for t in links.related] == [two.number]
    _link(store, admin, three.number, one.number)
    again = _link(store, admin, two.number, one.number)  # already so: nothing changes
    assert [t.number for t in again.related] == [one.number]
    shown = detail(store, one.number)
    assert [t.number for t in shown.links.related] == [two.number, three.number]
    assert (shown.links.problem, shown.links.incidents) == (None, ())
    assert ("link", None, f"related {two.ref}") in _events(store, one.number, 2)
    assert ("link", None, f"related {one.ref}") in _events(store, two.number, 2)
    left = store.write(lambda s: ticket_ops.unlink(s, actor=admin, number=one.number,
                                                   other=two.number))
    assert [t.number for t in left.related] == [three.number]
    assert detail(store, two.number).links.is_empty()
    with pytest.raises(NotFound, match="are not linked"):
        store.write(lambda s: ticket_ops.unlink(s, actor=admin, number=one.number,
                                                other=two.number))


def test_incidents_of_a_problem(store, admin):
    problem = new_ticket(store, admin, subject="Gateway firmware bug", ticket_type="problem")
    first, second = (new_ticket(store, admin, subject=f"VPN drops {i}") for i in range(2))
    question = new_ticket(store, admin)
    _link(store, admin, first.number, problem.number, "incident")
    links = _link(store, admin, second.number, problem.number, "incident")
    assert links.problem.number == problem.number
    shown = detail(store, problem.number).links
    assert [t.number for t in shown.incidents] == [first.number, second.number]
    assert ("link", None, f"incident of {problem.ref}") in _events(store, first.number, 2)
    assert ("link", None, f"incident {first.ref}") in _events(store, problem.number, 2)
    other_problem = new_ticket(store, admin, ticket_type="problem")
    for number, other, message in (
        (first.number, question.number, f"{question.ref} is a question, not a problem"),
        (first.number, other_problem.number, f"already an incident of {problem.ref}"),
        (other_problem.number, problem.number, "a problem cannot be an incident"),
        (first.number, first.number, "to itself"),
    ):
        with pytest.raises(InvalidInput, match=message):
            _link(store, admin, number, other, "incident")
    with pytest.raises(InvalidInput, match=r"already linked \(incident of"):
        _link(store, admin, first.number, problem.number, "related")
    with pytest.raises(InvalidInput, match="link kind 'dupe'"):
        _link(store, admin, first.number, problem.number, "dupe")
    # Linking it again the same way is no change.
    assert _link(store, admin, first.number, problem.number, "incident").problem is not None


def test_solving_a_problem_solves_its_unsolved_incidents(store, admin, agent):
    problem = new_ticket(store, admin, subject="Gateway bug", ticket_type="problem")
    dana = new_ticket(store, admin, requester_name="Dana Cohen", requester_email="d@a.test")
    wang = new_ticket(store, admin, requester_name="王小明", requester_email="w@a.test")
    done = new_ticket(store, admin)
    for incident in (dana, wang, done):
        _link(store, admin, incident.number, problem.number, "incident")
    _close(store, admin, done.number)
    body = "Hi {{requester.first_name}}, the gateway is fixed ({{ticket.ref}})."
    solved = store.write(lambda s: ticket_ops.solve_problem(
        s, actor=agent, number=problem.number, body=body, solve_incidents=True))
    assert solved == [problem.number, dana.number, wang.number]
    for ticket, name in ((dana, "Dana"), (wang, "王小明")):
        shown = detail(store, ticket.number)
        assert (shown.ticket.status, shown.ticket.assignee) == ("solved", "bert")
        assert shown.messages[-1].body == f"Hi {name}, the gateway is fixed ({ticket.ref})."
    assert detail(store, problem.number).ticket.status == "solved"
    assert detail(store, done.number).ticket.status == "closed"


def test_solving_only_the_problem_and_refusals(store, admin):
    problem = new_ticket(store, admin, ticket_type="problem")
    incident = new_ticket(store, admin)
    _link(store, admin, incident.number, problem.number, "incident")
    with pytest.raises(InvalidInput, match="unknown placeholder"):
        store.write(lambda s: ticket_ops.solve_problem(
            s, actor=admin, number=problem.number, body="{{oops}}", solve_incidents=True))
    with pytest.raises(InvalidInput, match="is a question, not a problem"):
        store.write(lambda s: ticket_ops.solve_problem(
            s, actor=admin, number=incident.number, body="Fixed", solve_incidents=True))
    solved = store.write(lambda s: ticket_ops.solve_problem(
        s, actor=admin, number=problem.number, body="Fixed", solve_incidents=False))
    assert solved == [problem.number]
    assert detail(store, incident.number).ticket.status == "new"


def test_merge_leaves_no_orphan_messages(store, admin):
    target, source = new_ticket(store, admin), new_ticket(store, admin)
    store.write(lambda s: ticket_ops.merge(s, actor=admin, source=source.number,
                                           target=target.number))
    with store.read() as session:
        on_source = session.exec(select(Message.body).where(
            Message.ticket_id == source.number)).all()
    assert on_source == [f"Merged into {target.ref}: Printer jams on page 2"]


# --- The CLI ------------------------------------------------------------------------------------


@pytest.fixture
def desk(cli, admin, agent):
    assert cli("group", "add", "Network").exit_code == 0
    return cli


def _create(cli, *extra) -> dict:
    result = cli("ticket", "create", "--subject", "VPN drops", "--body", "Since Monday.",
                 "--requester", "carol@acme.test", "--json", *extra)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_cli_escalate_merge_link_and_show(desk):
    problem = _create(desk, "--type", "problem")
    one, two = _create(desk), _create(desk)
    escalated = desk("ticket", "escalate", one["ref"], "--reason", "needs logs",
                     "--group", "Network")
    assert escalated.stdout == f"escalated {one['ref']} to tier 2 (Network)\n"
    assert desk("ticket", "escalate", one["ref"]).exit_code == 2  # --reason is required
    linked = desk("ticket", "link", one["ref"], problem["ref"], "--incident")
    assert linked.stdout.startswith(f"{one['ref']}: incident of problem {problem['ref']} (new)")
    assert desk("ticket", "link", problem["ref"], two["ref"]).exit_code == 0
    assert desk("ticket", "reply", one["ref"], "--body", "On it", "--minutes", "20").exit_code == 0
    assert desk("ticket", "note", one["ref"], "--body", "Hm", "--minutes", "75").exit_code == 0
    shown = desk("ticket", "show", one["ref"]).stdout
    assert "time spent 1 h 35 min" in shown
    assert f"incident of problem {problem['ref']}" in shown
    assert "internal note · " in shown and " · 1 h 15 min" in shown
    as_json = json.loads(desk("ticket", "show", one["ref"], "--json").stdout)
    assert as_json["minutes_spent"] == 95
    assert as_json["links"]["problem"]["number"] == problem["number"]
    problem_shown = desk("ticket", "show", problem["ref"]).stdout
    assert f"incidents (1): {one['ref']}" in problem_shown
    assert f"related: {two['ref']}" in problem_shown
    merged = desk("ticket", "merge", two["ref"], "--into", one["ref"])
    assert merged.stdout == f"merged {two['ref']} into {one['ref']}\n"
    assert f"merged into {one['ref']}" in desk("ticket", "show", two["ref"]).stdout
    assert f"merged here: {two['ref']}" in desk("ticket", "show", one["ref"]).stdout
    unlinked = desk("ticket", "unlink", one["ref"], problem["ref"])
    assert unlinked.stdout == f"{one['ref']}: no links\n"
    solved = desk("ticket", "solve-problem", problem["ref"], "--body", "Fixed", "--incidents")
    assert solved.stdout == f"solved {problem['ref']}\n"


def test_cli_refusals_are_one_line(desk):
    one = _create(desk)
    for args, message in (
        (("ticket", "merge", one["ref"], "--into", one["ref"]), "into itself"),
        (("ticket", "link", one["ref"], "99999"), "no ticket #99999"),
        (("ticket", "reply", one["ref"], "--body", "x", "--minutes", "0"),
         "time spent 0 must be between 1 and 1440 minutes"),
        (("ticket", "link", one["ref"], one["ref"], "--incident"), "to itself"),
    ):
        result = desk(*args)
        assert result.exit_code == 1, args
        assert message in result.stderr
        assert result.stderr.count("\n") == 1
