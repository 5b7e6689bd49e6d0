"""Rows by key in one string column, cheap to open on a million rows.

A catalog looks rows up by id, title and version key. Building a hash map of a
million keys costs seconds, more than a first query should wait, so :class:`KeyLookup`
answers its first lookups by an equality scan of the Arrow column (milliseconds) and
builds its index (a dict of the distinct keys, rows grouped by key in C)
only once it has been asked ``SCANS_BEFORE_INDEX`` times, or at once for a small
column or a lookup of many keys.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

#: Lookups answered by scanning before the index is built.
SCANS_BEFORE_INDEX = 8
#: Columns up to this many rows get their index at the first lookup.
INDEX_AT_ONCE_BELOW = 50_000


class KeyLookup:
    """Rows holding each key of a string column (missing and empty keys never match)."""

    def __init__(self, values: pd.Series | Sequence[str | None]) -> None:
        self._values = pd.Series(values).reset_index(drop=True)
        self._scans = 0
        self._keys: dict[str, int] | None = None
        self._arrow = None

    def __len__(self) -> int:
        return len(self._values)

    def rows(self, key: str | None) -> np.ndarray:
        """Rows whose value is ``key``, ascending (empty when none is)."""
        if not isinstance(key, str) or not key:
            return np.empty(0, dtype=np.int64)
        if self._keys is None and (len(self) < INDEX_AT_ONCE_BELOW
                                   or self._scans >= SCANS_BEFORE_INDEX):
            self._build()
        if self._keys is None:
            self._scans += 1
            return self._scan(key)
        code = self._keys.get(key)
        if code is None:
            return np.empty(0, dtype=np.int64)
        return self._order[self._starts[code]: self._starts[code + 1]]

    def first_rows(self, keys: Sequence[str | None]) -> np.ndarray:
        """The first row holding each of ``keys`` (-1 for a key no row holds)."""
        if self._keys is None:
            self._build()
        codes = np.array([self._keys.get(k, -1) if isinstance(k, str) and k else -1
                          for k in keys], dtype=np.int64)
        found = codes >= 0
        out = np.full(len(codes), -1, dtype=np.int64)
        out[found] = self._order[self._starts[codes[found]]]
        return out

    def _scan(self, key: str) -> np.ndarray:
        import pyarrow as pa
        import pyarrow.compute as pc

        if self._arrow is None:
            self._arrow = pa.array(self._values.array, type=pa.large_string(),
                                   from_pandas=True)
        hits = pc.indices_nonzero(pc.fill_null(pc.equal(self._arrow, key), False))
        return hits.to_numpy().astype(np.int64)

    def _build(self) -> None:
        values = self._values.to_numpy(dtype=object, na_value=None)
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        present = np.flatnonzero(codes >= 0)
        self._order = present[np.argsort(codes[present], kind="stable")]
        self._starts = np.searchsorted(codes[self._order], np.arange(len(uniques) + 1))
        self._keys = {key: code for code, key in enumerate(uniques)}
        self._arrow = None
