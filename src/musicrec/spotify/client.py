"""The Spotify Web API through spotipy: track metadata, audio features, playlists.

Faults become clear messages: timeouts and a network that is down, 429 (spotipy's
session waits for Retry-After and retries), 5xx (bounded retries with backoff, then a
message), a malformed answer, and refused credentials. spotipy's own debug log (which
prints request headers) is kept quiet so no token reaches a log.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from musicrec.errors import MusicrecError
from musicrec.spotify.settings import SpotifySettings, private_file

logging.getLogger("spotipy").setLevel(logging.WARNING)
PLAYLIST_SCOPE = "playlist-modify-private"
BATCH = 100  # Spotify adds at most 100 items per request


class SpotifyError(MusicrecError):
    """Spotify could not be reached or refused a request."""


class FeaturesClosedError(SpotifyError):
    """Spotify's audio-features endpoint refuses this app (closed to new apps, 2024)."""


@dataclass
class PlaylistResult:
    """A playlist made in the user's account, and how many tracks went in."""

    playlist_id: str
    url: str
    added: int
    total: int


class SpotifyClient:
    """Metadata, features and playlists from Spotify, with musicrec's error messages."""

    def __init__(self, settings: SpotifySettings, retries: int = 3, backoff: float = 0.3):
        self.settings = settings
        self.retries = retries
        self.backoff = backoff
        self._app_client = None
        self._user_client = None

    # ------------------------------------------------------------ clients
    def _spotify(self, auth_manager):
        import spotipy

        client = spotipy.Spotify(
            auth_manager=auth_manager, requests_timeout=self.settings.timeout,
            retries=self.retries, status_retries=self.retries, backoff_factor=self.backoff,
        )
        client.prefix = self.settings.api_url
        return client

    def app(self):
        """A client authorised as the app (client credentials: search, tracks)."""
        self.settings.require("Looking tracks up on Spotify")
        if self._app_client is None:
            from spotipy.cache_handler import MemoryCacheHandler
            from spotipy.oauth2 import SpotifyClientCredentials

            manager = SpotifyClientCredentials(
                self.settings.client_id, self.settings.client_secret,
                requests_timeout=self.settings.timeout, cache_handler=MemoryCacheHandler(),
            )
            manager.OAUTH_TOKEN_URL = self.settings.accounts_url + "api/token"
            self._app_client = self._spotify(manager)
        return self._app_client

    def user(self):
        """A client authorised by the user (authorization code with PKCE), for playlists.

        The first time, a browser opens for the user to allow it; the token is cached in
        the user config folder, readable by the owner only.
        """
        self.settings.require("Saving a playlist to Spotify")
        if self._user_client is None:
            from spotipy.cache_handler import CacheFileHandler
            from spotipy.oauth2 import SpotifyPKCE

            cache = private_file(self.settings.token_cache)
            manager = SpotifyPKCE(
                client_id=self.settings.client_id, redirect_uri=self.settings.redirect_uri,
                scope=PLAYLIST_SCOPE, requests_timeout=self.settings.timeout,
                cache_handler=CacheFileHandler(cache_path=str(cache)),
            )
            manager.OAUTH_AUTHORIZE_URL = self.settings.accounts_url + "authorize"
            manager.OAUTH_TOKEN_URL = self.settings.accounts_url + "api/token"
            self._user_client = self._spotify(manager)
        return self._user_client

    # ------------------------------------------------------------ calls
    def call(self, what: str, function: Callable[[], Any]) -> Any:
        """Run one API call; every failure becomes a SpotifyError saying what happened."""
        import requests
        from spotipy.exceptions import SpotifyException
        from spotipy.oauth2 import SpotifyOauthError

        try:
            result = function()
        except SpotifyException as exc:
            status = exc.http_status
            if status in (401, 400) and "token" in str(exc).lower():
                raise SpotifyError(f"{what}: Spotify refused the credentials") from None
            if "Max Retries" in str(exc):  # spotipy reports exhausted retries as a 429
                reason = str(getattr(exc, "reason", "") or "errors")
                raise SpotifyError(
                    f"{what}: Spotify answered with errors {self.retries + 1} times "
                    f"({reason}); it may be down or limiting this app, try again later"
                ) from None
            if status == 429:
                raise SpotifyError(
                    f"{what}: Spotify is rate-limiting this app (HTTP 429) even after waiting "
                    "as asked; try again in a minute") from None
            if status is not None and status >= 500:
                raise SpotifyError(
                    f"{what}: Spotify answered HTTP {status} {self.retries + 1} times; it may "
                    "be down, try again later") from None
            raise SpotifyError(f"{what}: Spotify answered HTTP {status}") from None
        except SpotifyOauthError:
            raise SpotifyError(
                f"{what}: Spotify refused the credentials (check SPOTIFY_CLIENT_ID and "
                "SPOTIFY_CLIENT_SECRET)") from None
        except requests.exceptions.Timeout:
            raise SpotifyError(
                f"{what}: Spotify did not answer within {self.settings.timeout:.0f} s"
            ) from None
        except (requests.exceptions.ConnectionError, requests.exceptions.RetryError):
            raise SpotifyError(
                f"{what}: cannot reach Spotify ({self.settings.api_url}); is the network "
                "down?") from None
        if result is None:
            raise SpotifyError(f"{what}: Spotify sent an answer that is not valid JSON")
        return result

    def track(self, track_id: str) -> dict:
        """Canonical metadata of one Spotify track."""
        raw = self.call(f"Looking up track {track_id}", lambda: self.app().track(track_id))
        return canonical_track(raw)

    def search(self, text: str) -> dict | None:
        """The best Spotify match for "title artist" text, or None."""
        raw = self.call(f"Searching Spotify for '{text}'",
                        lambda: self.app().search(q=text, type="track", limit=1))
        items = (raw.get("tracks") or {}).get("items") or []
        return canonical_track(items[0]) if items else None

    def playlist_tracks(self, playlist: str) -> list[dict]:
        """Canonical metadata of a Spotify playlist's tracks (link, URI or id), in order;
        episodes and local files are left out."""
        from spotipy.exceptions import SpotifyException

        client = self.app()
        what = f"Reading the Spotify playlist {playlist}"

        def first():
            try:
                return client.playlist_items(playlist, additional_types=("track",))
            except SpotifyException as exc:
                if exc.http_status in (403, 404):
                    raise SpotifyError(
                        f"{what}: Spotify answered HTTP {exc.http_status}. An app can read "
                        "public playlists only; since November 2024 not Spotify's own "
                        "editorial or algorithmic ones either. Export the playlist to a file "
                        "and give that instead") from None
                raise

        page = self.call(what, first)
        entries: list[dict] = []
        while page:
            entries += page.get("items") or []
            if not page.get("next"):
                break
            page = self.call(what, lambda p=page: client.next(p))
        tracks = [e.get("item") or e.get("track") for e in entries if isinstance(e, dict)]
        return [canonical_track(t) for t in tracks
                if isinstance(t, dict) and t.get("id") and t.get("type", "track") == "track"]

    def audio_features(self, track_ids: Sequence[str]) -> list[dict | None]:
        """Audio features per id (None where Spotify has none).

        Raises FeaturesClosedError when the endpoint refuses this app (403 or 404).
        """
        from spotipy.exceptions import SpotifyException

        def fetch():
            try:
                with warnings.catch_warnings():  # deprecated by Spotify: known, handled here
                    warnings.simplefilter("ignore", DeprecationWarning)
                    return self.app().audio_features(list(track_ids))
            except SpotifyException as exc:
                if exc.http_status in (403, 404):
                    raise FeaturesClosedError(
                        f"Spotify's audio-features endpoint answered HTTP {exc.http_status}: "
                        "it is closed to apps created after 27 November 2024") from None
                raise

        return list(self.call("Fetching audio features from Spotify", fetch))

    def create_playlist(self, name: str, track_ids: Sequence[str]) -> PlaylistResult:
        """A private playlist in the user's account with the tracks, in order.

        Tracks go in batches of 100; if a batch fails the error says how many were added.
        """
        client = self.user()
        created = self.call(
            f"Creating the playlist '{name}'",
            lambda: client.current_user_playlist_create(
                name, public=False, description="Made by musicrec"),
        )
        playlist_id = created["id"]
        url = (created.get("external_urls") or {}).get("spotify", "")
        uris = [f"spotify:track:{t}" for t in track_ids]
        added = 0
        for start in range(0, len(uris), BATCH):
            batch = uris[start: start + BATCH]
            try:
                self.call("Adding tracks to the playlist",
                          lambda b=batch: client.playlist_add_items(playlist_id, b))
            except SpotifyError as exc:
                raise SpotifyError(
                    f"{exc}. The playlist '{name}' was created ({url or playlist_id}) but only "
                    f"{added} of {len(uris)} tracks were added") from None
            added += len(batch)
        return PlaylistResult(playlist_id, url, added, len(uris))


def save_playlist(settings: SpotifySettings, name: str, track_ids: Sequence[str]
                  ) -> PlaylistResult:
    """A private playlist called ``name`` with ``track_ids`` in the user's account."""
    return SpotifyClient(settings).create_playlist(name, track_ids)


def canonical_track(raw: dict) -> dict:
    """A Spotify track object as canonical track-table fields."""
    import pandas as pd

    from musicrec.data.schema import year_from_release_date

    album = raw.get("album") or {}
    release = album.get("release_date") or None
    year = year_from_release_date(pd.Series([release])).iloc[0]
    return {
        "track_id": raw["id"],
        "name": raw.get("name"),
        "artists": [a.get("name") for a in raw.get("artists") or [] if a.get("name")],
        "album": album.get("name"),
        "release_date": release,
        "year": None if pd.isna(year) else int(year),
        "popularity": raw.get("popularity"),
        "explicit": raw.get("explicit"),
        "duration_ms": raw.get("duration_ms"),
    }
