"""``deskterm csat``: customer satisfaction — write down a requester's rating given by phone,
see a ticket's. A rating the requester e-mails back (``5``, ``Rating: 4 - thanks``) is recorded
by itself when the mail is filed."""

from __future__ import annotations

from typing import Annotated

import typer

from deskterm.cli.context import ctx_obj
from deskterm.cli.output import echo, print_json
from deskterm.desk.reads import ref
from deskterm.desk.tickets.checks import parse_ref

app = typer.Typer(no_args_is_help=True, rich_markup_mode=None,
                  help="Customer satisfaction (CSAT 1-5): record a rating, show a ticket's.")

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]


@app.command()
def record(
    ctx: typer.Context,
    ticket: Annotated[str, typer.Argument(metavar="REF", help="The ticket (#1042 or 1042).")],
    score: Annotated[int, typer.Argument(metavar="SCORE", min=1, max=5,
                                         help="1 (poor) to 5 (excellent).")],
    comment: Annotated[str, typer.Option("--comment", metavar="TEXT",
                                         help="What the customer said.")] = "",
    json: JsonOpt = False,
) -> None:
    """Record the requester's rating of a solved or closed ticket (replacing an earlier one)."""
    number = parse_ref(ticket)
    rated = ctx_obj(ctx).desk().record_rating(number, score=score, comment=comment)
    if json:
        print_json(rated)
    else:
        echo(f"{ref(number)} rated {rated.score}/5" + (f": {rated.comment}" if rated.comment
                                                       else ""))


@app.command()
def show(
    ctx: typer.Context,
    ticket: Annotated[str, typer.Argument(metavar="REF", help="The ticket (#1042 or 1042).")],
    json: JsonOpt = False,
) -> None:
    """A ticket's rating."""
    number = parse_ref(ticket)
    rated = ctx_obj(ctx).desk().rating(number)
    if json:
        print_json(rated)
    elif rated is None:
        echo(f"{ref(number)} is not rated")
    else:
        echo(f"{ref(number)} rated {rated.score}/5 on {rated.rated_at:%Y-%m-%d %H:%M} UTC"
             + (f" (recorded by {rated.recorded_by})" if rated.recorded_by else "")
             + (f": {rated.comment}" if rated.comment else ""))
