"""Where deskterm keeps its files (platformdirs), overridable for tests and throw-away desks."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "deskterm"


def config_dir() -> Path:
    """The user's config directory (``DESKTERM_CONFIG_DIR`` overrides it)."""
    override = os.environ.get("DESKTERM_CONFIG_DIR")
    return Path(override) if override else Path(platformdirs.user_config_dir(APP_NAME))


def config_file() -> Path:
    """The config file: ``config.toml`` in the config directory."""
    return config_dir() / "config.toml"


def data_dir() -> Path:
    """The user's data directory (``DESKTERM_DATA_DIR`` overrides it)."""
    override = os.environ.get("DESKTERM_DATA_DIR")
    return Path(override) if override else Path(platformdirs.user_data_dir(APP_NAME))


def default_database_path() -> Path:
    """The SQLite file used when no database URL is configured."""
    return data_dir() / "deskterm.sqlite3"


def default_database_url() -> str:
    return f"sqlite:///{default_database_path()}"
