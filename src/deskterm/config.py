"""Settings: the database URL and the keymap, from ``DESKTERM_*`` variables and config.toml.

Precedence, highest first: ``--db``, ``DESKTERM_DATABASE_URL``, ``config.toml``, the default SQLite
file in the user data directory. Read with the standard library only: the console reads its
settings before anything else, and every import made before its first paint is waited for.
"""

from __future__ import annotations

import json
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from deskterm import paths

ENV_PREFIX = "DESKTERM_"


class ConfigError(Exception):
    """The config file is unreadable or holds a bad value."""


@dataclass(frozen=True)
class Settings:
    """deskterm's settings. Each field can be set in config.toml or as ``DESKTERM_<FIELD>``."""

    database_url: str | None = None
    """SQLAlchemy URL of the store: ``sqlite:///path`` or ``postgresql://user@host/db``."""

    keymap: dict[str, str] = field(default_factory=dict)
    """Binding id -> keys, to remap the console's keys (e.g. ``queue.take = "ctrl+t"``).
    As a variable: ``DESKTERM_KEYMAP='{"queue.take": "ctrl+t"}'``."""

    def resolved_database_url(self, override: str | None = None) -> str:
        """The URL to use: the command line's, else the configured one, else the default file."""
        return override or self.database_url or paths.default_database_url()


def _read_file(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    except RecursionError:  # tomllib reads nested arrays and tables by recursion
        raise ConfigError(f"{path}: not valid TOML: arrays or tables nested too deeply") from None


def _database_url(value: Any, where: str) -> str | None:
    if value is None or isinstance(value, str):
        return value or None
    raise ConfigError(f"{where}: database_url: must be a string (a database URL)")


def _keymap(value: Any, where: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise ConfigError(f"{where}: keymap: must be a table of binding ids to keys "
                          '(e.g. "queue.take" = "ctrl+t")')
    return dict(value)


def load_settings() -> Settings:
    """Read settings; a bad config file (or variable) raises ConfigError naming it."""
    path = paths.config_file()
    values = _read_file(path)
    where = str(path)
    url = _database_url(values.get("database_url"), where)
    keymap = _keymap(values.get("keymap"), where)
    env_url = os.environ.get(f"{ENV_PREFIX}DATABASE_URL")
    if env_url:
        url = env_url
    env_keymap = os.environ.get(f"{ENV_PREFIX}KEYMAP")
    if env_keymap:
        variable = f"${ENV_PREFIX}KEYMAP"
        try:
            keymap = _keymap(json.loads(env_keymap), variable)
        except json.JSONDecodeError:
            raise ConfigError(f"{variable}: keymap: not valid JSON") from None
    return Settings(database_url=url, keymap=keymap)
