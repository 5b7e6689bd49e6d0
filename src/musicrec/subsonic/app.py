"""``/rest/``: the Subsonic API as an ASGI app that ``musicrec serve`` mounts.

Parameters come from the query string and, for POST, from a form body (the formPost
extension; both client libraries post). ``/rest/ping`` and ``/rest/ping.view`` are the
same endpoint. Failures are answered as the spec says: HTTP 200 with
``status="failed"`` and a code; a bug answers code 0 and is logged, never shown.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from musicrec.recommend.recommender import Recommender
from musicrec.subsonic.responses import GENERIC, NOT_FOUND, SubsonicError, render, render_error
from musicrec.subsonic.service import (
    BLOCKING,
    PUBLIC,
    Call,
    SubsonicService,
    endpoints,
)
from musicrec.subsonic.store import SubsonicStore, state_path
from musicrec.subsonic.users import Authenticator

log = logging.getLogger(__name__)
MAX_FORM = 1 << 20  # a form body: song ids of a long playlist fit many times over


def create_subsonic_app(catalogs: Mapping[str, Recommender], *,
                        cache_dir: Path | None = None,
                        authenticator: Authenticator | None = None) -> Starlette:
    """The Subsonic API over ``catalogs`` (name: recommender), one music folder each."""
    from musicrec.workspace.libraries import library_folders

    service = SubsonicService(catalogs, SubsonicStore(state_path(cache_dir)),
                              lambda name: library_folders(name, cache_dir), cache_dir)
    auth = authenticator or Authenticator()
    handlers = endpoints(service)

    async def dispatch(request: Request) -> Response:
        method = request.path_params["method"].removesuffix(".view")
        params: dict[str, list[str]] = {}
        for key, value in request.query_params.multi_items():
            params.setdefault(key, []).append(value)
        if request.method == "POST" and request.headers.get("content-type", "").startswith(
                "application/x-www-form-urlencoded"):
            body = await request.body()
            if len(body) > MAX_FORM:
                return render_error(SubsonicError(GENERIC, "form body too large"),
                                    _first(params, "f"))
            for key, value in parse_qsl(body.decode("utf-8", "replace"),
                                        keep_blank_values=True):
                params.setdefault(key, []).append(value)
        fmt, callback = _first(params, "f"), _first(params, "callback")
        try:
            handler = handlers.get(method)
            call = Call(params)
            if method not in PUBLIC:
                call.user = auth.authenticate({k: v[0] for k, v in params.items() if v})
            if handler is None:
                raise SubsonicError(NOT_FOUND, f"unknown method '{method}'")
            if method in BLOCKING:
                answer = await run_in_threadpool(handler, call)
            else:  # the recommender is called from the event loop, one call at a time
                answer = handler(call)
        except SubsonicError as exc:
            return render_error(exc, fmt, callback)
        except Exception:  # a bug: logged with its trace, the client gets code 0
            log.exception("Subsonic %s failed", method)
            return render_error(SubsonicError(GENERIC, "internal error; the server log has "
                                              "the details"), fmt, callback)
        if isinstance(answer, Response):
            return answer
        return render(answer, fmt, callback)

    return Starlette(routes=[Route("/{method}", dispatch, methods=["GET", "POST", "HEAD"])])


def _first(params: Mapping[str, list[str]], name: str) -> str | None:
    values = params.get(name)
    return values[0] if values else None
