"""Settings: the database URL and identity, from the CLI, ``DESKTERM_*`` variables and config.toml.

Precedence, highest first: ``--db``, ``DESKTERM_DATABASE_URL``, ``config.toml``, the default SQLite
file in the user data directory.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from deskterm import paths


class ConfigError(Exception):
    """The config file is unreadable or holds a bad value."""


class _TomlFile(PydanticBaseSettingsSource):
    """Reads ``config.toml``; a syntax error is reported with the file's path."""

    def __init__(self, settings_cls: type[BaseSettings], path: Path) -> None:
        super().__init__(settings_cls)
        self.path = path

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        if not self.path.is_file():
            return {}
        try:
            with self.path.open("rb") as handle:
                return tomllib.load(handle)
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{self.path}: not valid TOML: {exc}") from None
        except OSError as exc:
            raise ConfigError(f"{self.path}: cannot read: {exc.strerror}") from None


class Settings(BaseSettings):
    """deskterm's settings. Each field can be set in config.toml or as ``DESKTERM_<FIELD>``."""

    model_config = SettingsConfigDict(env_prefix="DESKTERM_", extra="ignore")

    database_url: str | None = None
    """SQLAlchemy URL of the store: ``sqlite:///path`` or ``postgresql://user@host/db``."""

    keymap: dict[str, str] = {}
    """Binding id -> keys, to remap the console's keys (e.g. ``queue.take = "ctrl+t"``)."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return init_settings, env_settings, _TomlFile(settings_cls, paths.config_file())

    def resolved_database_url(self, override: str | None = None) -> str:
        """The URL to use: the command line's, else the configured one, else the default file."""
        return override or self.database_url or paths.default_database_url()


def load_settings() -> Settings:
    """Read settings; a bad config file raises ConfigError naming the file."""
    try:
        return Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise ConfigError(f"{paths.config_file()}: {where}: {first['msg']}") from None
