"""How long steps report what they do: one object, passed down from the front end.

Nothing below the front ends prints; a build, a download or a fit calls ``say`` for a
new step, ``count`` for counted work and ``transfer`` for bytes. The CLI shows them on
standard error; the default does nothing.
"""

from __future__ import annotations

from collections.abc import Callable


class Progress:
    """Callbacks for long steps; each may be None (nobody listens)."""

    def __init__(
        self,
        step: Callable[[str], None] | None = None,
        count: Callable[[str, int, int], None] | None = None,
        transfer: Callable[[int, int | None], None] | None = None,
    ) -> None:
        self._step = step
        self._count = count
        self._transfer = transfer

    def say(self, message: str) -> None:
        """A new step begins."""
        if self._step is not None:
            self._step(message)

    def count(self, label: str, done: int, total: int) -> None:
        """``done`` of ``total`` units of the step called ``label``."""
        if self._count is not None:
            self._count(label, done, total)

    def transfer(self, done: int, total: int | None) -> None:
        """Bytes downloaded so far (and in all, when known)."""
        if self._transfer is not None:
            self._transfer(done, total)


#: Reports nothing.
SILENT = Progress()
