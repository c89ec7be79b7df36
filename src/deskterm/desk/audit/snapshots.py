"""What the audit log compares: each kind's objects as plain fields, read in the caller's
transaction (see :mod:`.log`).

Fields are the table's columns but for the bookkeeping ones (ids, timestamps, versions, counts
of use, round-robin's place), with the names other rows are known by in place of their ids
(an article's category, a group's members, a policy's calendar). Each read refreshes the
rows it loads, so the snapshot after a change sees what the change wrote, whether through
the session's objects or an UPDATE statement.
"""

from __future__ import annotations

import copy
from collections.abc import Collection, Iterable
from typing import Any

from sqlmodel import Session, SQLModel, col, select

from deskterm.db.models import (
    Agent,
    Article,
    AutomationSettings,
    BusinessCalendar,
    Group,
    GroupMember,
    KbCategory,
    Macro,
    MailSettings,
    Organization,
    Rule,
    SavedView,
    SlaPolicy,
)
from deskterm.desk.audit.log import Seen, Snapshot

BOOKKEEPING = frozenset({
    "id", "created_at", "updated_at", "version", "views", "helpful_votes", "insert_count",
    "link_count", "last_assigned_id", "updated_by_id", "published_at", "created_by_id",
})
"""Columns that change with use or are the store's own, not a setting anyone chose."""

FRESH = {"populate_existing": True}
MANY = 500
"""Most articles a snapshot names in its statement; more are found among all of them."""


def _fields(row: SQLModel, *, skip: Collection[str] = ()) -> dict[str, Any]:
    table = row.__table__  # type: ignore[attr-defined]
    return {column.name: copy.deepcopy(getattr(row, column.name)) for column in table.columns
            if column.name not in BOOKKEEPING and column.name not in skip}


def _names(session: Session, model: Any, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    label = model.username if model is Agent else model.name
    return dict(session.exec(select(model.id, label).where(col(model.id).in_(wanted))).all())


def agents(session: Session, _done: object = None, *,
           usernames: Collection[str] | None = None) -> Snapshot:
    """Every agent (or those named), by id."""
    query = select(Agent).execution_options(**FRESH)
    if usernames is not None:
        query = query.where(col(Agent.username).in_(list(usernames)))
    return {("agent", row.id): Seen("agent", row.username, _fields(row))
            for row in session.exec(query).all()}


def groups(session: Session, _done: object = None) -> Snapshot:
    """Every group, with its members' usernames, by id."""
    rows = session.exec(select(Group).execution_options(**FRESH)).all()
    members: dict[int, list[str]] = {}
    for group_id, username in session.exec(
            select(GroupMember.group_id, Agent.username)
            .join(Agent, col(Agent.id) == col(GroupMember.agent_id))).all():
        members.setdefault(group_id, []).append(username)
    return {("group", row.id): Seen("group", row.name, {
        **_fields(row), "members": sorted(members.get(row.id or 0, []))}) for row in rows}


def people(session: Session, _done: object = None) -> Snapshot:
    """Agents and groups together (a change to one may touch the other: memberships)."""
    return {**agents(session), **groups(session)}


def rules(session: Session, _done: object = None) -> Snapshot:
    """Every rule, by folded name (a rules file replaces the set: ids do not last)."""
    return {("rule", row.name.casefold()): Seen("rule", row.name, _fields(row))
            for row in session.exec(select(Rule).execution_options(**FRESH)).all()}


def macros(session: Session, _done: object = None) -> Snapshot:
    """Every macro, by id, with its creator's username."""
    rows = session.exec(select(Macro).execution_options(**FRESH)).all()
    creators = _names(session, Agent, (row.created_by_id for row in rows))
    return {("macro", row.id): Seen("macro", row.name, {
        **_fields(row), "creator": creators.get(row.created_by_id or 0)}) for row in rows}


def sla(session: Session, _done: object = None) -> Snapshot:
    """Every SLA policy and business calendar, by folded name (``sla load`` replaces them)."""
    calendars = session.exec(select(BusinessCalendar).execution_options(**FRESH)).all()
    policies = session.exec(select(SlaPolicy).execution_options(**FRESH)).all()
    calendar_names = {row.id: row.name for row in calendars}
    organizations = _names(session, Organization, (row.organization_id for row in policies))
    seen: Snapshot = {("calendar", row.name.casefold()): Seen("calendar", row.name, _fields(row))
                      for row in calendars}
    for row in policies:
        seen[("sla", row.name.casefold())] = Seen("sla", row.name, {
            **_fields(row, skip=("calendar_id", "organization_id")),
            "calendar": calendar_names.get(row.calendar_id or 0),
            "organization": organizations.get(row.organization_id or 0)})
    return seen


def categories(session: Session, _done: object = None) -> Snapshot:
    """Every knowledge-base category, by id, with its parent's name."""
    rows = session.exec(select(KbCategory).execution_options(**FRESH)).all()
    names = {row.id: row.name for row in rows}
    return {("category", row.id): Seen("category", row.name, {
        "name": row.name, "parent": names.get(row.parent_id or 0)}) for row in rows}


def articles(session: Session, refs: Collection[int | str]) -> Snapshot:
    """The articles with these ids or slugs (those that exist), by id, with their category's
    and author's names; and every category (writing an article may make one)."""
    ids = [r for r in refs if isinstance(r, int)]
    slugs = [r for r in refs if isinstance(r, str)]
    query = select(Article).execution_options(**FRESH)
    if len(refs) <= MANY:
        rows = session.exec(query.where(col(Article.id).in_(ids) | col(Article.slug).in_(slugs))
                            ).all() if refs else []
    else:  # an import of thousands: past what one statement may bind (SQLite 32,766)
        wanted_ids, wanted_slugs = set(ids), set(slugs)
        rows = [row for row in session.exec(query).all()
                if row.id in wanted_ids or row.slug in wanted_slugs]
    cats = _names(session, KbCategory, (row.category_id for row in rows))
    authors = _names(session, Agent, (row.author_id for row in rows))
    seen = categories(session)
    for row in rows:
        seen[("article", row.id)] = Seen("article", row.slug, {
            **_fields(row, skip=("category_id", "author_id")),
            "category": cats.get(row.category_id or 0), "author": authors.get(row.author_id or 0)})
    return seen


def automation(session: Session, _done: object = None) -> Snapshot:
    """The timers' settings (their defaults until first set)."""
    row = session.exec(select(AutomationSettings).execution_options(**FRESH)).first()
    return {("automation", 1): Seen("automation", "settings",
                                    _fields(row or AutomationSettings()))}


def mail(session: Session, _done: object = None) -> Snapshot:
    """The desk's mail settings (their defaults until first set; they hold no password)."""
    row = session.exec(select(MailSettings).execution_options(**FRESH)).first()
    return {("mail", 1): Seen("mail", "settings", _fields(row or MailSettings()))}


def new_agent(username: str, display_name: str, email: str | None, *, role: str = "agent",
              skills: Collection[str] = ()) -> Seen:
    """An agent made below the ORM (an import), as :func:`agents` would have seen it."""
    return Seen("agent", username, {
        "username": username, "display_name": display_name, "email": email, "role": role,
        "active": True, "skills": sorted(skills), "away": False, "capacity": None})


def new_group(name: str, description: str = "") -> Seen:
    """A group made below the ORM (an import), as :func:`groups` would have seen it."""
    return Seen("group", name, {"name": name, "description": description,
                                "assignment": "manual", "restricted": False, "members": []})


def views(session: Session, _done: object = None) -> Snapshot:
    """Every saved view, by id, named ``owner/name`` (two agents may each have one of a name);
    its owner by user name."""
    rows = session.exec(select(SavedView).execution_options(**FRESH)).all()
    owners = _names(session, Agent, (row.owner_agent_id for row in rows))
    out: Snapshot = {}
    for row in rows:
        owner = owners.get(row.owner_agent_id, "?")
        fields = {**_fields(row, skip=("owner_agent_id",)), "owner": owner}
        out[("view", row.id)] = Seen("view", f"{owner}/{row.name}", fields)
    return out


__all__ = ["BOOKKEEPING", "agents", "articles", "automation", "categories", "groups", "macros",
           "mail", "new_agent", "new_group", "people", "rules", "sla", "views"]
