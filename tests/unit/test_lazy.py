"""deskterm.lazy: a module named for later is imported once, whole, whatever thread asks first."""

from __future__ import annotations

import sys
import threading

from deskterm import lazy


def test_threads_that_use_a_deferred_module_at_once_all_find_it_whole(tmp_path, monkeypatch):
    # A module that takes a while to run, with its last name defined at the very end: a thread
    # that saw it before it finished would not find that name.
    (tmp_path / "slow_to_load.py").write_text(
        "import time\nFIRST = 1\ntime.sleep(0.3)\nLAST = 2\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "slow_to_load", raising=False)
    deferred = lazy.module("slow_to_load")
    assert "slow_to_load" not in sys.modules  # nothing ran yet
    found: list[object] = []
    start = threading.Barrier(4)

    def use() -> None:
        start.wait()
        try:
            found.append(deferred.LAST)
        except AttributeError as error:  # what Python 3.11's LazyLoader let a second thread see
            found.append(error)

    threads = [threading.Thread(target=use) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert found == [2, 2, 2, 2]
    assert lazy.loaded("slow_to_load", "FIRST") == 1


def test_a_module_already_imported_is_handed_back_itself():
    import deskterm.desk.errors as errors

    assert lazy.module("deskterm.desk.errors") is errors


def test_loaded_does_not_import_a_deferred_module(tmp_path, monkeypatch):
    (tmp_path / "never_used.py").write_text("NAME = 1\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    lazy.module("never_used")
    assert lazy.loaded("never_used", "NAME") is None
    assert "never_used" not in sys.modules
