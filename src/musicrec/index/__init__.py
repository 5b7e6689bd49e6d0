"""Nearest-neighbour indexes over unit vectors: one interface, several backends."""

from musicrec.index.base import Index
from musicrec.index.exact import ExactIndex

__all__ = ["ExactIndex", "Index"]
