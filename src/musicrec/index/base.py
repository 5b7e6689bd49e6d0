"""The Index interface every backend implements: build, search a batch, save, load.

An index finds the rows whose vectors are most similar (inner product of unit
vectors, i.e. cosine) to query vectors. Which rows may come back is said with
:data:`Allowed`: sorted row ids, or a predicate ``rows -> bool array``. A backend that
cannot restrict its search (an approximate one) honours a predicate by fetching more
and dropping what fails; an exact one applies it to every row. Nothing in the
interface is a dense (queries x rows) mask.

A built index saves itself into a folder (its own files, plus ``index.json`` written by
:func:`musicrec.index.registry.save_index`) and loads from it, checking what it reads.
No pickle.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from musicrec.progress import Progress

#: Rows that may come back: None (all), sorted row ids, or a predicate on row ids.
Allowed = np.ndarray | Callable[[np.ndarray], np.ndarray] | None


class RowMask:
    """A predicate backed by a boolean mask over all rows (what filters produce).

    Exact backends read ``mask`` directly; others call it on their candidate rows, or
    hand faiss its ``bits``. The count and the bits are worked out once per mask (a
    Recommender keeps the masks of recent filters, so a repeated filter costs nothing).
    """

    __slots__ = ("mask", "_count", "_bits", "_ordered", "__weakref__")

    def __init__(self, mask: np.ndarray) -> None:
        self.mask = np.asarray(mask, dtype=bool)
        self._count: int | None = None
        self._bits: np.ndarray | None = None
        self._ordered: tuple[np.ndarray, np.ndarray] | None = None  # (order, its bits)

    def __call__(self, rows: np.ndarray) -> np.ndarray:
        return self.mask[rows]

    @property
    def count(self) -> int:
        """How many rows are allowed."""
        if self._count is None:
            self._count = int(np.count_nonzero(self.mask))
        return self._count

    @property
    def bits(self) -> np.ndarray:
        """The mask as little-endian packed bits (faiss's ``IDSelectorBitmap``)."""
        if self._bits is None:
            self._bits = np.packbits(self.mask, bitorder="little")
        return self._bits

    def bits_in(self, order: np.ndarray | None) -> np.ndarray:
        """:attr:`bits` for an index that keeps its rows in ``order`` (position i holds
        row ``order[i]``; None: row order), worked out once per mask and order."""
        if order is None:
            return self.bits
        kept = self._ordered
        if kept is None or kept[0] is not order:
            kept = self._ordered = (order, np.packbits(self.mask[order], bitorder="little"))
        return kept[1]


def passes(allowed: Allowed, rows: np.ndarray) -> np.ndarray:
    """Which of ``rows`` are allowed (a boolean array as long as ``rows``)."""
    if allowed is None:
        return np.ones(len(rows), dtype=bool)
    if callable(allowed):
        return np.asarray(allowed(rows), dtype=bool)
    return np.isin(rows, allowed)


def not_in(rows: np.ndarray, exclude: np.ndarray) -> np.ndarray:
    """Which of ``rows`` are not in ``exclude``: a seed's few versions compared directly
    (``np.isin`` costs ~50 us however small its input), many by ``np.isin``."""
    exclude = np.asarray(exclude)
    if len(exclude) <= 64:
        return ~(rows[:, None] == exclude[None, :]).any(axis=1)
    return ~np.isin(rows, exclude)


def as_mask(allowed: Allowed, n: int) -> np.ndarray | None:
    """``allowed`` as a boolean mask over all ``n`` rows (None when all are allowed)."""
    if allowed is None:
        return None
    if isinstance(allowed, RowMask):
        return allowed.mask
    if callable(allowed):
        return np.asarray(allowed(np.arange(n)), dtype=bool)
    mask = np.zeros(n, dtype=bool)
    mask[np.asarray(allowed, dtype=np.int64)] = True
    return mask


def per_query(allowed: Allowed | Sequence[Allowed], m: int) -> list[Allowed]:
    """One restriction per query, from one shared by all or a list of them."""
    if isinstance(allowed, list | tuple):
        if len(allowed) != m:
            raise ValueError(f"{len(allowed)} restrictions for {m} queries")
        return list(allowed)
    return [allowed] * m


class Index(ABC):
    """Nearest rows by cosine, for a batch of queries; see the module docstring.

    ``search`` takes queries (m, d) (or one (d,)) and returns ``(rows, scores)``, both
    (m, k), best first, ties to the lower row; where fewer than k rows are allowed the
    tail holds row -1 and score -inf. ``allowed`` is one :data:`Allowed` for all queries
    or a list with one per query; ``exclude`` optionally lists, per query, rows that
    must not come back.
    """

    #: The registry name, recorded in the model manifest.
    name: ClassVar[str] = ""
    #: The (n, d) unit vectors the index was built from.
    vectors: np.ndarray

    @classmethod
    @abstractmethod
    def build(cls, vectors: np.ndarray, progress: Progress | None = None) -> Index:
        """Index ``vectors`` (n, d), float32 unit rows."""

    @abstractmethod
    def search(
        self,
        queries: np.ndarray,
        k: int,
        allowed: Allowed | Sequence[Allowed] = None,
        exclude: Sequence[np.ndarray] | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top-k rows and scores per query."""

    def search_rows(
        self,
        rows: Sequence[int],
        k: int,
        allowed: Allowed | Sequence[Allowed] = None,
        exclude: Sequence[np.ndarray] | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """The same as ``search`` with indexed rows' own vectors as the queries ("more
        like this track"); a backend may have a faster way to answer."""
        return self.search(self.vectors_at(rows), k, allowed, exclude)

    def vectors_at(self, rows: Sequence[int] | np.ndarray) -> np.ndarray:
        """The vectors of ``rows`` (a float32 array of their own). A backend that keeps
        the vectors row by row reads them from there: a row is then a few adjacent
        cache lines, not one line per dimension of a column-major matrix."""
        return np.asarray(self.vectors[np.asarray(rows)], dtype=np.float32)

    def describe(self) -> str:
        """One line for ``musicrec info``."""
        return self.name

    @abstractmethod
    def save(self, directory: Path) -> dict[str, Any]:
        """Write the backend's own files into ``directory``; returns what ``load`` needs
        to check them (kept in ``index.json``)."""

    @classmethod
    @abstractmethod
    def load(cls, directory: Path, vectors: np.ndarray, saved: dict[str, Any]) -> Index:
        """Read an index saved by ``save``; raises ModelIntegrityError on a mismatch."""
