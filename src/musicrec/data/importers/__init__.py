"""Importers: one per known format, each mapping its files onto the canonical tables."""

from musicrec.data.importers.common import ImportResult

__all__ = ["ImportResult"]
