"""Safe parsing of list-valued cells such as ``"['Sergei Rachmaninoff', 'James Levine']"``."""

from __future__ import annotations

import ast


def parse_list_literal(cell: object) -> list[str] | None:
    """Parse a Python-list literal of strings without executing anything.

    ``ast.literal_eval`` only builds literals (no names, calls or attributes), so a
    hostile cell cannot run code. Returns None for an empty/missing cell and raises
    ValueError for anything that is not a list (or tuple) of strings.
    """
    if cell is None:
        return None
    if isinstance(cell, list):
        return [str(x) for x in cell]
    if isinstance(cell, float):  # NaN from pandas
        return None
    text = str(cell).strip()
    if not text:
        return None
    if not text.startswith("["):
        return [text]  # a bare name, as data_w_genres.csv writes artists
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError) as exc:
        raise ValueError(f"not a list literal: {text[:80]!r}") from exc
    if not isinstance(value, list | tuple) or not all(isinstance(x, str) for x in value):
        raise ValueError(f"not a list of strings: {text[:80]!r}")
    return [x.strip() for x in value]
