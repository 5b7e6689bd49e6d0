"""Spotify track ids in every form users and files write them, and the one bare form kept.

``spotify:track:ID``, ``https://open.spotify.com/track/ID?si=...`` (with ``intl-xx/`` or
``embed/``) and the bare 22-character ``ID`` all name one track; catalogs store the bare
id, and lookups normalise before they look.
"""

from __future__ import annotations

import re

SPOTIFY_ID = r"[0-9A-Za-z]{22}"
TRACK_URL = re.compile(
    rf"^(?:https?://)?open\.spotify\.com/(?:intl-[a-z]{{2}}(?:-[a-z]{{2}})?/|embed/)?track/"
    rf"({SPOTIFY_ID})(?:[/?#].*)?$",
    re.IGNORECASE,
)
TRACK_URI = re.compile(rf"^spotify:track:({SPOTIFY_ID})$")
BARE_ID = re.compile(rf"^{SPOTIFY_ID}$")


def spotify_track_id(text: str) -> str | None:
    """The track id in a Spotify track URL or URI, or None when text is neither."""
    text = text.strip()
    for pattern in (TRACK_URL, TRACK_URI):
        match = pattern.match(text)
        if match:
            return match.group(1)
    return None


def normalise_track_id(text: str) -> str:
    """A Spotify URL or URI as its bare id; any other id stripped and kept as it is."""
    text = text.strip()
    return spotify_track_id(text) or text
