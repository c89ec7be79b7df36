"""``deskterm doctor``: check a desk's files, schema, write-ahead log and agents."""

from __future__ import annotations

from typing import Annotated

import typer

from deskterm.cli import lazy
from deskterm.cli.context import ctx_obj
from deskterm.cli.output import echo, print_json

doctor_checks = lazy.module("deskterm.desk.doctor")


def doctor(
    ctx: typer.Context,
    json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Check the desk: who may read and write its files, its schema, SQLite's write-ahead log,
    and whether you and every agent are users of this host. One line a check, with what to
    fix; exit code 0 when all is well, 1 when something needs fixing."""
    obj = ctx_obj(ctx)
    shown, checks = doctor_checks.diagnose(obj.database_url(), username=obj.username())
    ok = doctor_checks.everything_ok(checks)
    if json:
        print_json({"database": shown, "ok": ok,
                    "checks": [{"check": c.check, "ok": c.ok, "detail": c.detail, "fix": c.fix}
                               for c in checks]})
    else:
        echo(f"desk: {shown}")
        for check in checks:
            mark = "ok " if check.ok else "FIX"
            fix = f" -> {check.fix}" if check.fix and not check.ok else ""
            echo(f"{mark} {check.check}: {check.detail}{fix}")
        echo("all good" if ok else "something needs fixing (the lines marked FIX)")
    if not ok:
        raise typer.Exit(1)
