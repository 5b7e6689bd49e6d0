"""Protections every response gets: security headers and a request body limit.

Pure ASGI middleware, so it also covers static files and errors. The page and the API
allow only their own scripts and styles (no 'unsafe-eval': the page's plotly bundle
draws WebGL with precompiled programs; the interactive docs need their inline start-up
script); no page may be framed; a body
larger than :data:`MAX_BODY` bytes is refused with 413 before it is parsed.
"""

from __future__ import annotations

import json

MAX_BODY = 1 << 20  # 1 MiB: a recommendation request is a few KB
# Scripts only from this server, never evaluated from strings: the page's plotly bundle
# (web/plotly-bundle) uses scattergl's strict flavour, whose WebGL programs are precompiled.
_STRICT = ("default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; "
           "script-src 'self'; worker-src 'self' blob:; object-src 'none'; "
           "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
_DOCS = _STRICT.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'")
DOCS_PATHS = ("/docs", "/redoc")


class Guards:
    """Adds security headers to every response and limits request bodies."""

    def __init__(self, app, max_body: int = MAX_BODY) -> None:
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body:
            return await _too_large(send, self.max_body)
        policy = _DOCS if scope["path"].startswith(DOCS_PATHS) else _STRICT
        seen = 0
        too_large = False

        async def limited_receive():
            # past the limit the app gets an end of body; its answer is replaced by 413
            nonlocal seen, too_large
            if too_large:
                return {"type": "http.request", "body": b"", "more_body": False}
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body:
                    too_large = True
                    return {"type": "http.request", "body": b"", "more_body": False}
            return message

        async def secured_send(message):
            if too_large:
                if message["type"] == "http.response.start":
                    await _too_large(send, self.max_body)
                return
            if message["type"] == "http.response.start":
                extra = [(b"x-content-type-options", b"nosniff"),
                         (b"x-frame-options", b"DENY"),
                         (b"content-security-policy", policy.encode()),
                         (b"referrer-policy", b"no-referrer")]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, limited_receive, secured_send)


async def _too_large(send, limit: int) -> None:
    body = json.dumps({"error": f"request body too large (at most {limit:,} bytes)"}).encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()),
                            (b"x-content-type-options", b"nosniff")]})
    await send({"type": "http.response.body", "body": body})
