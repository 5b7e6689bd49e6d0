"""A binary file that reports how many bytes have been read, for progress bars over
readers (pyarrow's CSV reader, JSON lines) that read it in blocks."""

from __future__ import annotations

import io
from pathlib import Path

from musicrec.progress import Progress


class CountingFile(io.RawIOBase):
    """``open(path, "rb")`` that calls ``progress.transfer(done, total)`` as it reads."""

    def __init__(self, path: Path, progress: Progress) -> None:
        self._file = open(path, "rb")  # noqa: SIM115 (closed by close())
        self._total = Path(path).stat().st_size
        self._done = 0
        self._progress = progress

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = self._file.readinto(buffer)
        self._done += n or 0
        self._progress.transfer(self._done, self._total)
        return n

    def close(self) -> None:
        self._file.close()
        super().close()
