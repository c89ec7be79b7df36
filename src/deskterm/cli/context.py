"""What every command shares: the desk (the use-case API, as the console's), the input helpers."""

from __future__ import annotations

import gc
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import typer

from deskterm.cli import lazy
from deskterm.desk.errors import InvalidInput
from deskterm.desk.limits import MAX_READ
from deskterm.desk.people import identity
from deskterm.desk.safe_text import clean_line

if TYPE_CHECKING:
    from deskterm.config import Settings
    from deskterm.db.engine import Store
    from deskterm.desk.service import Desk

# The store and the desk (SQLAlchemy, SQLModel, the models) load when a command opens the
# store, not when the CLI starts: ``--help`` and ``--version`` need none of it.
config = lazy.module("deskterm.config")
engine = lazy.module("deskterm.db.engine")
migrate = lazy.module("deskterm.db.migrate")
service = lazy.module("deskterm.desk.service")

T = TypeVar("T")


@dataclass
class CliContext:
    """Options given before the command (``deskterm --db URL --as NAME ...``)."""

    db: str | None = None
    act_as: str | None = None
    _settings: Settings | None = None
    _store: Store | None = field(default=None, repr=False)
    _desk: Desk | None = field(default=None, repr=False)

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = config.load_settings()
        return self._settings

    def database_url(self) -> str:
        return self.settings.resolved_database_url(self.db)

    def store(self, *, check_schema: bool = True, create: bool = False,
              shared_group: str | None = None) -> Store:
        """The store, refused with a clear line if its schema is not this deskterm's.
        ``create``: a SQLite file that does not exist yet is made (``init`` and ``demo`` only);
        ``shared_group``: its folder and files are shared with that Unix group."""
        if self._store is None:
            self._store = engine.Store(self.database_url(), create=create,
                                       shared_group=shared_group)
            if check_schema:
                migrate.require_current_schema(self._store)
            if not gc.isenabled():  # disabled while deskterm started (deskterm.launch)
                gc.freeze()  # what is loaded stays: out of the collector's way
                gc.enable()
        return self._store

    def username(self) -> str:
        return identity.os_username()

    def plain(self, read: Callable[[str, str, str | None], T]) -> T | None:
        """What ``read(url, username, act_as)`` reads without the store
        (:mod:`deskterm.desk.plain_reads`); None when it cannot answer (``NotCovered``) or
        fails in any other way: the command then reads through the store, which is the
        authority and words every refusal (the same line and exit code as ever)."""
        try:
            return read(self.database_url(), self.username(), self.act_as)
        except Exception:
            return None

    def desk(self) -> Desk:
        """The desk as the operating-system user (or, ``--as``, the agent an admin acts as):
        the same use cases the console calls. The agent is looked up by the first one."""
        if self._desk is None:
            self._desk = service.Desk(self.store(), username=self.username(),
                                      act_as=self.act_as)
        return self._desk

    def close(self) -> None:
        if self._store is not None:
            self._store.dispose()


def ctx_obj(ctx: typer.Context) -> CliContext:
    root = ctx.find_root()
    if not isinstance(root.obj, CliContext):
        root.obj = CliContext()
    return root.obj


def read_body(body: str) -> str:
    """``--body -`` reads the text from standard input (at most :data:`MAX_READ` characters:
    more is refused, never cut)."""
    if body == "-":
        text = sys.stdin.read(MAX_READ + 1)
        if len(text) > MAX_READ:
            raise InvalidInput(f"standard input: more than {MAX_READ:,} characters (a text is "
                               "at most 1,000,000); nothing was done")
        return text
    return body


def read_text_file(path: Path, *, kind: str) -> str:
    """The UTF-8 text of ``path`` (a ``kind`` such as "a rules file"), at most
    :data:`MAX_READ` bytes; any problem is one line naming the file."""
    shown = clean_line(str(path))
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_READ + 1)
    except FileNotFoundError:
        raise InvalidInput(f"{shown}: no such file") from None
    except IsADirectoryError:
        raise InvalidInput(f"{shown}: is a directory, not {kind}") from None
    except OSError as exc:
        raise InvalidInput(f"{shown}: cannot be read ({exc.strerror or exc})") from None
    if len(data) > MAX_READ:
        raise InvalidInput(f"{shown}: larger than {MAX_READ:,} bytes, not {kind}")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput(f"{shown}: not UTF-8 text") from None


def split_list(value: str | None) -> tuple[str, ...]:
    """``a,b , c`` -> ('a', 'b', 'c')."""
    if not value:
        return ()
    return tuple(part.strip() for part in value.split(",") if part.strip())
