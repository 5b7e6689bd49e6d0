"""Features from audio files: decoding, analysis, tags, the scan and its cache.

``decode`` (libsndfile, Debian's ffmpeg for the rest), ``analyse`` (librosa: measured
quantities, an embedding), ``descriptors`` (the Spotify-style estimates and their
formulas), ``tags`` (mutagen), ``worker`` (one file in a worker process), ``scan`` (find,
check the cache, analyse in parallel), ``cache`` (SQLite, by content hash), ``library``
(the scanned files as the canonical track table; duplicates).
"""
