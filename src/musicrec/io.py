"""Atomic file and directory writes: a temporary name in the same folder, then a rename.

Every file musicrec writes (models, caches, figures, exports, evaluation results) goes
through here, so a crash or Ctrl-C never leaves a half-written file where a good one was.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from musicrec.errors import OutputPathError

Writer = Callable[[Path], object]


def check_output(path: str | Path, *, folder: bool = False) -> Path:
    """Say now, before any work, when ``path`` cannot be written: it is a folder (or, with
    ``folder``, a file), its folder is a file, or the nearest existing folder is not
    writable. A missing folder is fine (it is created when writing)."""
    path = Path(path)
    if folder:
        if path.exists() and not path.is_dir():
            raise OutputPathError(f"{path} is a file; give a folder to write into")
        target = path
    else:
        if path.is_dir():
            raise OutputPathError(f"{path} is a folder; give a file name")
        target = path.parent
    existing = target
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise OutputPathError(f"cannot write {path}: {existing} is a file, not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise OutputPathError(f"cannot write {path}: {existing} is not writable")
    return path


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
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part",
                                        dir=target.parent)
    except OSError as exc:  # say which file the user asked for, not the temporary one
        raise OSError(exc.errno, exc.strerror, str(path)) from exc
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
    except BaseException as exc:
        partial.unlink(missing_ok=True)
        if isinstance(exc, OSError) and exc.filename in (name, str(partial)):
            raise OSError(exc.errno, exc.strerror, str(path)) from exc
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


@contextlib.contextmanager
def staged_directories(*directories: str | Path) -> Iterator[list[Path]]:
    """Staging folders for several directories that belong together (an imported dataset
    and the model built from it): on a clean exit all of them replace their directories,
    or, if the swap fails or is interrupted half-way, none does; on any error or interrupt
    before it, the staging folders are deleted and every directory is left as it was."""
    stagings: list[Path] = []
    try:
        for directory in map(Path, directories):
            directory.parent.mkdir(parents=True, exist_ok=True)
            stagings.append(Path(tempfile.mkdtemp(prefix=f".{directory.name}.",
                                                  dir=directory.parent)))
        yield list(stagings)
        _replace_all(stagings, [Path(d) for d in directories])
    except BaseException:
        for staging in stagings:
            shutil.rmtree(staging, ignore_errors=True)
        raise


def _replace_all(stagings: list[Path], directories: list[Path]) -> None:
    """Rename each staging folder onto its directory; all or none (see above). Each
    swap is recorded before it starts, so an interrupt at any point between two renames
    is undone from the folders' state."""
    moved: list[tuple[Path, Path | None, Path]] = []  # (directory, its old copy, staging)
    try:
        for staging, directory in zip(stagings, directories, strict=True):
            old = (directory.with_name(f".{directory.name}.old-{os.getpid()}-"
                                       f"{time.time_ns()}") if directory.exists() else None)
            moved.append((directory, old, staging))
            if old is not None:
                os.rename(directory, old)
            os.rename(staging, directory)
    except BaseException:
        for directory, old, staging in reversed(moved):
            if not staging.exists() and directory.exists():
                os.rename(directory, staging)  # the new one back out (then removed)
            if old is not None and old.exists():
                os.rename(old, directory)
        raise
    for _directory, old, _staging in moved:
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)


def replace_directory(staging: Path, directory: Path) -> None:
    """Rename ``staging`` to ``directory``, replacing an old one only once all is written
    (on an interrupt half-way, the old one is put back and ``staging`` keeps the new)."""
    _replace_all([Path(staging)], [Path(directory)])


@contextlib.contextmanager
def scratch_file(beside: str | Path, suffix: str = "") -> Iterator[Path]:
    """A fresh temporary file name in the folder of ``beside`` (same file system, so it
    can be renamed into place); whatever is still at that name is removed on exit."""
    beside = Path(beside)
    beside.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f".{beside.name}.", suffix=suffix,
                                    dir=beside.parent)
    os.close(handle)
    try:
        yield Path(name)
    finally:
        Path(name).unlink(missing_ok=True)


def sha256_file(path: str | Path) -> str:
    """Hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
