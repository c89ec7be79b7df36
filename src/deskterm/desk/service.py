"""The use-case API of the desk: what the console, the CLI and a script call.

:class:`Desk` is a store, the acting agent and change watching. Its methods are named in the
help desk's words (``open_ticket``, ``send``, ``change``, ``queue_window``, ``bulk``,
``import_articles`` ...), take keyword arguments and return the domain's frozen read models.
Each chooses its own transaction and checks what the agent may do; screens and commands never
pass a function over a session. The methods live by capability in sibling modules:

- :mod:`deskterm.desk.service_tickets`: opening, filing, sending, changing, linking tickets;
  presence and drafts
- :mod:`deskterm.desk.service_queue`: windows of a filter, counts, selection, bulk actions,
  saved views, the pickers' choices
- :mod:`deskterm.desk.service_kb`: the knowledge base
- :mod:`deskterm.desk.service_mail_fetch`: fetching mail over IMAP; a ticket's attachments
- :mod:`deskterm.desk.service_people`: agents, groups, customers, macros (admin-only actions
  refused here)
- :mod:`deskterm.desk.service_mail`: filing incoming mail, importing mailboxes, the quarantine
- :mod:`deskterm.desk.service_mail_out`: the desk's mail settings, the outbox and sending it
- :mod:`deskterm.desk.service_transfer`: tickets in and out as CSV and JSONL files
- :mod:`deskterm.desk.service_rules`: rules; groups' assignment; agents away and their capacity
- :mod:`deskterm.desk.service_sla`: SLA policies and business calendars
- :mod:`deskterm.desk.service_automation`: the timers (escalation, reminders, auto-close)
  and CSAT ratings
- :mod:`deskterm.desk.service_reports`: the reports, the log of searches that found nothing
- :mod:`deskterm.desk.service_audit`: the audit trail (tickets' events and the setup's log)
- :mod:`deskterm.desk.service_core`: the store, the actor, one transaction per use case
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlmodel import Session

from deskterm import lazy
from deskterm.db import pg_roles
from deskterm.db.engine import Store
from deskterm.db.errors import QueryStopped
from deskterm.db.migrate import require_current_schema
from deskterm.desk.errors import InvalidInput
from deskterm.desk.people import directory as people
from deskterm.desk.reads import AgentRead
from deskterm.desk.service_audit import AuditCases
from deskterm.desk.service_automation import AutomationCases
from deskterm.desk.service_kb import KbCases
from deskterm.desk.service_mail import MailCases
from deskterm.desk.service_mail_fetch import MailFetchCases
from deskterm.desk.service_mail_out import MailOutCases
from deskterm.desk.service_people import PeopleCases
from deskterm.desk.service_queue import QueueCases
from deskterm.desk.service_reports import ReportCases
from deskterm.desk.service_rules import RulesCases
from deskterm.desk.service_sla import SlaCases
from deskterm.desk.service_tickets import TicketCases
from deskterm.desk.service_transfer import TransferCases

if TYPE_CHECKING:
    from deskterm.db import changes
    from deskterm.desk import setup
else:  # the console watches and ``init`` sets up; other commands need neither
    changes = lazy.module("deskterm.db.changes")
    setup = lazy.module("deskterm.desk.setup")

__all__ = ["SQLITE_HAS_NO_ROLES", "Desk", "QueryStopped", "check_per_agent_roles",
           "enable_per_agent_roles",
           "make_first_admin"]
"""``QueryStopped``: what a read stopped for its time or size raises (the store's error,
named here for the screens, which never import the store)."""


class Desk(AutomationCases, TicketCases, QueueCases, KbCases, PeopleCases, MailOutCases,
           MailCases, MailFetchCases, TransferCases, RulesCases, SlaCases, ReportCases,
           AuditCases):
    """A connection to a desk as one agent."""

    @classmethod
    def open(cls, url: str, *, username: str, act_as: str | None = None) -> Desk:
        """Open the desk at ``url`` as ``username``; refuses an out-of-date schema or a stranger."""
        store = Store(url, create=False)
        try:
            require_current_schema(store)
            desk = cls(store, username=username, act_as=act_as)
            desk.actor  # noqa: B018  (resolved now: a stranger is refused before any screen)
        except Exception:
            store.dispose()
            raise
        return desk

    def watch(self) -> changes.ChangeWatcher:
        """A watcher for changes by other processes (one per thread that waits on it)."""
        return changes.ChangeWatcher(self.store)

    def close(self) -> None:
        self.store.dispose()


def check_per_agent_roles(store: Store, *, agents_role: str, role_prefix: str) -> None:
    """Refuse ``init --per-agent-roles`` before it changes anything: SQLite, a name deskterm
    does not write, a role that may not create roles."""
    if store.is_sqlite:
        raise InvalidInput(SQLITE_HAS_NO_ROLES)
    try:
        pg_roles.check_role_name(agents_role, what="--agents-role")
        pg_roles.check_role_name(role_prefix, what="--role-prefix")
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None
    with store.engine.connect() as connection:
        if not pg_roles.can_create_roles(connection):
            raise InvalidInput(f"--per-agent-roles: the database role of {store.display_url} "
                               "may not create roles: run it as the desk's owner with "
                               "CREATEROLE (ALTER ROLE ... CREATEROLE)")


def enable_per_agent_roles(store: Store, *, agents_role: str, role_prefix: str
                           ) -> list[tuple[str, str]]:
    """Give every active agent of a PostgreSQL desk a database role of their own (``deskterm
    init --per-agent-roles``, run by the owner): the group role, its grants, one LOGIN role per
    agent; (username, role) of each. One transaction: refused whole or done whole."""
    if store.is_sqlite:
        raise InvalidInput(SQLITE_HAS_NO_ROLES)

    def enabling(session: Session) -> list[tuple[str, str]]:
        try:
            pg_roles.enable(session.connection(), agents_role=agents_role,
                            role_prefix=role_prefix)
        except ValueError as exc:
            raise InvalidInput(str(exc)) from None
        given = []
        for agent in people.list_agents(session, include_inactive=False):
            role = pg_roles.give_role(session, agent.id)
            assert role is not None  # the settings were written just now
            given.append((agent.username, role))
        return given

    return store.write(enabling)


SQLITE_HAS_NO_ROLES = (
    "--per-agent-roles needs a PostgreSQL desk: a SQLite desk is one file every agent must be "
    "able to write, so no database role can hold an agent back (see the README)")


def make_first_admin(store: Store, *, username: str, display_name: str | None = None,
                     email: str | None = None) -> AgentRead | None:
    """Make ``username`` the admin of a desk that has no agents yet (``deskterm init``: there
    is no one to act as before it); None if the desk has agents already."""
    from deskterm.desk.audit import log as audit_log
    from deskterm.desk.audit import snapshots

    def first(session: Session) -> AgentRead | None:
        made = setup.ensure_first_admin(session, username=username,
                                        display_name=display_name, email=email)
        if made is not None:  # the audit trail starts with them, made by themselves
            session.flush()
            audit_log.record(session, actor_id=made.id, before={},
                             after=snapshots.agents(session, usernames=[made.username]))
        return made

    return store.write(first)
