"""``musicrec serve``: the REST API and the web page."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from musicrec.cli.app import app
from musicrec.cli.options import ModelChoice, model_command, spotify_settings, stderr


@app.command()
@model_command
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on. 127.0.0.1 keeps it on this "
                                      "machine; 0.0.0.0 exposes it to the network.")] = (
        "127.0.0.1"),
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=32, help="Server processes.")] = 1,
    also: Annotated[list[str] | None, typer.Option(
        "--also", help="Another dataset or library to serve beside it, under "
        "/catalogs/NAME/ (the page switches between them). Repeatable. Default: every "
        "library scanned with 'musicrec library scan'; --also '' for none.",
        show_default=False)] = None,
    *,
    where: ModelChoice,
) -> None:
    """Serve the REST API and the web page (open http://HOST:PORT/ in a browser)."""
    import uvicorn

    from musicrec.api.app import ENV_PREFIX, create_app

    # builds the model if needed; Spotify links outside the catalog work as in the CLI
    rec = where.open(spotify=spotify_settings())
    from musicrec.workspace.libraries import scanned_libraries
    from musicrec.workspace.models import open_recommender

    names = [n for n in also if n] if also is not None else [
        n for n in scanned_libraries(where.cache_dir) if n != where.dataset]
    others = {name: open_recommender(name, data_dir=where.data_dir, cache_dir=where.cache_dir)
              for name in names}
    err = stderr()
    local = host in ("127.0.0.1", "localhost", "::1")
    shown = host if local or host not in ("0.0.0.0", "::") else "127.0.0.1"
    url = f"http://{'[' + shown + ']' if ':' in shown else shown}:{port}/"
    err.print(f"musicrec: open {url} (API docs at {url}docs); Ctrl+C stops")
    if not local:
        err.print(f"[yellow]warning:[/yellow] listening on {host}: anyone who can reach this "
                  "machine on the network can use this service (it has no login). Use "
                  "--host 127.0.0.1 to keep it on this machine.")
    if workers == 1:
        uvicorn.run(create_app(rec, others, cache_dir=where.cache_dir), host=host, port=port,
                    log_level="warning")
        return
    settings = {"DATASET": where.dataset, "KIND": where.kind, "MODEL_DIR": where.model_dir,
                "DATA_DIR": where.data_dir, "CACHE_DIR": where.cache_dir,
                "ALSO": ",".join(others) or None}
    for name, value in settings.items():
        if value is not None:
            os.environ[ENV_PREFIX + name] = str(value)
    uvicorn.run("musicrec.api.app:app_from_environment", factory=True, host=host, port=port,
                workers=workers, log_level="warning")
