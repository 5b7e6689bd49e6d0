"""A few rows of a big Arrow column as Python values, without a compute call per read.

A result list reads ten rows of five columns of a million-row, memory-mapped catalog.
``pyarrow.compute.take`` costs 15-30 us per call whatever the number of rows (its
dispatch), and numpy costs a microsecond or more per call on ten values; reading the
column's own buffers (validity bits, offsets, UTF-8 bytes) through typed memoryviews
costs well under a microsecond per cell. :class:`ArrowRows` does that for string and
list-of-string columns (what ids, names, albums, artists and genres are) and falls back
to ``take`` for any other type.
"""

from __future__ import annotations

import numpy as np


class ArrowRows:
    """Reads rows of one Arrow array (not chunked) as Python values (None for null)."""

    def __init__(self, array) -> None:
        import pyarrow as pa

        self.array = array
        kind = array.type
        self._read = None
        if pa.types.is_string(kind) or pa.types.is_large_string(kind):
            self._read = _Strings(array).cells
        elif (pa.types.is_list(kind) or pa.types.is_large_list(kind)) and (
                pa.types.is_string(kind.value_type) or pa.types.is_large_string(
                    kind.value_type)):
            self._valid = _Validity(array)
            self._offsets = _offsets(array, pa.types.is_large_list(kind))
            self._strings = _Strings(array.values)
            self._read = self._lists

    def cells(self, rows) -> list:
        """The values at ``rows`` (positions), in order."""
        if self._read is None:
            return self.array.take(np.asarray(rows, dtype=np.int64)).to_pylist()
        return self._read(rows if isinstance(rows, list) else
                          np.asarray(rows, dtype=np.int64).tolist())

    def _lists(self, rows: list[int]) -> list:
        offsets, valid, strings = self._offsets, self._valid, self._strings
        if strings.has_nulls:
            string = strings.cell
            return [[string(j) for j in range(offsets[row], offsets[row + 1])]
                    if valid(row) else None for row in rows]
        at, data = strings.offsets, strings.data  # no null names: decoded in place
        return [[str(data[at[j]: at[j + 1]], "utf-8") for j in range(offsets[row],
                                                                     offsets[row + 1])]
                if valid(row) else None for row in rows]


class _Strings:
    """Cells of a string column from its offsets and bytes."""

    def __init__(self, array) -> None:
        import pyarrow as pa

        self._valid = _Validity(array)
        self.has_nulls = array.null_count > 0
        self.offsets = _offsets(array, pa.types.is_large_string(array.type))
        data = array.buffers()[2]
        self.data = memoryview(data if data is not None else b"")

    def cell(self, row: int) -> str | None:
        if not self._valid(row):
            return None
        return str(self.data[self.offsets[row]: self.offsets[row + 1]], "utf-8")

    def cells(self, rows: list[int]) -> list:
        offsets, data, valid = self.offsets, self.data, self._valid
        if not self.has_nulls:
            return [str(data[offsets[row]: offsets[row + 1]], "utf-8") for row in rows]
        return [str(data[offsets[row]: offsets[row + 1]], "utf-8") if valid(row) else None
                for row in rows]


class _Validity:
    """Whether a row holds a value, from the array's validity bitmap."""

    def __init__(self, array) -> None:
        bitmap = array.buffers()[0]
        self._bits = memoryview(bitmap) if array.null_count and bitmap is not None else None
        self._offset = array.offset

    def __call__(self, row: int) -> bool:
        if self._bits is None:
            return True
        at = row + self._offset
        return bool(self._bits[at >> 3] >> (at & 7) & 1)


class _Offsets:
    """An array's offsets as Python ints, from its own first row (Arrow slices start
    inside their buffers)."""

    def __init__(self, buffer, offset: int, large: bool) -> None:
        self._values = memoryview(buffer).cast("q" if large else "i")
        self._offset = offset

    def __getitem__(self, row: int) -> int:
        return self._values[row + self._offset]


def _offsets(array, large: bool):
    """Offsets indexable by row (a memoryview when the array is not a slice)."""
    view = memoryview(array.buffers()[1]).cast("q" if large else "i")
    return view if array.offset == 0 else _Offsets(array.buffers()[1], array.offset, large)
