"""The desk's use cases on tickets: open, list, file, send, change, escalate, merge, link.

Each method is one transaction the console and the CLI share (:class:`TicketCases` is part of
:class:`deskterm.desk.service.Desk`); the rules live in the modules it calls.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Literal

from sqlmodel import Session

from deskterm import lazy
from deskterm.desk.errors import InvalidInput
from deskterm.desk.filter.ticket_filter import TicketFilter
from deskterm.desk.people import access
from deskterm.desk.reads import (
    AgentRead,
    MessageRead,
    Page,
    TicketDetail,
    TicketLinks,
    TicketSummary,
)
from deskterm.desk.service_core import DeskCore
from deskterm.desk.tickets import drafts
from deskterm.desk.tickets import reads as ticket_reads
from deskterm.desk.tickets import ticket as tickets
from deskterm.desk.tickets.change import TicketChanges

if TYPE_CHECKING:
    from deskterm.desk.tickets import candidates as ticket_candidates
    from deskterm.desk.tickets import macros, presence, thread
    from deskterm.desk.tickets import ops as ticket_ops
else:
    # Loaded on a use case's first call (deskterm.lazy): a CLI command pays only for its own.
    macros = lazy.module("deskterm.desk.tickets.macros")
    presence = lazy.module("deskterm.desk.tickets.presence")
    thread = lazy.module("deskterm.desk.tickets.thread")
    ticket_candidates = lazy.module("deskterm.desk.tickets.candidates")
    ticket_ops = lazy.module("deskterm.desk.tickets.ops")

SendKind = Literal["reply", "note", "customer"]
SEND_KINDS: tuple[str, ...] = ("reply", "note", "customer")
HISTORY_SHOWN = 50
"""How many of the requester's other tickets the ticket screen lists."""


@dataclass(frozen=True)
class TicketPage:
    """What the ticket screen shows: the ticket, the requester's other tickets and the
    agent's draft on it (if they left one)."""

    detail: TicketDetail
    history: list[TicketSummary]
    draft: drafts.DraftRead | None


@dataclass(frozen=True)
class TicketNews:
    """The ticket again, after someone changed it: with the requester's other tickets and the
    display names of who changed it (``names``: username -> display name)."""

    detail: TicketDetail
    history: list[TicketSummary]
    names: dict[str, str]


def _others(session: Session, detail: TicketDetail, number: int,
            actor: AgentRead) -> list[TicketSummary]:
    history = ticket_reads.customer_history(session, customer_id=detail.requester.id,
                                            limit=HISTORY_SHOWN,
                                            hidden=access.hidden_groups(session, actor))
    return [t for t in history if t.number != number]


def _visible_links(session: Session, actor: AgentRead, links: TicketLinks) -> TicketLinks:
    """``links`` without the linked tickets of groups restricted from ``actor`` (a visible
    ticket may be linked to one: its subject is not shown)."""
    linked = [t.number for t in (*links.related, *links.incidents,
                                 *((links.problem,) if links.problem else ()))]
    visible = access.visible_numbers(session, actor, linked)
    if len(visible) == len(set(linked)):
        return links
    problem = links.problem if links.problem and links.problem.number in visible else None
    return TicketLinks(related=tuple(t for t in links.related if t.number in visible),
                       incidents=tuple(t for t in links.incidents if t.number in visible),
                       problem=problem)


def _visible_detail(session: Session, actor: AgentRead, detail: TicketDetail) -> TicketDetail:
    links = _visible_links(session, actor, detail.links)
    return detail if links is detail.links else replace(detail, links=links)


class TicketCases(DeskCore):
    """Reading and working tickets."""

    # --- reading ---------------------------------------------------------------------------

    def open_ticket(self, number: int) -> TicketDetail:
        """A ticket with its thread, audit trail, links and merge pointers."""
        with self._reading() as session:
            actor = self._may_see(session, number)
            return _visible_detail(session, actor, tickets.get_ticket(session, number=number))

    def ticket_page(self, number: int) -> TicketPage:
        """The ticket, the requester's other tickets and this agent's draft, in one read."""
        with self._reading() as session:
            actor = self._may_see(session, number)
            detail = _visible_detail(session, actor, tickets.get_ticket(session, number=number))
            draft = drafts.get_draft(session, agent=actor.username, number=number)
            return TicketPage(detail, _others(session, detail, number, actor), draft)

    def ticket_news(self, number: int, shown: thread.TicketStamp) -> TicketNews | None:
        """The ticket again if it changed since ``shown`` (None: it did not)."""
        with self._reading() as session:
            actor = self._may_see(session, number)
            if thread.ticket_stamp(session, number=number) == shown:
                return None
            detail = _visible_detail(session, actor, tickets.get_ticket(session, number=number))
            actors = (e.actor for e in detail.events if e.version > shown.version and e.actor)
            return TicketNews(detail, _others(session, detail, number, actor),
                              thread.display_names(session, actors))

    def require_ticket_access(self, number: int) -> None:
        """PermissionDenied (one line naming its group) when ticket ``number`` is in a group
        restricted from this agent; nothing else is checked."""
        with self._reading() as session:
            self._may_see(session, number)

    def find_tickets(self, numbers: Sequence[int]) -> list[TicketSummary]:
        """The tickets of ``numbers`` that exist and this agent may see, as list rows."""
        with self._reading() as session:
            visible = access.visible_numbers(session, self._acting(session), list(numbers))
            return ticket_reads.rows_of(session, [n for n in numbers if n in visible])

    def list_tickets(self, *, where: TicketFilter | None = None,
                     sort: str = "-updated", limit: int = 50,
                     cursor: str | None = None) -> Page:
        """One page of the tickets ``where`` selects (``me`` is this agent)."""
        with self._reading() as session:
            return ticket_reads.list_tickets(
                session, where=where or TicketFilter(), sort=sort, limit=limit,
                cursor=cursor, me=self._acting(session).username)

    def query_tickets(self, query: str, *, limit: int = 50, cursor: str | None = None,
                      now: datetime | None = None) -> Page:
        """One page of the tickets the filter ``query`` selects (a bad term: ``QueryError``)."""
        with self._reading() as session:
            return ticket_reads.query_tickets(
                session, query, me=self._acting(session).username, now=now, limit=limit,
                cursor=cursor)

    def messages_after(self, number: int, after_id: int) -> list[MessageRead]:
        """The messages of ticket ``number`` newer than message ``after_id``."""
        with self._reading() as session:
            self._may_see(session, number)
            return thread.messages_after(session, number=number, after_id=after_id)

    def ticket_candidates(self, number: int, *,
                          purpose: ticket_candidates.Purpose) -> list[ticket_candidates.Candidate]:
        """Tickets to offer for linking ticket ``number`` or merging it into."""
        with self._reading() as session:
            actor = self._may_see(session, number)
            return ticket_candidates.ticket_candidates(
                session, number=number, agent=actor.username, purpose=purpose,
                hidden=access.hidden_groups(session, actor))

    # --- filing and answering --------------------------------------------------------------

    def create_ticket(self, *, requester_email: str, subject: str, body: str,
                      requester_name: str | None = None, channel: str = "cli",
                      priority: str = "normal", ticket_type: str = "question",
                      assignee: str | None = None, group: str | None = None,
                      tags: Iterable[str] = (), tier: int = 1) -> TicketSummary:
        """File a ticket for a customer with their first message."""
        tag_list = tuple(tags)
        return self._writing(lambda session, actor: tickets.create_ticket(
            session, actor=actor, requester_email=requester_email,
            requester_name=requester_name, subject=subject, body=body, channel=channel,
            priority=priority, ticket_type=ticket_type, assignee=assignee, group=group,
            tags=tag_list, tier=tier))

    def send(self, number: int, *, body: str | None, kind: str = "reply",
             status: str | None = None, expected_version: int | None = None,
             minutes: int | None = None, macro: str | None = None) -> TicketSummary:
        """Send on ticket ``number``: a public ``reply`` (as ``status``), an internal ``note``,
        or the ``customer``'s own message; with ``macro``, that macro's actions too (``body``
        None: its own text). The agent's draft on the ticket goes; the ticket is seen by them
        (in the same transaction, once)."""
        if kind not in SEND_KINDS:
            raise InvalidInput(f"send as '{kind}': one of {', '.join(SEND_KINDS)}")
        if macro is not None and kind == "customer":
            raise InvalidInput("a macro is sent by an agent, not as the customer's message")
        if body is None and macro is None:
            raise InvalidInput("nothing to send: give a body or a macro")

        def work(session: Session, actor: AgentRead) -> TicketSummary:
            if macro is not None:
                sent = macros.apply_macro(
                    session, actor=actor, number=number, macro_name=macro, body=body,
                    send_as=status, public=kind == "reply", minutes=minutes,
                    expected_version=expected_version)
            elif kind == "customer":
                sent = tickets.add_customer_message(session, actor=actor, number=number,
                                                    body=body or "")
            elif kind == "note":
                sent = tickets.add_note(session, actor=actor, number=number, body=body or "",
                                        minutes=minutes)
            else:
                sent = tickets.add_reply(session, actor=actor, number=number, body=body or "",
                                         status=status, expected_version=expected_version,
                                         minutes=minutes)
            drafts.discard_draft(session, actor=actor, number=number)
            return sent

        return self._writing(work)

    def solve_problem(self, number: int, *, body: str, incidents: bool) -> list[int]:
        """Solve the problem ``number`` with a reply (and with ``incidents`` its unsolved
        incidents with it); the agent's draft on it goes. Returns the numbers solved."""

        def work(session: Session, actor: AgentRead) -> list[int]:
            solved = ticket_ops.solve_problem(session, actor=actor, number=number, body=body,
                                              solve_incidents=incidents)
            drafts.discard_draft(session, actor=actor, number=number)
            return solved

        return self._writing(work)

    def mark_seen(self, number: int) -> None:
        """The agent has read ticket ``number`` as it is now."""
        def work(session: Session, actor: AgentRead) -> None:
            access.require_ticket_access(session, actor, number)
            tickets.mark_seen(session, agent=actor.username, number=number)

        self._writing(work, quiet=True)

    # --- changing ----------------------------------------------------------------------------

    def change(self, number: int, changes: TicketChanges, *,
               expected_version: int | None = None) -> TicketSummary:
        """Change ticket fields as one new version (a stale ``expected_version``: StaleTicket)."""
        return self._writing(lambda session, actor: tickets.update_ticket(
            session, actor=actor, number=number, changes=changes,
            expected_version=expected_version))

    def escalate(self, number: int, *, reason: str, group: str | None = None,
                 unassign: bool = False, expected_version: int | None = None) -> TicketSummary:
        """Move the ticket to the next tier, optionally to ``group`` and unassigned."""
        return self._writing(lambda session, actor: ticket_ops.escalate(
            session, actor=actor, number=number, reason=reason, group=group, unassign=unassign,
            expected_version=expected_version))

    def merge(self, source: int, *, into: int) -> TicketSummary:
        """Merge ticket ``source`` into ``into``: its messages move, it is closed."""
        return self._writing(lambda session, actor: ticket_ops.merge(
            session, actor=actor, source=source, target=into))

    def link(self, number: int, other: int, *, kind: str = "related") -> TicketLinks:
        """Link two tickets as related, or ``number`` as an incident of the problem ``other``."""
        return self._writing(lambda session, actor: _visible_links(session, actor, ticket_ops.link(
            session, actor=actor, number=number, other=other, kind=kind)))

    def unlink(self, number: int, other: int) -> TicketLinks:
        """Remove the link between two tickets."""
        return self._writing(lambda session, actor: _visible_links(
            session, actor, ticket_ops.unlink(session, actor=actor, number=number, other=other)))

    # --- presence and drafts -----------------------------------------------------------------

    def heartbeat(self, number: int, *, activity: str = "viewing") -> None:
        """The agent has the ticket open (``writing``: and is writing on it)."""
        self._writing(lambda session, actor: presence.heartbeat(
            session, actor=actor, number=number, activity=activity), quiet=True)

    def leave(self, number: int) -> None:
        """The agent closed ticket ``number``."""
        self._writing(lambda session, actor: presence.leave(session, actor=actor, number=number),
                      quiet=True)

    def present(self, number: int) -> list[presence.Present]:
        """Who else has ticket ``number`` open now, writers first."""
        with self._reading() as session:
            return presence.present(session, number=number,
                                    me=self._may_see(session, number))

    def save_draft(self, number: int, *, kind: str, body: str,
                   minutes: int | None = None) -> None:
        """Keep what the agent is writing on the ticket (an empty text drops the draft)."""
        def work(session: Session, actor: AgentRead) -> None:
            access.require_ticket_access(session, actor, number)
            drafts.save_draft(session, actor=actor, number=number, kind=kind, body=body,
                              minutes=minutes)

        self._writing(work, quiet=True)


__all__ = ["SEND_KINDS", "SendKind", "TicketCases", "TicketNews", "TicketPage"]

