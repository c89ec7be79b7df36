"""``deskterm ticket``: file, list, show, answer and change tickets."""

from __future__ import annotations

from typing import Annotated

import typer

from deskterm.cli import lazy
from deskterm.cli.context import ctx_obj, read_body, split_list
from deskterm.cli.output import echo, echo_text, print_json, print_table, stdout_is_terminal
from deskterm.db.choices import CHANNELS
from deskterm.desk import plain_reads
from deskterm.desk.errors import InvalidInput
from deskterm.desk.reads import TicketDetail, TicketLinks, TicketSummary, ref
from deskterm.desk.safe_text import clean_line

# The desk's modules bring the store with them: loaded when a command first uses them.
ticket_checks = lazy.module("deskterm.desk.tickets.checks")
ticket_change = lazy.module("deskterm.desk.tickets.change")
ticket_query = lazy.module("deskterm.desk.filter.language")
ticket_filter = lazy.module("deskterm.desk.filter.ticket_filter")

app = typer.Typer(no_args_is_help=True, rich_markup_mode=None,
                  help="Tickets: create, list, show, reply, note, customer-reply, set, "
                       "escalate, merge, link.")

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]
RefArg = Annotated[str, typer.Argument(metavar="REF", help="Ticket reference: #1042 or 1042.")]
BodyOpt = Annotated[str, typer.Option("--body", help="The text; - reads standard input.")]
VersionOpt = Annotated[
    int | None,
    typer.Option("--version", metavar="N",
                 help="Refuse if the ticket changed since version N (for scripts)."),
]
MinutesOpt = Annotated[
    int | None,
    typer.Option("--minutes", metavar="N", help="Time you spent on it, in minutes."),
]
StatusHelp = "new, open, pending, on_hold, solved or closed"


def _when(summary: TicketSummary) -> str:
    return summary.updated_at.strftime("%Y-%m-%d %H:%M")


def _print_summaries(items: list[TicketSummary] | tuple[TicketSummary, ...]) -> None:
    print_table(
        ["ref", "priority", "status", "subject", "requester", "assignee", "group", "updated"],
        [[t.ref, t.priority, t.status, t.subject, t.requester_name, t.assignee or "-",
          t.group or "-", _when(t)] for t in items],
        give_way=["subject", "requester", "group", "assignee"],
    )


def _clear_or(value: str | None) -> str | None:
    """``none`` (any case) clears an assignee or group, as the desk spells it."""
    if value is None:
        return None
    return "none" if value.strip().lower() == "none" else value.strip()


def _tag_options(value: str | None) -> dict:
    """``--tags a,b`` replaces the tags; ``--tags +a,-b`` adds and removes."""
    items = split_list(value)
    if value is None:
        return {}
    signed = [item for item in items if item[0] in "+-"]
    if signed and len(signed) != len(items):
        raise typer.BadParameter("--tags: either list the tags (a,b) or add and remove them "
                                 "(+a,-b), not both")
    if signed:
        return {"add_tags": tuple(i[1:] for i in items if i[0] == "+"),
                "remove_tags": tuple(i[1:] for i in items if i[0] == "-")}
    return {"tags": items}


@app.command()
def create(
    ctx: typer.Context,
    subject: Annotated[str, typer.Option("--subject", help="What the request is about.")],
    body: BodyOpt,
    requester: Annotated[str, typer.Option("--requester", metavar="EMAIL",
                                           help="The customer's e-mail address.")],
    requester_name: Annotated[str | None, typer.Option("--requester-name",
                                                       help="The customer's name.")] = None,
    assignee: Annotated[str | None, typer.Option("--assignee", help="An agent's username.")] = None,
    group: Annotated[str | None, typer.Option("--group", help="A group's name.")] = None,
    priority: Annotated[str, typer.Option("--priority", help="low, normal, high or urgent.")] = (
        "normal"
    ),
    ticket_type: Annotated[str, typer.Option("--type",
                                             help="question, incident, problem or task.")] = (
        "question"
    ),
    tags: Annotated[str | None, typer.Option("--tags", help="Comma-separated tags.")] = None,
    tier: Annotated[int, typer.Option("--tier", help="Support tier 1-3.")] = 1,
    channel: Annotated[str, typer.Option(
        "--channel", help=f"How it came in: {', '.join(CHANNELS)}.")] = "cli",
    json: JsonOpt = False,
) -> None:
    """File a ticket for a customer, such as a phone call you are logging."""
    text = read_body(body)
    ticket = ctx_obj(ctx).desk().create_ticket(
        requester_email=requester, requester_name=requester_name, subject=subject, body=text,
        channel=channel, priority=priority, ticket_type=ticket_type, assignee=assignee,
        group=group, tags=split_list(tags), tier=tier,
    )
    if json:
        print_json(ticket)
    else:
        echo(f"created {ticket.ref}: {clean_line(ticket.subject)}")


@app.command("list")
def list_(
    ctx: typer.Context,
    status: Annotated[str | None, typer.Option("--status", help=f"Comma list: {StatusHelp}.")] = (
        None
    ),
    priority: Annotated[str | None, typer.Option("--priority", help="Comma list.")] = None,
    assignee: Annotated[str | None, typer.Option("--assignee",
                                                 help="Usernames, me or none.")] = None,
    group: Annotated[str | None, typer.Option("--group", help="Group names or none.")] = None,
    requester: Annotated[str | None, typer.Option("--requester",
                                                  help="E-mail address or domain.")] = None,
    org: Annotated[str | None, typer.Option("--org", help="Organization name.")] = None,
    tag: Annotated[str | None, typer.Option("--tag", help="Has all these tags (comma list).")] = (
        None
    ),
    sort: Annotated[str | None, typer.Option(
        "--sort", help="updated, created, priority, number, status, subject, requester, "
        "organization, assignee or group; prefix - for descending.")] = None,
    query: Annotated[str | None, typer.Option(
        "--query", "-q", help='The filter language, e.g. \'status:open tag:vpn "printer jam"\'; '
        "instead of the field options.")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=1000,
                                       help="At most this many.")] = 50,
    after: Annotated[str | None, typer.Option("--after", metavar="CURSOR",
                                              help="Continue after this cursor (from --json).")] = (
        None
    ),
    json: JsonOpt = False,
) -> None:
    """List tickets, newest activity first."""
    if query is not None:
        fields = (status, priority, assignee, group, requester, org, tag, sort)
        if any(value is not None for value in fields):
            raise typer.BadParameter("it holds the whole filter and its sort: leave out "
                                     "--status, --priority, --assignee, --group, --requester, "
                                     "--org, --tag and --sort (write sort:-priority in the "
                                     "query)", param_hint="'--query'")
        try:
            page = ctx_obj(ctx).desk().query_tickets(query, limit=limit, cursor=after)
        except ticket_query.QueryError as exc:
            raise InvalidInput(f"--query, column {exc.position + 1}: {exc}") from None
    else:
        newest = None
        if all(value is None for value in (status, priority, assignee, group, requester, org,
                                           tag)) and sort in (None, plain_reads.NEWEST):
            newest = _list_newest(ctx, limit, after)
        page = newest if newest is not None else _list_fields(
            ctx, status, priority, assignee, group, requester, org, tag, sort or "-updated",
            limit, after)
    if json:
        print_json({"tickets": page.items, "next_cursor": page.next_cursor})
        return
    _print_summaries(page.items)
    if page.next_cursor and stdout_is_terminal():
        echo(f"more: --after {page.next_cursor}", err=True)


def _list_newest(ctx: typer.Context, limit: int, after: str | None):
    """``ticket list`` with no filter (only --limit, --after, --json, or --sort -updated): the
    page read in plain SQL, without loading the store (:mod:`deskterm.desk.plain_reads`); None
    when that path cannot answer (another order's cursor, one the store refuses, a refusal to
    word), and the store's path reads it. Any filter option, another --sort or --query: always
    the store's path."""
    return ctx_obj(ctx).plain(
        lambda url, username, act_as: plain_reads.newest_tickets(
            url, username=username, act_as=act_as, limit=limit, after=after))


def _list_fields(ctx: typer.Context, status, priority, assignee, group, requester, org, tag,
                 sort: str, limit: int, after: str | None):
    where = ticket_filter.TicketFilter(
        statuses=split_list(status),
        priorities=split_list(priority),
        assignees=split_list(assignee),
        groups=split_list(group),
        requester=requester,
        organization=org,
        tags=split_list(tag),
    )
    return ctx_obj(ctx).desk().list_tickets(where=where, sort=sort, limit=limit, cursor=after)


def _duration(minutes: int) -> str:
    """``95`` -> ``1 h 35 min``."""
    hours, rest = divmod(minutes, 60)
    return f"{hours} h {rest} min" if hours else f"{rest} min"


def _linked(items: tuple[TicketSummary, ...] | list[TicketSummary]) -> str:
    return ", ".join(f"{t.ref} ({t.status}) {clean_line(t.subject)}" for t in items)


def _link_lines(links: TicketLinks) -> list[str]:
    lines = []
    if links.problem is not None:
        lines.append(f"incident of problem {_linked([links.problem])}")
    if links.incidents:
        lines.append(f"incidents ({len(links.incidents)}): {_linked(links.incidents)}")
    if links.related:
        lines.append(f"related: {_linked(links.related)}")
    return lines


def _print_detail(detail: TicketDetail) -> None:
    t = detail.ticket
    lines = [
        f"{t.ref}  {clean_line(t.subject)}",
        f"status {t.status} · priority {t.priority} · type {t.type} · tier {t.tier} · "
        f"channel {t.channel} · version {t.version}",
        f"requester {clean_line(detail.requester.name)}"
        + (f" <{clean_line(detail.requester.email)}>" if detail.requester.email else "")
        + (f" · {clean_line(detail.requester.organization)}" if detail.requester.organization
           else ""),
        f"assignee {t.assignee or '-'} · group {clean_line(t.group or '-')} · "
        f"tags {', '.join(t.tags) or '-'}",
        f"created {t.created_at:%Y-%m-%d %H:%M} UTC · updated {t.updated_at:%Y-%m-%d %H:%M} UTC",
    ]
    if detail.minutes_spent:
        lines.append(f"time spent {_duration(detail.minutes_spent)}")
    if detail.merged_into is not None:
        lines.append(f"merged into {ref(detail.merged_into)}")
    if detail.merged_from:
        lines.append(f"merged here: {', '.join(ref(n) for n in detail.merged_from)}")
    lines.extend(_link_lines(detail.links))
    if detail.rating is not None:
        rated = detail.rating
        lines.append(f"rated {rated.score}/5 on {rated.rated_at:%Y-%m-%d %H:%M} UTC"
                     + (f" (recorded by {rated.recorded_by})" if rated.recorded_by else "")
                     + (f": {clean_line(rated.comment)}" if rated.comment else ""))
    if detail.requester_ratings:
        scores = [r.score for r in detail.requester_ratings]
        newest = ", ".join(f"{ref(r.ticket)} {r.score}" for r in detail.requester_ratings[:5])
        lines.append(f"requester's ratings: {sum(scores) / len(scores):.1f} average over "
                     f"{len(scores)} ({newest}{' …' if len(scores) > 5 else ''})")
    for line in lines:
        echo(line)
    for message in detail.messages:
        kind = "reply" if message.public else "internal note"
        if message.author_kind == "customer":
            kind = "customer"
        echo("")
        spent = f" · {_duration(message.minutes)}" if message.minutes else ""
        if message.mail is not None:  # a reply e-mailed to the requester
            failed = message.mail.state == "failed"
            spent += f" · e-mail {message.mail.state}" + (
                f": {clean_line(message.mail.reason or '')}" if failed else "")
        echo(f"── {clean_line(message.author)} · {kind} · "
             f"{message.created_at:%Y-%m-%d %H:%M} UTC{spent}",
             style="bold" if message.public else "yellow")
        echo_text(message.body.rstrip())


@app.command()
def show(ctx: typer.Context, ref: RefArg, json: JsonOpt = False) -> None:
    """Show a ticket with its thread."""
    number = ticket_checks.parse_ref(ref)  # light: no store loaded
    detail = ctx_obj(ctx).plain(  # without loading the store; else through it
        lambda url, username, act_as: plain_reads.ticket_detail(
            url, number=number, username=username, act_as=act_as))
    if detail is None:
        detail = ctx_obj(ctx).desk().open_ticket(number)
    if json:
        print_json(detail)
    else:
        _print_detail(detail)


@app.command()
def reply(
    ctx: typer.Context,
    ref: RefArg,
    body: BodyOpt,
    status: Annotated[str | None, typer.Option("--status",
                                               help="Send as: open, pending or solved.")] = None,
    version: VersionOpt = None,
    minutes: MinutesOpt = None,
) -> None:
    """Reply to the requester (public)."""
    number = ticket_checks.parse_ref(ref)
    text = read_body(body)
    ticket = ctx_obj(ctx).desk().send(number, body=text, kind="reply", status=status,
                                      expected_version=version, minutes=minutes)
    echo(f"replied on {ticket.ref} (now {ticket.status})")


@app.command()
def note(ctx: typer.Context, ref: RefArg, body: BodyOpt, minutes: MinutesOpt = None) -> None:
    """Add an internal note (never sent to the requester)."""
    number = ticket_checks.parse_ref(ref)
    text = read_body(body)
    ticket = ctx_obj(ctx).desk().send(number, body=text, kind="note", minutes=minutes)
    echo(f"noted on {ticket.ref}")


@app.command("customer-reply")
def customer_reply(ctx: typer.Context, ref: RefArg, body: BodyOpt, json: JsonOpt = False) -> None:
    """Log the requester's own message, such as a phone call; a pending or solved ticket reopens."""
    number = ticket_checks.parse_ref(ref)
    text = read_body(body)
    ticket = ctx_obj(ctx).desk().send(number, body=text, kind="customer")
    if json:
        print_json(ticket)
    else:
        echo(f"customer message added to {ticket.ref} (now {ticket.status})")


@app.command("set")
def set_(
    ctx: typer.Context,
    ref: RefArg,
    status: Annotated[str | None, typer.Option("--status", help=StatusHelp + ".")] = None,
    priority: Annotated[str | None, typer.Option("--priority",
                                                 help="low, normal, high or urgent.")] = None,
    ticket_type: Annotated[str | None, typer.Option("--type",
                                                    help="question, incident, problem or "
                                                    "task.")] = None,
    assignee: Annotated[str | None, typer.Option("--assignee",
                                                 help="A username, or none.")] = None,
    group: Annotated[str | None, typer.Option("--group", help="A group, or none.")] = None,
    tags: Annotated[str | None, typer.Option("--tags",
                                             help="a,b replaces the tags; +a,-b adds/removes.")] = (
        None
    ),
    tier: Annotated[int | None, typer.Option("--tier", help="Support tier 1-3.")] = None,
    version: VersionOpt = None,
    json: JsonOpt = False,
) -> None:
    """Change a ticket's fields; each change is recorded in the audit trail."""
    number = ticket_checks.parse_ref(ref)
    changes = ticket_change.TicketChanges(
        status=status, priority=priority, type=ticket_type, assignee=_clear_or(assignee),
        group=_clear_or(group), tier=tier, **_tag_options(tags),
    )
    if changes.is_empty():
        raise typer.BadParameter("give at least one field to change")
    ticket = ctx_obj(ctx).desk().change(number, changes, expected_version=version)
    if json:
        print_json(ticket)
    else:
        echo(f"{ticket.ref}: {ticket.status} · {ticket.priority} · "
                   f"{ticket.assignee or 'unassigned'} · version {ticket.version}")


@app.command()
def escalate(
    ctx: typer.Context,
    ref: RefArg,
    reason: Annotated[str, typer.Option("--reason", help="Why (kept as an internal note); "
                                        "- reads standard input.")],
    group: Annotated[str | None, typer.Option("--group", help="Hand it to this group.")] = None,
    unassign: Annotated[bool, typer.Option("--unassign",
                                           help="Take it off its assignee too.")] = False,
    version: VersionOpt = None,
    json: JsonOpt = False,
) -> None:
    """Escalate a ticket to the next tier (1 -> 2 -> 3), optionally to another group."""
    number = ticket_checks.parse_ref(ref)
    text = read_body(reason)
    ticket = ctx_obj(ctx).desk().escalate(number, reason=text, group=group, unassign=unassign,
                                          expected_version=version)
    if json:
        print_json(ticket)
    else:
        echo(f"escalated {ticket.ref} to tier {ticket.tier}"
                   + (f" ({clean_line(ticket.group)})" if ticket.group else ""))


@app.command()
def merge(
    ctx: typer.Context,
    source: Annotated[str, typer.Argument(metavar="SOURCE", help="The ticket to merge (it is "
                                          "closed; its messages move).")],
    into: Annotated[str, typer.Option("--into", metavar="TARGET",
                                      help="The ticket that takes its messages.")],
    json: JsonOpt = False,
) -> None:
    """Merge a ticket into another: messages move, the source is closed with a pointer."""
    source_number = ticket_checks.parse_ref(source)
    target_number = ticket_checks.parse_ref(into)
    ticket = ctx_obj(ctx).desk().merge(source_number, into=target_number)
    if json:
        print_json(ticket)
    else:
        echo(f"merged {ref(source_number)} into {ticket.ref}")


def _print_links(number: int, links: TicketLinks) -> None:
    lines = _link_lines(links)
    echo(f"{ref(number)}: " + ("; ".join(lines) if lines else "no links"))


@app.command()
def link(
    ctx: typer.Context,
    ref_: RefArg,
    other: Annotated[str, typer.Argument(metavar="OTHER", help="The ticket to link it to.")],
    incident: Annotated[bool, typer.Option(
        "--incident", help="REF is an incident of the problem OTHER (else: related).")] = False,
    json: JsonOpt = False,
) -> None:
    """Link two tickets as related, or REF as an incident of the problem OTHER."""
    number, other_number = ticket_checks.parse_ref(ref_), ticket_checks.parse_ref(other)
    links = ctx_obj(ctx).desk().link(number, other_number,
                                     kind="incident" if incident else "related")
    print_json(links) if json else _print_links(number, links)


@app.command()
def unlink(
    ctx: typer.Context,
    ref_: RefArg,
    other: Annotated[str, typer.Argument(metavar="OTHER", help="The linked ticket.")],
    json: JsonOpt = False,
) -> None:
    """Remove the link between two tickets."""
    number, other_number = ticket_checks.parse_ref(ref_), ticket_checks.parse_ref(other)
    links = ctx_obj(ctx).desk().unlink(number, other_number)
    print_json(links) if json else _print_links(number, links)


@app.command("solve-problem")
def solve_problem(
    ctx: typer.Context,
    ref_: RefArg,
    body: BodyOpt,
    incidents: Annotated[bool, typer.Option(
        "--incidents/--no-incidents",
        help="Also solve its unsolved incidents with the same reply.")] = False,
    json: JsonOpt = False,
) -> None:
    """Solve a problem ticket with a reply, and optionally all its incidents with it."""
    number = ticket_checks.parse_ref(ref_)
    text = read_body(body)
    solved = ctx_obj(ctx).desk().solve_problem(number, body=text, incidents=incidents)
    if json:
        print_json({"solved": solved})
    else:
        echo(f"solved {', '.join(ref(n) for n in solved)}")
