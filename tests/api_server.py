"""A real uvicorn server on 127.0.0.1 for the API and browser tests."""

from __future__ import annotations

import socket
import threading
import time
from contextlib import contextmanager

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running(app):
    """Serve ``app`` on a free loopback port in a thread; yields the base URL."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 600  # a safety net for a hang, not a timing
    while not server.started:  # the state: uvicorn says it listens
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    httpx.get(base + "/health").raise_for_status()
    try:
        yield base
    finally:
        server.should_exit = True
        thread.join(timeout=10)
