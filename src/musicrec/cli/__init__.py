"""The command line: thin translations of options into calls of the Python API.

Each module adds its commands to the one typer ``app``: ``recommend`` (recommend,
search), ``model`` (build, import, info, evaluate), ``explore`` (clusters, figures),
``serve``. Shared options live in ``options``. Errors become one-line messages
(``--debug`` for the traceback); Ctrl-C exits 130 and SIGTERM (systemd, ``docker stop``,
a CI time-out) 143, both after the same clean-up: the step stops as at Ctrl-C, so the
previous model, dataset and library stay as they were and no staging folder is left.
"""

from __future__ import annotations

import os
import signal
import sys
import traceback
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

from musicrec.cli import (  # noqa: F401 (register)
    explore,
    library,
    model,
    paths,
    radio,
    recommend,
    serve,
    spark,
    subsonic,
)
from musicrec.cli.app import app
from musicrec.cli.options import say_notices, stderr
from musicrec.errors import MusicrecError

__all__ = ["app", "main", "run"]


def run(argv: list[str]) -> int:
    """Run the CLI on ``argv``; returns the exit code. Errors never show a traceback
    unless ``--debug`` is among the arguments (or MUSICREC_DEBUG=1)."""
    debug = "--debug" in argv or os.environ.get("MUSICREC_DEBUG") == "1"
    argv = [a for a in argv if a != "--debug"]
    with warnings.catch_warnings(), _terminate_as_interrupt():
        if not debug:  # a library's warning is for us, not for the user: --debug shows it
            warnings.simplefilter("ignore")
        code = _run(argv, debug)
        if code == 130 and _terminated:
            return 128 + signal.SIGTERM  # 143: what a supervisor expects of a clean stop
        return code


_terminated: list[int] = []  # the SIGTERM that stopped the running command, if one did


@contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """While the command runs, SIGTERM stops it as Ctrl-C does (KeyboardInterrupt, so that
    every clean-up written for Ctrl-C runs, including where a library swallows the
    interrupt and we re-raise it)."""
    def stop(signum, frame) -> None:
        if not _terminated:  # a second SIGTERM during the clean-up does not cut it short
            _terminated.append(signum)
            raise KeyboardInterrupt

    _terminated.clear()
    try:
        previous = signal.signal(signal.SIGTERM, stop)
    except ValueError:  # not the main thread (the CLI run from a library): leave it
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _stopped() -> None:
    how = "terminated" if _terminated else "interrupted"
    stderr().print(f"{how}: nothing was changed")


def _run(argv: list[str], debug: bool) -> int:
    try:
        _threads_from_environment()
        app(args=argv, prog_name="musicrec")  # standalone: usage errors exit 2 by themselves
        return 0
    except SystemExit as exc:  # typer turns Ctrl-C into exit 130
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        if code == 130:
            _stopped()
        return code
    except MusicrecError as exc:
        if debug:
            traceback.print_exc()
        say_notices(exc.notices)
        from rich.markup import escape

        stderr().print(f"[red]error:[/red] {escape(str(exc))}")
        return 1
    except KeyboardInterrupt:
        _stopped()
        return 130
    except OSError as exc:  # a file or folder the user named cannot be read or written
        if debug:
            traceback.print_exc()
        from rich.markup import escape

        where = f"{exc.filename}: " if exc.filename else ""
        stderr().print(f"[red]error:[/red] {escape(where + str(exc.strerror or exc))}")
        return 1
    except Exception as exc:  # a bug: say so briefly; --debug shows where
        if debug:
            traceback.print_exc()
        stderr().print(
            f"[red]unexpected error:[/red] {type(exc).__name__}: {exc}\n"
            "Run again with --debug for the traceback, and please report it."
        )
        return 1


def _threads_from_environment() -> None:
    """``MUSICREC_THREADS=N`` fixes the build's thread count (default: the free cores)."""
    from musicrec.errors import InvalidArgumentError
    from musicrec.threads import set_thread_count

    given = os.environ.get("MUSICREC_THREADS", "").strip()
    if not given:
        set_thread_count(None)
        return
    if not given.isdigit() or int(given) < 1:
        raise InvalidArgumentError(f"MUSICREC_THREADS must be a whole number above 0 "
                                   f"(got '{given}')")
    set_thread_count(int(given))


def main() -> None:
    """Console-script entry point."""
    sys.exit(run(sys.argv[1:]))
