"""Saved views: named queue filters, personal to the agent who saved them or shared with the team.

Names: each agent has at most one view of a name (saving under it again replaces it), and the
team has at most one shared view of a name. Saving a view named like a teammate's shared view is
refused, so a name in the views menu means one thing; an admin saving under that name replaces
the shared view instead. A personal view may keep a name a teammate shares later: the agent's
own view comes first when a name is looked up.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from deskterm.db.errors import WriteConflict
from deskterm.db.models import Agent, SavedView, key
from deskterm.db.types import utcnow
from deskterm.desk.errors import InvalidInput, NotFound, PermissionDenied
from deskterm.desk.filter.language import parse_query
from deskterm.desk.filter.sql import parse_sort
from deskterm.desk.limits import check_name, check_text, storable
from deskterm.desk.people.directory import find_agent
from deskterm.desk.reads import AgentRead

MAX_NAME = 60
MAX_QUERY = 2_000


@dataclass(frozen=True)
class SavedViewRead:
    id: int
    name: str
    query: str
    sort: str
    shared: bool
    owner: str
    """The username of the agent who saved it."""


def _owner_name(session: Session, view: SavedView) -> str:
    """The username of the agent who saved ``view`` (its foreign key keeps the agent)."""
    owner = session.get(Agent, view.owner_agent_id)
    if owner is None:
        raise NotFound(f"saved view '{view.name}': no agent {view.owner_agent_id}")
    return owner.username


def _read(view: SavedView, owner: str) -> SavedViewRead:
    return SavedViewRead(id=key(view), name=view.name, query=view.query, sort=view.sort,
                         shared=view.shared, owner=owner)


def _check_name(name: str) -> str:
    return check_name(" ".join(name.split()), field="view name", max_length=MAX_NAME)


def _check_sort(sort: str) -> str:
    """``-updated``, ``priority`` ...: one of the list orders, optionally descending."""
    cleaned = sort.strip().lower()
    if cleaned.startswith("+"):
        cleaned = cleaned[1:]
    name, descending = parse_sort(cleaned)
    if cleaned.lstrip("-") != name or len(cleaned) - len(name) > 1:
        raise InvalidInput(f"sort '{sort}' is not a sort order like -updated or priority")
    return f"-{name}" if descending else name


def _check_query(query: str) -> str:
    """The query as typed, if the filter language accepts it (QueryError says where not)."""
    query = check_text(query, field="view query")
    if len(query) > MAX_QUERY:
        raise InvalidInput(f"view query: longer than {MAX_QUERY:,} characters")
    parse_query(query)
    return query.strip()


def _shared_named(session: Session, name: str) -> SavedView | None:
    if not storable(name):
        return None
    return session.exec(
        select(SavedView).where(SavedView.name == name, col(SavedView.shared).is_(True))
    ).first()


def _own_named(session: Session, owner_id: int, name: str) -> SavedView | None:
    if not storable(name):
        return None
    return session.exec(
        select(SavedView).where(SavedView.owner_agent_id == owner_id, SavedView.name == name)
    ).first()


def save_view(
    session: Session,
    *,
    actor: AgentRead,
    name: str,
    query: str,
    sort: str = "-updated",
    shared: bool = False,
) -> SavedViewRead:
    """Save (or replace) the view ``name``; ``shared`` shows it to the whole team.

    Refuses (InvalidInput) a bad name, sort or query (a
    :class:`~deskterm.desk.filter.language.QueryError` with the position of the bad term), and a
    name a teammate already shares, unless the actor is an admin: then that shared view is
    replaced.
    """
    name = _check_name(name)
    sort = _check_sort(sort)
    query = _check_query(query)
    now = utcnow()
    own = _own_named(session, actor.id, name)
    theirs = _shared_named(session, name)
    if theirs is not None and theirs.owner_agent_id == actor.id:
        theirs = None
    if theirs is not None and (shared or own is None):
        owner = _owner_name(session, theirs)
        if not actor.is_admin:
            raise InvalidInput(f"view '{name}' is already shared by {owner}: choose another "
                               "name (only its owner or an admin can replace it)")
        if not shared:
            raise InvalidInput(f"view '{name}' is already shared by {owner}: choose another "
                               "name, or save it shared to replace theirs")
    if shared and theirs is not None:
        view = theirs  # an admin replaces the team's view; it stays its owner's
    elif own is not None:
        view = own
    else:
        view = SavedView(name=name, owner_agent_id=actor.id, created_at=now)
    view.query = query
    view.sort = sort
    view.shared = shared
    view.updated_at = now
    session.add(view)
    try:
        session.flush()
    except IntegrityError as exc:
        # A teammate saved the same name at the same moment: the whole write runs again, and
        # the checks above then explain the clash.
        raise WriteConflict(f"view {name} was saved concurrently") from exc
    return _read(view, _owner_name(session, view))


def list_views(session: Session, *, me: str) -> list[SavedViewRead]:
    """``me``'s personal views and every shared view, by name (own first on a tie)."""
    agent = find_agent(session, me)
    rows = session.exec(
        select(SavedView, Agent.username)
        .join(Agent, col(Agent.id) == col(SavedView.owner_agent_id))
        .where(or_(col(SavedView.owner_agent_id) == agent.id, col(SavedView.shared).is_(True)))
    ).all()
    views = [_read(view, username) for view, username in rows]
    return sorted(views, key=lambda v: (v.name.casefold(), v.name, v.owner != me, v.id))


def get_view(session: Session, *, me: str, name: str) -> SavedViewRead:
    """The view ``me`` means by ``name``: their own, else the shared one."""
    agent = find_agent(session, me)
    cleaned = " ".join(name.split())
    view = _own_named(session, key(agent), cleaned) or _shared_named(session, cleaned)
    if view is None:
        raise NotFound(f"no saved view '{cleaned}'")
    return _read(view, _owner_name(session, view))


def delete_view(session: Session, *, actor: AgentRead, name: str) -> None:
    """Delete the actor's view ``name``, or the shared one of that name (its owner or an admin)."""
    cleaned = " ".join(name.split())
    view = _own_named(session, actor.id, cleaned)
    if view is None:
        view = _shared_named(session, cleaned)
        if view is None:
            raise NotFound(f"no saved view '{cleaned}'")
        if not actor.is_admin:
            raise PermissionDenied(
                f"view '{cleaned}' is shared by {_owner_name(session, view)}: only they or an "
                "admin can delete it"
            )
    session.delete(view)
    session.flush()


__all__ = ["SavedViewRead", "delete_view", "get_view", "list_views", "save_view"]
