"""Nearest-neighbour indexes over unit vectors: one interface, backends by name."""

from musicrec.index.base import Allowed, Index, RowMask
from musicrec.index.exact import ExactIndex
from musicrec.index.neighbours import NeighbourIndex
from musicrec.index.registry import BACKENDS, build_index, load_index, register, save_index

__all__ = ["BACKENDS", "Allowed", "ExactIndex", "Index", "NeighbourIndex", "RowMask",
           "build_index", "load_index", "register", "save_index"]
