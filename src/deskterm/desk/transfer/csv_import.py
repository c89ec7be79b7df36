"""``deskterm import csv``: tickets from a CSV file, all or nothing, in batches.

The file is read once, in batches of :data:`BATCH` rows, inside one transaction
(:class:`deskterm.db.ticket_import.TicketLoad`). Every row is checked; the good ones are written
as they come, and at the end the transaction commits only if no row had a problem (or
``skip_invalid`` said to leave the bad ones out) and it was not a dry run. So a dry run checks
exactly what an import would, and reports the same counts.

Names are matched, or created:

- requesters by e-mail address (lower-cased); one known only by name by that name among the
  customers without an address; a new one joins the organization named in the row, else the
  organization of its address's domain;
- organizations and groups by name, whatever the case;
- assignees by username, e-mail or display name, whatever the case, among the desk's agents.
  An assignee the desk does not know is a problem of its row, unless ``create_agents``: then an
  agent is added (username from the address or the name), so that history keeps who did the
  work;
- tags by name.

A row whose id (``external_id``) was imported before updates that ticket: its fields, its tags
and its first message's text; a second row with the same id in one file is a problem.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from deskterm.db.engine import Store
from deskterm.db.ticket_import import TicketLoad, timestamp_value
from deskterm.db.types import utcnow
from deskterm.desk.audit import log as audit_log
from deskterm.desk.audit import snapshots
from deskterm.desk.errors import InvalidInput
from deskterm.desk.transfer.csv_in import (
    CheckedRows,
    CsvFile,
    Problem,
    RawRow,
    RowChecker,
    TicketRow,
    checked_rows,
)

BATCH = 2_000
AUDIT_VIA = "import csv"
"""The audit log's ``via`` of the agents and groups an import makes."""
"""Rows checked and written together (their names looked up in one query each)."""


@dataclass
class ImportReport:
    """What an import did (or, refused or dry, would have done)."""

    rows: int = 0
    created: int = 0
    updated: int = 0
    customers: int = 0
    organizations: int = 0
    agents: int = 0
    groups: int = 0
    tags: int = 0
    problems: list[Problem] = field(default_factory=list)
    committed: bool = False


class ImportRefused(InvalidInput):
    """Some rows had problems and nothing was imported (:attr:`report` lists them)."""

    def __init__(self, report: ImportReport) -> None:
        super().__init__(f"nothing was imported: {len(report.problems)} problem(s)")
        self.report = report


Reject = Callable[[RawRow, str], None]
"""Told each row left out, with the reason (``--skip-invalid`` writes them to a file)."""


def _folded(name: str) -> str:
    return " ".join(name.casefold().split())


def _distinct(values: Iterable[str | None]) -> list[str | None]:
    """``values`` without repeats, in the order they first come."""
    return list(dict.fromkeys(values))


_USERNAME_OUT = re.compile(r"[^a-z0-9._-]+")


class _Names:
    """The desk's names and the ids they have (or get) in this import."""

    def __init__(self, load: TicketLoad, report: ImportReport, *, create_agents: bool,
                 now: datetime, actor_id: int | None = None) -> None:
        self.load = load
        self.report = report
        self.create_agents = create_agents
        self.now = now
        self.actor_id = actor_id
        """Who imports: the audit log's actor for the agents and groups the import makes."""
        self.organizations: dict[str, int] = {}
        self.domains: dict[str, int] = {}
        for number, name, domain in load.organizations():
            self.organizations[_folded(name)] = number
            if domain:
                self.domains.setdefault(domain.lower(), number)
        self.groups = {_folded(name): number for number, name in load.groups()}
        self.agents: dict[str, int] = {}
        self.usernames: set[str] = set()
        for number, username, display_name, email, _active in load.agents():
            self.usernames.add(username.lower())
            for known in (display_name, email, username):  # the username wins a clash
                if known:
                    self.agents[_folded(known)] = number
        self.by_email: dict[str, int] = {}
        self.by_name: dict[str, int] = {}
        self.tags: dict[str, int] = {}

    def _audit(self, seen: list[audit_log.Seen]) -> None:
        """The audit log's ``created`` rows for the agents or groups just inserted, in the
        import's transaction (rolled back with it)."""
        self.load.insert("audit_log", audit_log.created_rows(
            at=self.load.value(self.now), actor_id=self.actor_id, via=AUDIT_VIA, seen=seen))

    def unknown_agent(self, assignee: str) -> bool:
        return not self.create_agents and _folded(assignee) not in self.agents

    def _username(self, assignee: str) -> str:
        base = assignee.split("@", 1)[0] if "@" in assignee else assignee
        base = _USERNAME_OUT.sub(".", base.casefold()).strip(".-") or "agent"
        base = base[:56]
        name, suffix = base, 1
        while name in self.usernames:
            suffix += 1
            name = f"{base}{suffix}"
        self.usernames.add(name)
        return name

    def resolve(self, rows: list[TicketRow]) -> None:
        """Look up, or create, every name ``rows`` use."""
        load, now = self.load, self.load.value(self.now)
        # Organizations named in the rows.
        # (Each distinct name folded once, not once per row.)
        new_orgs = sorted((name for name in {row.organization for row in rows}
                           if name and _folded(name) not in self.organizations), key=_folded)
        new_orgs = list({_folded(name): name for name in new_orgs}.values())
        ids = load.new_ids("organizations", len(new_orgs))
        load.insert("organizations", [(i, name, None, now) for i, name in zip(ids, new_orgs,
                                                                                strict=True)])
        self.organizations.update((_folded(n), i) for i, n in zip(ids, new_orgs, strict=True))
        self.report.organizations += len(new_orgs)
        # Requesters with an address, then those known only by name.
        # (Tested against the dicts: a set of every address known so far, made per batch,
        # cost more than the look-ups.)
        by_email, by_name = self.by_email, self.by_name
        emails = {row.requester_email for row in rows if row.requester_email
                  and row.requester_email not in by_email}
        self.by_email.update(load.customers_by_email(emails))
        fresh: dict[str, TicketRow] = {}
        for row in rows:
            if row.requester_email and row.requester_email not in self.by_email:
                fresh.setdefault(row.requester_email, row)
        names = {row.requester_name for row in rows if not row.requester_email
                 and row.requester_name and row.requester_name not in by_name}
        self.by_name.update(load.customers_without_email(names))
        nameless: dict[str, TicketRow] = {}
        for row in rows:
            if (not row.requester_email and row.requester_name
                    and row.requester_name not in self.by_name):
                nameless.setdefault(row.requester_name, row)
        ids = load.new_ids("customers", len(fresh) + len(nameless))
        customers: list[tuple[object, ...]] = []
        for number, (email, row) in zip(ids, fresh.items(), strict=False):
            customers.append((number, row.requester_name or email.split("@", 1)[0], email,
                              self._organization_of(row, email), False, "standard", now))
            self.by_email[email] = number
        for number, (name, row) in zip(ids[len(fresh):], nameless.items(), strict=True):
            customers.append((number, name, None, self._organization_of(row, None), False,
                              "standard", now))
            self.by_name[name] = number
        load.insert("customers", customers)
        self.report.customers += len(customers)
        # Groups, agents, tags.
        new_groups = list({_folded(name): name for name in _distinct(row.group for row in rows)
                           if name and _folded(name) not in self.groups}.values())
        ids = load.new_ids("agent_groups", len(new_groups))
        load.insert("agent_groups", [(i, name, "", now) for i, name in zip(ids, new_groups,
                                                                             strict=True)])
        self._audit([snapshots.new_group(name) for name in new_groups])
        self.groups.update((_folded(n), i) for i, n in zip(ids, new_groups, strict=True))
        self.report.groups += len(new_groups)
        new_agents = list({_folded(name): name for name in _distinct(row.assignee
                                                                        for row in rows)
                           if name and _folded(name) not in self.agents}.values())
        ids = load.new_ids("agents", len(new_agents))
        agents: list[tuple[object, ...]] = []
        for number, name in zip(ids, new_agents, strict=True):
            address = name.lower() if "@" in name else None
            agents.append((number, self._username(name), name.split("@", 1)[0] if address
                           else name, address, "agent", True, [], now))
            self.agents[_folded(name)] = number
        load.insert("agents", agents)
        self._audit([snapshots.new_agent(str(row[1]), str(row[2]), row[3])  # type: ignore[arg-type]
                     for row in agents])
        self.report.agents += len(agents)
        known_tags = self.tags
        wanted = {tag for row in rows for tag in row.tags if tag not in known_tags}
        self.tags.update(load.tags(wanted))
        new_tags = sorted(wanted - set(self.tags))
        ids = load.new_ids("tags", len(new_tags))
        load.insert("tags", list(zip(ids, new_tags, strict=True)))
        self.tags.update(zip(new_tags, ids, strict=True))
        self.report.tags += len(new_tags)

    def _organization_of(self, row: TicketRow, email: str | None) -> int | None:
        if row.organization:
            return self.organizations[_folded(row.organization)]
        if email:
            return self.domains.get(email.rsplit("@", 1)[1])
        return None

    def requester(self, row: TicketRow) -> int:
        if row.requester_email:
            return self.by_email[row.requester_email]
        assert row.requester_name is not None
        return self.by_name[row.requester_name]


def _dates(row: TicketRow, now: datetime) -> tuple[datetime, datetime, datetime | None,
                                                   datetime | None]:
    """created, updated, solved, closed: what the row gives, completed sensibly (a solved
    ticket has a solved time; an unsolved one none)."""
    created = row.created_at or now
    solved = closed = None
    if row.status in ("solved", "closed"):
        solved = row.solved_at or row.closed_at or row.updated_at or created
        if row.status == "closed":
            closed = row.closed_at or row.updated_at or solved
    # (The latest of them, compared one by one: max() of a generator cost more than the rest.)
    updated = row.updated_at
    if updated is None or updated < created:
        updated = created
    if solved is not None and solved > updated:
        updated = solved
    if closed is not None and closed > updated:
        updated = closed
    return created, updated, solved, closed


def stored_dates(value: Callable[[datetime | None], object],
                 now: datetime) -> Callable[[TicketRow], tuple[object, object, object, object]]:
    """What gives a row's :func:`_dates` as the store takes them (``value``: the store's
    :func:`deskterm.db.ticket_import.timestamp_value`)."""

    def dates(row: TicketRow) -> tuple[object, object, object, object]:
        created, updated, solved, closed = _dates(row, now)
        return (value(created), value(updated), None if solved is None else value(solved),
                None if closed is None else value(closed))

    return dates


class _Writer:
    def __init__(self, load: TicketLoad, names: _Names, report: ImportReport,
                 now: datetime) -> None:
        self.load = load
        self.names = names
        self.report = report
        self.now = now
        self.seen_ids: dict[str, int] = {}
        self._assignees: dict[str, int] = {}  # a cell's text: its agent (not folded again)
        self._groups: dict[str, int] = {}

    def write(self, batch: list[TicketRow]) -> None:
        load, names = self.load, self.names
        names.resolve(batch)
        existing = load.tickets_by_external_id(
            {row.external_id for row in batch if row.external_id})
        new = [row for row in batch if row.external_id not in existing]
        again = [row for row in batch if row.external_id in existing]
        if again:
            updates = []
            for row in again:
                updates.append((row.subject, row.status, row.priority, row.type, row.channel,
                                names.requester(row), self._assignee(row), self._group(row),
                                *self._stored_dates(row), existing[row.external_id or ""]))
            load.update_tickets(updates)
            load.update_first_messages([(row.body, existing[row.external_id or ""])
                                        for row in again if row.body])
            numbers = [existing[row.external_id or ""] for row in again]
            load.replace_tags(numbers)
            load.insert("ticket_tags", [(number, names.tags[tag])
                                        for number, row in zip(numbers, again, strict=True)
                                        for tag in row.tags])
            self.report.updated += len(again)
        if not new:
            return
        numbers = list(load.ticket_numbers(len(new)))
        message_ids = load.new_ids("messages", sum(1 for row in new if row.body))
        tickets: list[tuple[object, ...]] = []
        messages: list[tuple[object, ...]] = []
        tags: list[tuple[int, int]] = []
        next_message = iter(message_ids)
        for number, row in zip(numbers, new, strict=True):
            created, updated, solved, closed = self._stored_dates(row)
            requester = names.requester(row)
            tickets.append((number, row.subject, row.status, row.priority, row.type,
                            row.channel, requester, self._assignee(row), self._group(row), 1,
                            created, updated, None, solved, closed, 0, 1, None,
                            None, row.external_id))
            if row.body:
                messages.append((next(next_message), number, None, requester, True, row.body,
                                 created, None, None, None))
            tags.extend((number, names.tags[tag]) for tag in row.tags)
        load.insert("tickets", tickets)
        load.insert("messages", messages)
        load.insert("ticket_tags", tags)
        self.report.created += len(new)

    def _stored_dates(self, row: TicketRow) -> tuple[object, object, object, object]:
        """created, updated, solved, closed as the store takes them (made by the check, in the
        reading process when there is one: :func:`stored_dates`)."""
        if row.extra is None:
            row.extra = stored_dates(self.load.value, self.now)(row)
        return row.extra  # type: ignore[return-value]

    def _assignee(self, row: TicketRow) -> int | None:
        if not row.assignee:
            return None
        known = self._assignees.get(row.assignee)
        if known is None:
            known = self._assignees[row.assignee] = self.names.agents[_folded(row.assignee)]
        return known

    def _group(self, row: TicketRow) -> int | None:
        if not row.group:
            return None
        known = self._groups.get(row.group)
        if known is None:
            known = self._groups[row.group] = self.names.groups[_folded(row.group)]
        return known


def import_csv(store: Store, source: CsvFile, *, dry_run: bool = False,
               skip_invalid: bool = False, create_agents: bool = False,
               reject: Reject | None = None,
               progress: Callable[[int], None] | None = None,
               parallel: bool | None = None, actor_id: int | None = None) -> ImportReport:
    """Import the tickets of ``source`` into ``store`` (see the module's docstring).

    Raises :class:`ImportRefused` (nothing written) when a row has a problem and
    ``skip_invalid`` is false; ``reject`` is told each row left out otherwise. ``progress``:
    the bytes of the file read so far. ``parallel``: read and check the file in a helper
    process (None: if it is big; see :func:`deskterm.desk.transfer.csv_in.checked_rows`).
    ``actor_id``: who imports, the audit log's actor for the agents and groups it makes."""
    report = ImportReport()
    now = utcnow()
    checker = RowChecker(source, extra=stored_dates(timestamp_value(store.is_sqlite), now))
    with _no_cycle_collection():  # (before the fork: the reading helper inherits it)
        rows = checked_rows(source, checker, cells_of_accepted=reject is not None
                            and skip_invalid and not create_agents, parallel=parallel)
        try:
            return _import(store, rows, source, checker, report, now, dry_run=dry_run,
                           skip_invalid=skip_invalid, create_agents=create_agents,
                           reject=reject, progress=progress, actor_id=actor_id)
        finally:
            rows.close()


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """Python's cycle collector off while rows stream through (back on after, as it was).

    An import makes hundreds of thousands of tuples and rows, none of them in a reference
    cycle, and the collector kept scanning them: 6% of the CPU time of a 100,000-ticket
    import (bench/intake.py). Reference counting still frees every row as it goes; a cycle
    made meanwhile is collected once the collector is back on."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _import(store: Store, rows: CheckedRows, source: CsvFile, checker: RowChecker,
            report: ImportReport, now: datetime, *, dry_run: bool, skip_invalid: bool,
            create_agents: bool, reject: Reject | None,
            progress: Callable[[int], None] | None, actor_id: int | None) -> ImportReport:
    with TicketLoad(store, checked=True) as load:
        names = _Names(load, report, create_agents=create_agents, now=now, actor_id=actor_id)
        writer = _Writer(load, names, report, now)
        batch: list[TicketRow] = []

        def refuse(raw: RawRow, problems: Iterable[Problem]) -> None:
            found = list(problems)
            report.problems.extend(found)
            if reject is not None and skip_invalid:
                reject(raw, "; ".join(str(p).split(": ", 1)[-1] if p.column is None
                                      else f"{p.column}: {p.reason}" for p in found))

        def flush(read: int) -> None:
            if batch and (skip_invalid or not report.problems):
                writer.write(batch)
            batch.clear()
            if progress is not None:
                progress(read or source.bytes_read())

        read = 0
        for (raw, checked), read in rows:
            report.rows += 1
            if isinstance(checked, list):
                refuse(raw, checked)
                continue
            if checked.assignee and names.unknown_agent(checked.assignee):
                refuse(raw, [Problem(raw.line, source.header[checker.positions["assignee"]],
                                     f"no agent '{checked.assignee[:60]}' on this desk (add "
                                     "them, or import with --create-agents)")])
                continue
            if checked.external_id is not None:
                first = writer.seen_ids.setdefault(checked.external_id, raw.line)
                if first != raw.line:
                    refuse(raw, [Problem(raw.line, source.header[
                        checker.positions["external_id"]], f"id '{checked.external_id[:60]}' "
                        f"is also the id of line {first}")])
                    continue
            batch.append(checked)
            if len(batch) >= BATCH:
                flush(read)
        flush(read)
        if report.problems and not skip_invalid:
            raise ImportRefused(report)
        if not dry_run:
            load.commit()
            report.committed = True
    return report
