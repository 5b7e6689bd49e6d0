"""Atomic file and directory writes: a temporary name in the same folder, then a rename.

Every file musicrec writes (models, caches, figures, exports, evaluation results) goes
through here, so a crash or Ctrl-C never leaves a half-written file where a good one was.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

Writer = Callable[[Path], object]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write(
    path: str | Path, content: str | bytes | Writer, *, private: bool = False
) -> Path:
    """Write ``content`` (text, bytes, or a function that writes the file it is given) to
    ``path`` atomically. The file gets the user's usual permissions (umask), or owner-only
    ones with ``private``; a symbolic link at ``path`` is kept and its target replaced."""
    path = Path(path)
    target = Path(os.path.realpath(path)) if path.is_symlink() else path
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    partial = Path(name)
    try:
        if isinstance(content, str | bytes):
            data = content.encode("utf-8") if isinstance(content, str) else content
            with os.fdopen(handle, "wb") as out:
                out.write(data)
        else:
            os.close(handle)
            content(partial)
        os.chmod(partial, 0o600 if private else 0o666 & ~_umask())
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return path


@contextlib.contextmanager
def staged_directory(directory: str | Path) -> Iterator[Path]:
    """A fresh staging folder beside ``directory``; on a clean exit it replaces
    ``directory`` in one rename (the old one is removed only after), on any error or
    interrupt it is deleted and ``directory`` is left as it was."""
    directory = Path(directory)
    directory.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{directory.name}.", dir=directory.parent))
    try:
        yield staging
        replace_directory(staging, directory)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def replace_directory(staging: Path, directory: Path) -> None:
    """Rename ``staging`` to ``directory``, replacing an old one only once all is written."""
    old = None
    if directory.exists():
        old = directory.with_name(f".{directory.name}.old-{os.getpid()}-{time.time_ns()}")
        os.rename(directory, old)
    try:
        os.rename(staging, directory)
    except BaseException:
        if old is not None:
            os.rename(old, directory)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
