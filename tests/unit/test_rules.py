"""Rules: every condition and action, the triggers, order and stop, loops refused, the rules
file's errors and round trip, ``rules test`` (both stores)."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import event
from sqlmodel import col, func, select

from deskterm.db.models import Customer, Event, Message, Organization, OutboxMail, Rule, Ticket
from deskterm.desk.automation import conditions, rulebook, ruleset
from deskterm.desk.automation.firing import MAX_PASSES
from deskterm.desk.mail import settings as mail_settings
from deskterm.desk.people import availability
from deskterm.desk.people import directory as people
from deskterm.desk.reads import AgentRead
from deskterm.desk.tickets import macros
from deskterm.desk.tickets import ticket as tickets

from .helpers import change, detail, new_ticket


def seed_team(store) -> None:
    """ada (admin); ann, bob, cat in billing (manual); dan in network; Acme Corp (acme.test,
    VIP); macro Refund."""

    def write(session):
        from deskterm.desk import setup

        admin = setup.ensure_first_admin(session, username="ada", display_name="Ada Admin")
        for name in ("ann", "bob", "cat", "dan"):
            people.add_agent(session, username=name, display_name=name.title(),
                             skills=("vpn",) if name == "bob" else ())
        people.add_group(session, name="billing")
        people.add_group(session, name="network")
        for name in ("ann", "bob", "cat"):
            people.add_member(session, group="billing", username=name)
        people.add_member(session, group="network", username="dan")
        session.add(Organization(name="Acme Corp", domain="acme.test"))
        macros.add_macro(session, actor=admin, name="Refund",
                         body="Hello {{requester.first_name}}, your refund is on its way.",
                         actions=macros.MacroActions(status="pending", add_tags=("refund",)))

    store.write(write)


@pytest.fixture
def team(stores):
    return stores.store(seeded=seed_team)


@pytest.fixture
def ada(team) -> AgentRead:
    with team.read() as session:
        return people.agent_read(session, people.find_agent(session, "ada"))


def load(store, text: str) -> list[ruleset.RuleRead]:
    return store.write(lambda s: ruleset.replace_rules(s, ruleset.check_file(s, text)))


def rule(name: str = "R", *, on: str = '["created"]', when: str = "", unless: str = "",
         then: str = 'add_tags = ["hit"]', extra: str = "") -> str:
    text = f'[[rule]]\nname = "{name}"\non = {on}\n{extra}\n'
    if when:
        text += f"[rule.when]\n{when}\n"
    if unless:
        text += f"[rule.unless]\n{unless}\n"
    return text + f"[rule.then]\n{then}\n"


def file(store, actor, **fields):
    return new_ticket(store, actor, **fields)


# --- conditions ---------------------------------------------------------------------------------

CONDITIONS = [
    # (condition, fields of a ticket it matches, fields of one it does not)
    ('subject_any = ["invoice", "refund please"]', {"subject": "Refund  PLEASE now"},
     {"subject": "Refunding"}),
    ('subject_all = ["printer", "jam"]', {"subject": "Printer jam"}, {"subject": "Printer ok"}),
    ('body_any = ["vpn"]', {"body": "my VPN drops"}, {"body": "vpnx"}),
    ('body_all = ["vpn", "drops"]', {"body": "vpn drops"}, {"body": "vpn works"}),
    ('text_any = ["urgent"]', {"body": "this is URGENT"}, {"body": "calm"}),
    ('text_all = ["printer", "urgent"]', {"subject": "Printer", "body": "urgent"},
     {"subject": "Printer", "body": "later"}),
    ('subject_regex = "^order #[0-9]+"', {"subject": "Order #123 late"},
     {"subject": "My order #123"}),
    ('body_regex = "\\\\bAB-[0-9]{4}\\\\b"', {"body": "ref ab-1234 please"},
     {"body": "ref AB-12"}),
    ('text_regex = "cancel(l)?ation"', {"body": "a cancelation"}, {"body": "cancel"}),
    ('requester = ["Carol@Acme.test"]', {"requester_email": "carol@acme.test"},
     {"requester_email": "dave@acme.test"}),
    ('domain = ["acme.test"]', {"requester_email": "x@acme.test"},
     {"requester_email": "x@other.test"}),
    ('organization = ["acme corp"]', {"requester_email": "x@acme.test"},
     {"requester_email": "x@other.test"}),
    ('customer_tier = ["vip"]', {"requester_email": "vip@acme.test"},
     {"requester_email": "x@acme.test"}),
    ('channel = ["phone"]', {"channel": "phone"}, {"channel": "email"}),
    ('status = ["open"]', {"assignee": "ann"}, {}),
    ('priority = ["high", "urgent"]', {"priority": "urgent"}, {"priority": "normal"}),
    ('type = ["incident"]', {"ticket_type": "incident"}, {"ticket_type": "question"}),
    ('group = ["network"]', {"group": "network"}, {"group": "billing"}),
    ('group = ["none"]', {}, {"group": "billing"}),
    ('assignee = ["bob"]', {"assignee": "bob"}, {"assignee": "ann"}),
    ('tags_any = ["vpn", "wifi"]', {"tags": ["wifi"]}, {"tags": ["lan"]}),
    ('tags_all = ["vpn", "wifi"]', {"tags": ["wifi", "vpn", "x"]}, {"tags": ["wifi"]}),
    ('hours_since_created = "< 1"', {}, None),
    ('hours_since_updated = ">= 0"', {}, None),
]


@pytest.mark.parametrize(("condition", "matching", "other"), CONDITIONS,
                         ids=[c[0].split(" ")[0] + str(i) for i, c in enumerate(CONDITIONS)])
def test_each_condition_fires_on_a_matching_ticket_and_not_on_another(team, ada, condition,
                                                                      matching, other):
    team.write(lambda s: s.add(Customer(name="V", email="vip@acme.test", tier="vip",
                                        organization_id=s.exec(select(Organization.id)).one())))
    load(team, rule(when=condition))
    assert "hit" in file(team, ada, **matching).tags
    if other is not None:
        assert "hit" not in file(team, ada, **other).tags


def test_an_unless_condition_keeps_the_rule_from_firing(team, ada):
    load(team, rule(when='text_any = ["invoice"]', unless='tags_any = ["spam"]'))
    assert "hit" in file(team, ada, subject="Invoice").tags
    assert "hit" not in file(team, ada, subject="Invoice", tags=["spam"]).tags


def test_business_hours_count_on_a_24x7_clock_without_a_desk_calendar(team, ada):
    ticket = file(team, ada)
    load(team, rule(on='["updated"]', when='hours_since_created = ">= 2"'))
    team.write(lambda s: s.exec(select(Rule)).all())  # (the rules are in place)
    from sqlalchemy import text as sql

    team.write(lambda s: s.execute(sql("UPDATE tickets SET created_at = :at WHERE id = :n"),
                                   {"at": "2026-01-01 00:00:00", "n": ticket.number}))
    assert "hit" in change(team, ada, ticket.number, priority="high").tags


def test_a_catastrophic_regex_times_out_as_no_match_instead_of_hanging(team, ada):
    load(team, rule(when='body_regex = "^(a+)+$"'))
    started = time.monotonic()
    ticket = file(team, ada, body="a" * 5_000 + "!")
    assert time.monotonic() - started < 5
    assert "hit" not in ticket.tags
    with team.read() as session:
        tests = ruleset.test_rules(session, number=ticket.number, trigger="created")
    assert "timed out" in tests[0].verdicts[0][2]


# --- actions ------------------------------------------------------------------------------------


def test_field_actions_are_one_change_named_after_the_rule(team, ada):
    load(team, rule("Triage", then='group = "network"\ntype = "incident"\npriority = "urgent"\n'
                                   'tier = 2\nadd_tags = ["vpn", "auto"]\nremove_tags = ["x"]'))
    ticket = file(team, None, tags=["x"])
    assert (ticket.group, ticket.type, ticket.priority, ticket.tier, ticket.tags) == (
        "network", "incident", "urgent", 2, ("auto", "vpn"))
    events = [e for e in detail(team, ticket.number).events if e.field != "created"]
    assert {e.field for e in events} == {"group", "type", "priority", "tier", "tags"}
    assert {(e.via, e.actor, e.version) for e in events} == {("rule:Triage", None, 2)}


def test_the_agent_whose_change_set_a_rule_off_is_named_with_it(team, ada):
    load(team, rule("Urgent", on='["updated"]', when='priority = ["urgent"]',
                    then="tier = 3"))
    ticket = file(team, ada)
    change(team, ada, ticket.number, priority="urgent")
    assert detail(team, ticket.number).events[-1].by == "ada via rule:Urgent"


def test_assign_to_a_person_opens_the_ticket(team, ada):
    load(team, rule(then='assign = "dan"'))
    ticket = file(team, ada)
    assert (ticket.assignee, ticket.status) == ("dan", "open")


def test_assign_by_the_group_strategy(team, ada):
    team.write(lambda s: availability.set_assignment(s, group="billing", strategy="round-robin"))
    load(team, rule(then='group = "billing"\nassign = "@group"'))
    assert [file(team, ada).assignee for _ in range(4)] == ["ann", "bob", "cat", "ann"]


def test_apply_a_macro_sends_its_reply_as_the_rule_and_makes_its_actions(team, ada):
    team.write(lambda s: mail_settings.update_settings(s, from_address="help@desk.test"))
    load(team, rule("Refunds", when='text_any = ["refund"]', then='macro = "Refund"'))
    ticket = file(team, ada, subject="Refund", requester_name="Carol Jones")
    assert (ticket.status, ticket.tags) == ("pending", ("refund",))
    reply = detail(team, ticket.number).messages[-1]
    assert (reply.author, reply.author_kind, reply.public) == ("rule:Refunds", "rule", True)
    assert reply.body == "Hello Carol, your refund is on its way."
    assert reply.mail is not None and reply.mail.state == "queued"
    assert detail(team, ticket.number).ticket.first_response_at is None  # not a person's


def test_an_internal_note_is_written_by_the_rule(team, ada):
    load(team, rule("Note", then='note = "Check {{ticket.ref}} for {{requester.name}}"'))
    ticket = file(team, ada, requester_name="Carol")
    note = detail(team, ticket.number).messages[-1]
    assert (note.author, note.author_kind, note.public, note.body) == (
        "rule:Note", "rule", False, f"Check #{ticket.number} for Carol")
    with team.read() as session:
        stored = session.get(Message, note.id)
        assert (stored.author_agent_id, stored.author_customer_id, stored.via) == (
            None, None, "rule:Note")


def test_email_the_requester_goes_through_the_outbox(team, ada):
    team.write(lambda s: mail_settings.update_settings(s, from_address="help@desk.test"))
    load(team, rule("Ack", then='email_subject = "We have {{ticket.ref}}"\n'
                                'email_body = "Hi {{requester.first_name}}"'))
    ticket = file(team, ada, requester_name="Carol Jones")
    with team.read() as session:
        mail = session.exec(select(OutboxMail).where(OutboxMail.kind == "rule")).one()
    assert (mail.to_address, mail.subject) == ("carol@acme.test", f"We have #{ticket.number}")
    assert b"Hi Carol" in mail.raw
    assert detail(team, ticket.number).events[-1].field == "email"


def test_email_is_never_sent_to_a_requester_without_an_address(team, ada):
    team.write(lambda s: mail_settings.update_settings(s, from_address="help@desk.test"))
    load(team, rule("Ack", then='email_subject = "Hi"\nemail_body = "Hi"'))
    customer = team.write(lambda s: people.add_customer_without_email(s, name="Phone Pat")).id
    ticket = team.write(lambda s: tickets.create_ticket(
        s, actor=ada, requester_email=None, requester_id=customer, subject="Call",
        body="called"))
    with team.read() as session:
        assert session.exec(select(OutboxMail)).all() == []
    last = detail(team, ticket.number).events[-1]
    assert (last.field, last.via) == ("rule", "rule:Ack")
    assert "no e-mail address" in last.new


def test_a_rule_that_cannot_act_is_skipped_and_the_change_goes_through(team, ada):
    load(team, rule("To dan", then='assign = "dan"'))
    team.write(lambda s: people.set_agent(s, username="dan", active=False))
    ticket = file(team, ada)
    assert ticket.assignee is None
    last = detail(team, ticket.number).events[-1]
    assert (last.field, last.via) == ("rule", "rule:To dan")
    assert "deactivated" in last.new


# --- when rules run -----------------------------------------------------------------------------


def test_triggers_created_updated_and_customer_reply(team, ada):
    load(team, rule("C", on='["created"]', then='add_tags = ["c"]')
         + rule("U", on='["updated"]', then='add_tags = ["u"]')
         + rule("R", on='["customer_reply"]', then='add_tags = ["r"]'))
    ticket = file(team, ada)
    assert ticket.tags == ("c",)
    assert "u" in change(team, ada, ticket.number, priority="high").tags
    replied = team.write(lambda s: tickets.add_customer_message(s, number=ticket.number,
                                                                body="any news?"))
    assert "r" in replied.tags


def test_rules_run_in_order_and_stop_ends_the_pass(team, ada):
    load(team, rule("First", then='priority = "high"')
         + rule("Stop", extra="stop = true", then='add_tags = ["stopped"]')
         + rule("Never", then='add_tags = ["never"]'))
    ticket = file(team, ada)
    assert (ticket.priority, ticket.tags) == ("high", ("stopped",))


def test_a_later_rule_sees_what_an_earlier_one_set(team, ada):
    load(team, rule("Tag", then='add_tags = ["vip"]')
         + rule("Prio", when='tags_any = ["vip"]', then='priority = "urgent"'))
    assert file(team, ada).priority == "urgent"


def test_the_rules_matching_in_one_pass_are_one_version_each_event_naming_its_rule(team, ada):
    load(team, rule("Tag", then='add_tags = ["vip"]')
         + rule("Prio", then='priority = "urgent"\nnote = "Escalated by rule"'))
    ticket = file(team, ada)
    shown = detail(team, ticket.number)
    assert shown.ticket.version == 2  # filed at 1; both rules' actions are version 2
    events = {(e.field, e.via, e.version) for e in shown.events if e.field != "created"}
    assert events == {("tags", "rule:Tag", 2), ("priority", "rule:Prio", 2)}
    assert shown.messages[-1].author == "rule:Prio"


def test_two_rules_undoing_each_other_fire_once_each(team, ada):
    load(team, rule("Up", on='["created", "updated"]', when='priority = ["normal"]',
                    then='priority = "high"')
         + rule("Down", on='["created", "updated"]', when='priority = ["high"]',
                then='priority = "normal"'))
    ticket = file(team, ada)
    vias = [e.via for e in detail(team, ticket.number).events if e.field == "priority"]
    assert vias == ["rule:Up", "rule:Down"]
    assert ticket.priority == "normal"


def test_a_chain_of_rules_stops_after_the_bounded_passes(team, ada):
    # Each rule sets off the one before it, so every pass fires one rule.
    chain = "".join(rule(f"R{i}", on='["created", "updated"]',
                         when=f'tags_any = ["t{i}"]', then=f'add_tags = ["t{i - 1}"]')
                    for i in range(1, 8))
    load(team, chain)
    ticket = file(team, ada, tags=["t7"])
    assert len([t for t in ticket.tags if t.startswith("t")]) == MAX_PASSES + 1
    assert detail(team, ticket.number).events[-1].field == "rules"


def test_an_inactive_rule_never_fires(team, ada):
    load(team, rule(extra="active = false"))
    assert file(team, ada).tags == ()


# --- the rules file -----------------------------------------------------------------------------


def test_a_file_with_three_errors_lists_all_three_with_lines_and_changes_nothing(team, ada):
    load(team, rule("Kept"))
    bad = ('[[rule]]\nname = "A"\non = ["created"]\n[rule.when]\ncolour = "red"\n'
           '[rule.then]\ngroup = "nosuch"\n\n'
           '[[rule]]\nname = "B"\non = ["sometimes"]\n[rule.then]\npriority = "high"\n')
    with pytest.raises(rulebook.RulesFileError) as raised:
        load(team, bad)
    assert [p.split(":")[0] for p in raised.value.problems] == ["line 5", "line 7", "line 11"]
    with team.read() as session:
        assert [r.name for r in ruleset.list_rules(session)] == ["Kept"]


def test_export_loads_back_identically(team, ada):
    text = (rule("Route", on='["created", "customer_reply"]', extra='description = "a \\"q\\""',
                 when='text_any = ["Invoice"]\nhours_since_created = ">=8"',
                 unless='tags_any = "spam"',
                 then='group = "billing"\nnote = "line one\\nline two\\u0007"')
            + rule("Stop", extra="stop = true\nactive = false", then="tier = 2"))
    loaded = load(team, text)
    with team.read() as session:
        exported = ruleset.export_rules(session)
    again = load(team, exported)
    assert [r.spec for r in again] == [r.spec for r in loaded]
    with team.read() as session:
        assert ruleset.export_rules(session) == exported


def test_rules_test_says_which_would_fire_and_why_and_changes_nothing(team, ada):
    ticket = file(team, ada, subject="Invoice")
    load(team, rule("Yes", on='["updated"]', when='text_any = ["invoice"]', extra="stop = true")
         + rule("After", on='["updated"]')
         + rule("No", on='["updated"]', when='priority = ["urgent"]'))
    with team.read() as session:
        results = ruleset.test_rules(session, number=ticket.number, trigger="updated")
    assert [(r.name, r.fires) for r in results] == [("Yes", True), ("After", False),
                                                    ("No", False)]
    assert results[0].verdicts[0][1:] == (True, "has 'invoice'")
    assert results[1].outcome.startswith("not reached")
    assert detail(team, ticket.number).ticket.version == ticket.version


def test_a_rule_message_needs_the_rule_named(team, ada):
    ticket = file(team, ada)
    with pytest.raises(Exception, match=r"(?i)check|constraint"):
        team.write(lambda s: s.add(Message(ticket_id=ticket.number, public=False, body="x")))
    with team.read() as session:
        assert session.exec(select(Event).where(col(Event.via).is_not(None))).all() == []


def test_a_desk_that_sends_no_mail_gets_the_rule_s_other_actions(team, ada):
    load(team, rule("Outage", then='priority = "urgent"\nemail_subject = "On it"\n'
                                   'email_body = "We are on it"'))
    ticket = file(team, ada)
    assert ticket.priority == "urgent"
    last = detail(team, ticket.number).events[-1]
    assert (last.field, last.via) == ("rule", "rule:Outage")
    assert "does not send mail" in last.new


def _export(store) -> bytes:
    import io

    from deskterm.desk.service import Desk

    out = io.StringIO()
    Desk(store, username="ada").export_jsonl(query=None, write=out.write)
    return out.getvalue().encode("utf-8")


def test_a_rule_s_note_survives_a_jsonl_export_and_import(stores, tmp_path):
    from deskterm.desk import setup
    from deskterm.desk.service import Desk

    source = stores.store(seeded=seed_team)
    with source.read() as session:
        ada = people.agent_read(session, people.find_agent(session, "ada"))
    load(source, rule("Note", then='note = "Routed"'))
    file(source, ada)
    exported = _export(source)
    assert b'"via":"rule:Note"' in exported
    target = stores.store()
    target.write(lambda s: setup.ensure_first_admin(s, username="ada", display_name="Ada Admin"))
    path = tmp_path / "desk.jsonl"
    path.write_bytes(exported)
    assert Desk(target, username="ada").import_jsonl(path).committed
    assert _export(target) == exported


def test_a_rule_on_the_text_alone_is_not_looked_at_again_in_a_later_pass():
    def compiled(when: str) -> bool:
        spec = rulebook.parse_rules(rule(when=when))[0]
        return conditions.CompiledRule.of(1, 1, spec).fixed

    assert compiled('text_any = ["vpn"]\nchannel = ["email"]\ndomain = ["acme.test"]')
    assert not compiled('text_any = ["vpn"]\ntags_any = ["vip"]')
    assert not compiled('priority = ["urgent"]')


# --- created rules written with the ticket ------------------------------------------------------


def _trail(store, number: int) -> list[tuple]:
    return [(e.field, e.old, e.new, e.version, e.via, e.actor)
            for e in detail(store, number).events]


def _statements(store, write) -> list[str]:
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append(" ".join(statement.split()))

    event.listen(store.engine, "before_cursor_execute", record)
    try:
        store.write(write)
    finally:
        event.remove(store.engine, "before_cursor_execute", record)
    return seen


FIELD_RULES = (rule("Kind", when='text_any = ["help"]', then='type = "incident"')
               + rule("Seen", when='text_any = ["help"]', then='add_tags = ["seen"]'))
NOT_MATCHING = "".join(rule(f"Quiet {i}", when=f'text_any = ["unheard{i}"]',
                            then='priority = "urgent"') for i in range(5))


def test_field_rules_on_a_new_ticket_cost_no_write_nor_read_of_its_row(team, ada):
    """Two matching rules that only set fields (the type, a tag) add one statement to filing
    a ticket on SQLite (linking the tag; the rules' events go with the ``created`` one) and
    none on PostgreSQL (the first message, the ``created`` event, the rules' events and the
    tag's link are one statement): the row is written once, already as the rules left it,
    and never read back."""

    def filing(session):
        tickets.create_ticket(session, actor=None, requester_email="pat@acme.test",
                              subject="Need help", body="help please")

    load(team, NOT_MATCHING)
    team.write(filing)  # (the customer, the cached rules)
    quiet = _statements(team, filing)
    load(team, NOT_MATCHING + FIELD_RULES)
    team.write(filing)  # (the tag, the cached rules)
    ruled = _statements(team, filing)
    # SQLite: the tag's link. PostgreSQL: nothing (it goes with the first message).
    kind = team.url.get_backend_name()
    assert len(ruled) - len(quiet) == (0 if kind == "postgresql" else 1), ruled
    with team.read() as session:
        number = session.exec(select(func.max(Ticket.id))).one()
        assert number is not None
        shown = tickets.get_ticket(session, number=number)
    assert (shown.ticket.type, shown.ticket.tags) == ("incident", ("seen",))
    assert [(e.field, e.version, e.via) for e in shown.events] == [
        ("created", 1, None), ("type", 2, "rule:Kind"), ("tags", 2, "rule:Seen")]
    assert not [s for s in ruled if s.startswith("UPDATE tickets")
                or (s.startswith("SELECT tickets.") and " FROM tickets" in s)]


def test_field_rules_made_before_writing_leave_the_trail_of_rules_made_after(team, ada):
    """The same two rules, once alone (made on the values before the row is written) and once
    with a third that writes a note (the whole pass made on the written row): the same
    ticket and the same audit trail."""
    load(team, FIELD_RULES)
    early = file(team, ada, subject="Need help", tags=["x"])
    load(team, FIELD_RULES + rule("Note", when='text_any = ["help"]', then='note = "Seen."'))
    late = file(team, ada, subject="Need help", tags=["x"])
    assert detail(team, late.number).messages[-1].author == "rule:Note"
    assert _trail(team, early.number) == _trail(team, late.number) == [
        ("created", None, "cli", 1, None, "ada"),
        ("type", "question", "incident", 2, "rule:Kind", "ada"),
        ("tags", "x", "seen,x", 2, "rule:Seen", "ada")]
    fields = ("type", "tags", "version", "status", "priority", "tier")
    assert [getattr(early, f) for f in fields] == [getattr(late, f) for f in fields] == [
        "incident", ("seen", "x"), 2, "new", "normal", 1]
    assert early == detail(team, early.number).ticket  # what was returned is what is stored


def test_a_group_set_before_writing_is_then_assigned_and_a_later_pass_still_runs(team, ada):
    team.write(lambda s: availability.set_assignment(s, group="billing", strategy="round-robin"))
    load(team, rule("Urgent VIP", when='tags_any = ["vip"]', then='priority = "urgent"')
         + rule("Route", then='group = "billing"\ntier = 2\nadd_tags = ["vip"]'))
    ticket = file(team, None)
    assert (ticket.group, ticket.assignee, ticket.status, ticket.priority, ticket.tier,
            ticket.version) == ("billing", "ann", "open", "urgent", 2, 4)
    assert [(f, v, via) for f, _, _, v, via, _ in _trail(team, ticket.number)] == [
        ("created", 1, None), ("group", 2, "rule:Route"), ("tier", 2, "rule:Route"),
        ("tags", 2, "rule:Route"), ("assignee", 3, "assignment:billing"),
        ("status", 3, "assignment:billing"), ("priority", 4, "rule:Urgent VIP")]
    assert ticket == detail(team, ticket.number).ticket
