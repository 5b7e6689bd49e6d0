"""Listening data: who (a playlist or a listener) played or collected which tracks.

``matrix`` holds what models read (a users x catalog-tracks sparse matrix); the
canonical table and its importers (one module per format) turn files into it.
"""

from musicrec.data.interactions.matrix import UserItems, user_items

__all__ = ["UserItems", "user_items"]
