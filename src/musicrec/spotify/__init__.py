"""Spotify Web API use, feature providers for songs outside the catalog, playlists."""
