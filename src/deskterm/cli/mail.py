"""``deskterm mail``: the desk's e-mail. This branch holds its outgoing half (``outbox``,
``settings``, in :mod:`deskterm.cli.mail_outbox`); the import, fetch and quarantine commands
are registered here by their own modules."""

from __future__ import annotations

import typer

from deskterm.cli import mail_outbox

app = typer.Typer(no_args_is_help=True, rich_markup_mode=None,
                  help="E-mail: the outbox and the desk's mail settings.")

app.command("outbox")(mail_outbox.outbox)
app.command("settings")(mail_outbox.settings)
