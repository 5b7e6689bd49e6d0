"""The typer application every command module adds itself to."""

from __future__ import annotations

from typing import Annotated

import typer

app = typer.Typer(
    name="musicrec",
    help="Recommend songs that sound like the seed songs you give, from audio features.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _show_version(value: bool) -> None:
    if value:
        from musicrec import __version__

        typer.echo(f"musicrec {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    debug: Annotated[
        bool, typer.Option("--debug", help="Show the full traceback of an error (any position).")
    ] = False,
    version: Annotated[
        bool, typer.Option("--version", help="Show the version and exit.",
                           callback=_show_version, is_eager=True)
    ] = False,
) -> None:
    """Recommend songs that sound like the seed songs you give."""
