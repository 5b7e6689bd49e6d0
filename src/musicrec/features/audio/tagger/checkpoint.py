"""Reading a TensorFlow checkpoint bundle with NumPy alone (no TensorFlow).

A bundle is a ``.index`` file, a LevelDB-format table whose keys are variable names and
whose values are ``BundleEntryProto`` messages (dtype, shape, shard, offset, size,
masked CRC32C), and ``.data-NNNNN-of-MMMMM`` shards holding the raw little-endian
tensor bytes. Every table block and every tensor read is checked against its CRC32C, so
a damaged download is refused rather than turned into a wrong model. Optimiser slots
(Adam's moments and powers) are skipped: inference needs only the variables.
"""

from __future__ import annotations

import os
import struct
from pathlib import Path

import numpy as np

from musicrec.errors import DataFileError

#: The magic number ending a LevelDB/TensorFlow table file
TABLE_MAGIC = 0xDB4775248B80FB57
FOOTER_BYTES = 48
#: TensorFlow DataType enum values this reader understands
DTYPES = {1: np.dtype("<f4"), 2: np.dtype("<f8"), 3: np.dtype("<i4"), 9: np.dtype("<i8"),
          10: np.dtype("?")}
_MASK_DELTA = 0xA282EAD8


def is_optimiser_slot(name: str) -> bool:
    """Whether ``name`` is training state rather than a model variable."""
    last = name.rsplit("/", 1)[-1]
    return (last.startswith("Adam") or last.startswith("Momentum") or name.endswith("_power")
            or name == "global_step")


def unmask(masked: int) -> int:
    """LevelDB's CRC masking undone (``rot(crc, 15) + 0xa282ead8``)."""
    rot = (masked - _MASK_DELTA) & 0xFFFFFFFF
    return ((rot >> 17) | (rot << 15)) & 0xFFFFFFFF


def crc32c(data: bytes) -> int:
    import google_crc32c

    return int(google_crc32c.value(bytes(data)))


def read_checkpoint(prefix: str | Path, *, keep_slots: bool = False
                    ) -> dict[str, np.ndarray]:
    """The variables of the bundle at ``prefix`` (``prefix.index`` plus its shards; a
    folder means the unnamed bundle in it, as musicnn ships), by name. Raises
    :class:`DataFileError` naming the file on any damage."""
    prefix = os.path.join(prefix, "") if Path(prefix).is_dir() else str(prefix)
    index_path = Path(f"{prefix}.index")
    try:
        table = index_path.read_bytes()
    except OSError as exc:
        raise DataFileError(index_path, f"cannot be read ({exc.strerror or exc})") from exc
    entries = _table_entries(table, index_path)
    header = entries.pop(b"", None)
    if header is None:
        raise DataFileError(index_path, "not a TensorFlow checkpoint (no bundle header)")
    num_shards = int(_fields(header).get(1, [1])[0])
    if _fields(header).get(2, [0])[0] != 0:
        raise DataFileError(index_path, "a big-endian checkpoint (not supported)")
    shards: dict[int, bytes] = {}
    out: dict[str, np.ndarray] = {}
    for key, value in sorted(entries.items()):
        name = key.decode("utf-8")
        if not keep_slots and is_optimiser_slot(name):
            continue
        entry = _fields(value)
        if 7 in entry:  # a partitioned variable's slices: not produced by musicnn
            raise DataFileError(index_path, f"{name} is partitioned (not supported)")
        dtype = DTYPES.get(int(entry.get(1, [0])[0]))
        if dtype is None:
            continue  # strings, resources: nothing inference needs
        shape = _shape(entry.get(2, [b""])[0])
        shard = int(entry.get(3, [0])[0])
        offset, size = int(entry.get(4, [0])[0]), int(entry.get(5, [0])[0])
        if shard not in shards:
            data_path = Path(f"{prefix}.data-{shard:05d}-of-{num_shards:05d}")
            try:
                shards[shard] = data_path.read_bytes()
            except OSError as exc:
                raise DataFileError(data_path, f"cannot be read ({exc.strerror or exc})") from exc
        data_name = f"{prefix}.data-{shard:05d}-of-{num_shards:05d}"
        raw = shards[shard][offset: offset + size]
        if len(raw) != size or size != dtype.itemsize * int(np.prod(shape, dtype=np.int64)):
            raise DataFileError(data_name, f"{name} is cut short or has the wrong size")
        expected = entry.get(6, [None])[0]
        if expected is not None and crc32c(raw) != unmask(int(expected)):
            raise DataFileError(data_name, f"{name} fails its CRC32C check (damaged)")
        out[name] = np.frombuffer(raw, dtype=dtype).reshape(shape).copy()
    return out


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if pos >= len(buf):
            raise ValueError("varint runs past the end")
        byte = buf[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
        shift += 7


def _fields(message: bytes) -> dict[int, list]:
    """A protobuf message's fields by number (varints as ints, length-delimited as bytes,
    fixed32/64 as ints)."""
    fields: dict[int, list] = {}
    pos = 0
    while pos < len(message):
        tag, pos = _varint(message, pos)
        number, wire = tag >> 3, tag & 7
        if wire == 0:
            value, pos = _varint(message, pos)
        elif wire == 2:
            length, pos = _varint(message, pos)
            value, pos = message[pos: pos + length], pos + length
        elif wire == 5:
            value, pos = struct.unpack_from("<I", message, pos)[0], pos + 4
        elif wire == 1:
            value, pos = struct.unpack_from("<Q", message, pos)[0], pos + 8
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")
        fields.setdefault(number, []).append(value)
    return fields


def _shape(message: bytes) -> tuple[int, ...]:
    return tuple(int(_fields(dim).get(1, [0])[0]) for dim in _fields(message).get(2, []))


def _table_entries(table: bytes, path: Path) -> dict[bytes, bytes]:
    """Every key and value of a LevelDB-format table, its blocks' CRCs checked."""
    try:
        if len(table) < FOOTER_BYTES:
            raise ValueError("shorter than a table footer")
        footer = table[-FOOTER_BYTES:]
        if struct.unpack("<Q", footer[-8:])[0] != TABLE_MAGIC:
            raise ValueError("no table magic number at its end")
        _, pos = _varint(footer, 0)  # the metaindex handle: unused
        _, pos = _varint(footer, pos)
        index_offset, pos = _varint(footer, pos)
        index_size, _ = _varint(footer, pos)
        entries: dict[bytes, bytes] = {}
        for _, handle in _block(table, index_offset, index_size):
            offset, at = _varint(handle, 0)
            size, _ = _varint(handle, at)
            entries.update(_block(table, offset, size))
        return entries
    except (ValueError, struct.error, IndexError) as exc:
        raise DataFileError(path, f"not a readable checkpoint index ({exc})") from exc


def _block(table: bytes, offset: int, size: int) -> list[tuple[bytes, bytes]]:
    contents = table[offset: offset + size]
    trailer = table[offset + size: offset + size + 5]
    if len(contents) != size or len(trailer) != 5:
        raise ValueError("a block runs past the end of the file")
    if trailer[0] != 0:
        raise ValueError(f"compressed blocks (type {trailer[0]}) are not supported")
    if crc32c(contents + trailer[:1]) != unmask(struct.unpack("<I", trailer[1:])[0]):
        raise ValueError(f"the block at byte {offset} fails its CRC32C check (damaged)")
    restarts = struct.unpack_from("<I", contents, size - 4)[0]
    end = size - 4 - 4 * restarts
    items: list[tuple[bytes, bytes]] = []
    key = b""
    pos = 0
    while pos < end:
        shared, pos = _varint(contents, pos)
        unshared, pos = _varint(contents, pos)
        length, pos = _varint(contents, pos)
        key = key[:shared] + contents[pos: pos + unshared]
        pos += unshared
        items.append((key, contents[pos: pos + length]))
        pos += length
    return items
