"""Console fixtures: a seeded desk and a running app with a frozen clock."""

from __future__ import annotations

import shutil

import pytest

from deskterm.db.engine import Store

from ..conftest import sqlite_template
from .desks import seed


@pytest.fixture
def desk_store(tmp_path) -> Store:
    """The fixed console desk in a SQLite file of this test (a copy of one seeded per process)."""
    path = tmp_path / "desk.sqlite3"
    shutil.copyfile(sqlite_template(seeded=seed), path)
    store = Store(f"sqlite:///{path}")
    yield store
    store.dispose()


@pytest.fixture
def any_desk_store(stores) -> Store:
    """The fixed console desk on SQLite, then on PostgreSQL (where the store matters)."""
    return stores.store(seeded=seed)


@pytest.fixture(autouse=True)
def _quick_idle_checks(monkeypatch):
    """Pilot waits twice after every key until the app looks idle, in slices of 20 ms
    (``textual._wait``): 40 ms a key at least, whatever the app does. 5 ms slices keep the same
    test of idleness (under a twentieth of the slice spent working) with a quarter of the floor.
    The tests wait for what they check with ``settle``/``until`` (tests/tui/pilot.py), not with
    these pauses. A private name of Textual's: if it moves, this fails loudly, not slowly."""
    import importlib

    waits = importlib.import_module("textual._wait")  # private to Textual: deliberate, see above
    monkeypatch.setattr(waits, "SLEEP_GRANULARITY", 0.005)
    monkeypatch.setattr(waits, "SLEEP_IDLE", 0.005 / 20)


_PARSED_CSS: dict[tuple, list] = {}
"""Rule sets parsed from a piece of CSS with a set of variables, shared by every app of a test
process (see :func:`_css_parsed_once`)."""


@pytest.fixture(autouse=True)
def _css_parsed_once(monkeypatch):
    """Each app parses its stylesheet (the app's, every widget's default CSS) anew: a quarter of
    an app's start-up, and the console tests start hundreds. Textual keeps what it parsed per
    stylesheet, keyed by the CSS and where it came from, and reuses it on a reparse (the rule
    sets are not changed after parsing); this keeps it per process, with the variables (the
    theme) in the key. ``Stylesheet._parse_rules`` is private to Textual: if it moves, this
    fails loudly (AttributeError), not slowly."""
    from textual.css.stylesheet import Stylesheet

    parse = Stylesheet._parse_rules

    def parse_rules(self, css, read_from, is_default_rules=False, tie_breaker=0, scope=""):
        key = (css, read_from, is_default_rules, tie_breaker, scope,
               tuple(sorted(self._variables.items())))
        rules = _PARSED_CSS.get(key)
        if rules is None:
            rules = parse(self, css, read_from, is_default_rules, tie_breaker, scope)
            _PARSED_CSS[key] = rules
        return rules

    monkeypatch.setattr(Stylesheet, "_parse_rules", parse_rules)
