"""The Subsonic envelope: ``subsonic-response`` in XML (the default) or JSON (``f=json``,
``f=jsonp`` with ``callback``), and the spec's error codes.

A payload is plain JSON-shaped data. XML is derived from it the way the Subsonic schema
is laid out: a dict is an element whose scalar values are attributes, a list repeats
its element once per item, a nested dict is a child element.
"""

from __future__ import annotations

import json
import re
from typing import Any
from xml.sax.saxutils import quoteattr

from starlette.responses import Response

import musicrec

API_VERSION = "1.16.1"
SERVER = "musicrec"
XMLNS = "http://subsonic.org/restapi"

#: The spec's error codes (responses/error)
GENERIC, MISSING, CLIENT_TOO_OLD, SERVER_TOO_OLD, WRONG_CREDENTIALS = 0, 10, 20, 30, 40
TOKEN_NOT_SUPPORTED, MECHANISM_NOT_SUPPORTED, CONFLICTING, INVALID_KEY = 41, 42, 43, 44
NOT_AUTHORIZED, NOT_FOUND = 50, 70


class SubsonicError(Exception):
    """A failure the client is told of with ``status="failed"`` and a spec code."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def missing(name: str) -> SubsonicError:
    return SubsonicError(MISSING, f"Required parameter is missing: {name}")


def not_found(what: str) -> SubsonicError:
    return SubsonicError(NOT_FOUND, f"{what} not found")


def envelope(status: str = "ok") -> dict[str, Any]:
    return {"status": status, "version": API_VERSION, "type": SERVER,
            "serverVersion": musicrec.__version__, "openSubsonic": True}


def render(payload: dict[str, Any], fmt: str | None, callback: str | None = None,
           status: str = "ok") -> Response:
    """The response for ``payload`` (the elements beside status and version)."""
    body = envelope(status) | payload
    if fmt in ("json", "jsonp"):
        text = json.dumps({"subsonic-response": body}, separators=(",", ":"))
        if fmt == "jsonp" and callback and re.fullmatch(r"[A-Za-z_$][\w$.]{0,63}", callback):
            return Response(f"{callback}({text});", media_type="application/javascript")
        return Response(text, media_type="application/json")
    return Response(_element("subsonic-response", body, root=True),
                    media_type="application/xml")


def render_error(error: SubsonicError, fmt: str | None, callback: str | None = None
                 ) -> Response:
    return render({"error": {"code": error.code, "message": error.message}}, fmt, callback,
                  status="failed")


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(round(value, 6))
    return str(value)


def _element(name: str, value: dict[str, Any], root: bool = False) -> str:
    attrs, children = [], []
    if root:
        attrs.append(f"xmlns={quoteattr(XMLNS)}")
    for key, item in value.items():
        if item is None:
            continue
        if isinstance(item, dict):
            children.append(_element(key, item))
        elif isinstance(item, list):
            children.extend(_element(key, i) if isinstance(i, dict)
                            else f"<{key}>{_escape(_scalar(i))}</{key}>" for i in item)
        else:
            attrs.append(f"{key}={quoteattr(_scalar(item))}")
    head = f"<{name}{''.join(' ' + a for a in attrs)}"
    text = head + (f">{''.join(children)}</{name}>" if children else "/>")
    return ('<?xml version="1.0" encoding="UTF-8"?>' + text) if root else text


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
