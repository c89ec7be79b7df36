"""Writing the audit log: one row per changed field, in the transaction of the change.

A use case takes a :data:`Snapshot` of what it may change before and after its work and hands
both to :func:`record`, which writes a row for each field that differs, a ``created`` row for
an object that appeared and a ``deleted`` row for one that went away. Comparing snapshots
rather than listing changes by hand means no field can change without its row, whichever
function changed it (``rules load`` and ``sla load`` replace whole sets at once).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlmodel import Session

from deskterm.db.models import AuditEntry
from deskterm.db.types import utcnow

KINDS = ("agent", "group", "rule", "macro", "sla", "calendar", "article", "category",
         "automation", "mail", "view")
"""The kinds of object the log records (``ticket`` is the events table's)."""

CREATED = "created"
DELETED = "deleted"
OBJECT_LENGTH = 200
FIELD_LENGTH = 64
VIA_LENGTH = 120


@dataclass(frozen=True)
class Seen:
    """One object as a snapshot saw it: its kind, its name, its fields."""

    kind: str
    name: str
    fields: Mapping[str, Any]


Snapshot = dict[tuple[str, object], Seen]
"""What a use case may change, by (kind, a key that stays the same across a rename: an id, or
for sets replaced whole a folded name)."""


def as_text(value: Any) -> str | None:
    """A field's value as the log keeps it (None stays None)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple | dict):
        return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    return str(value)


def _whole(fields: Mapping[str, Any]) -> str:
    return json.dumps({name: fields[name] for name in sorted(fields)}, ensure_ascii=False,
                      default=str)


def record(session: Session, *, actor_id: int | None, before: Snapshot, after: Snapshot,
           via: str | None = None) -> int:
    """Write a row for every difference between ``before`` and ``after`` (in the caller's
    transaction); how many rows were written."""
    at = utcnow()
    rows: list[AuditEntry] = []

    def row(seen: Seen, field: str, old: str | None, new: str | None) -> None:
        rows.append(AuditEntry(at=at, actor_agent_id=actor_id,
                               via=via[:VIA_LENGTH] if via else None, kind=seen.kind,
                               object=seen.name[:OBJECT_LENGTH], field=field[:FIELD_LENGTH],
                               old=old, new=new))

    for key, was in before.items():
        if key not in after:
            row(was, DELETED, _whole(was.fields), None)
    for key, now in after.items():
        was_seen = before.get(key)
        if was_seen is None:
            row(now, CREATED, None, _whole(now.fields))
            continue
        for field in sorted(set(was_seen.fields) | set(now.fields)):
            old, new = as_text(was_seen.fields.get(field)), as_text(now.fields.get(field))
            if old != new:
                row(now, field, old, new)
    session.add_all(rows)
    return len(rows)


def created_rows(*, at: Any, actor_id: int | None, via: str | None, seen: list[Seen]
                 ) -> list[tuple[Any, ...]]:
    """The ``created`` rows of objects made below the ORM (an import's agents and groups),
    as tuples of ``(at, actor_agent_id, via, kind, object, field, old, new)``, worded as
    :func:`record` words them."""
    return [(at, actor_id, via[:VIA_LENGTH] if via else None, one.kind,
             one.name[:OBJECT_LENGTH], CREATED, None, _whole(one.fields)) for one in seen]


def record_one(session: Session, *, actor_id: int | None, kind: str, name: str, field: str,
               old: Any, new: Any, via: str | None = None) -> None:
    """One change that no snapshot covers."""
    seen_before = Seen(kind, name, {field: old})
    seen_after = Seen(kind, name, {field: new})
    record(session, actor_id=actor_id, before={(kind, name): seen_before},
           after={(kind, name): seen_after}, via=via)


__all__ = ["CREATED", "DELETED", "KINDS", "Seen", "Snapshot", "as_text", "created_rows", "record",
           "record_one"]
