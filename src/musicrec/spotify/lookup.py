"""Getting a Spotify track that is not in the catalog: metadata, then features from the
provider chain, then into the user's table so the next run finds it at once."""

from __future__ import annotations

from pathlib import Path

from musicrec.data.user_tracks import UserTracks
from musicrec.errors import UnknownTrackError
from musicrec.spotify.client import SpotifyClient, SpotifyError
from musicrec.spotify.providers import (
    CsvFeaturesProvider,
    FeatureProvider,
    ReccoBeatsProvider,
    SpotifyFeaturesProvider,
    run_chain,
)
from musicrec.spotify.settings import SpotifySettings


class TrackLookup:
    """Callable ``lookup(spotify_id) -> canonical row`` for the Recommender."""

    def __init__(
        self, settings: SpotifySettings, user_tracks: UserTracks,
        features_file: Path | None = None, client: SpotifyClient | None = None,
    ) -> None:
        self.settings = settings
        self.user_tracks = user_tracks
        self.client = client or SpotifyClient(settings)
        providers: list[FeatureProvider] = [SpotifyFeaturesProvider(self.client),
                                            ReccoBeatsProvider(settings)]
        if features_file is not None:
            providers.append(CsvFeaturesProvider(features_file))
        self.providers = providers
        self.notes: list[str] = []

    def find(self, text: str) -> str | None:
        """The Spotify id of the best match for text that fits no catalog title (None
        without credentials, or when Spotify has nothing)."""
        if not self.settings.has_credentials:
            return None
        try:
            found = self.client.search(text)
        except SpotifyError as exc:
            self.notes.append(f"searching Spotify for '{text}': {exc}")
            return None
        if found is None:
            return None
        self.notes.append(f"'{text}' is not in the catalog; on Spotify it is "
                          f"{found.get('name')} - {', '.join(found.get('artists') or [])}")
        return found["track_id"]

    def __call__(self, track_id: str) -> dict:
        row: dict = {"track_id": track_id}
        if self.settings.has_credentials:
            try:
                row = self.client.track(track_id)
            except SpotifyError as exc:
                self.notes.append(f"no title or artist for {track_id}: {exc}")
        else:
            self.notes.append(
                f"{track_id} is not in the catalog; without SPOTIFY_CLIENT_ID and "
                "SPOTIFY_CLIENT_SECRET its title and artist stay unknown")
        chain = run_chain(self.providers, [track_id])
        self.notes += [p for p in chain.problems if p not in self.notes]
        if track_id not in chain.features:
            tried = "; ".join(chain.problems) or "no provider has features for it"
            raise UnknownTrackError(
                track_id,
                reason=f"Spotify track {track_id} is not in the catalog and no feature "
                f"provider could describe it ({tried}). Give its features in a CSV with "
                "--features-file (columns track_id, danceability, energy, ...)",
            )
        row.update(chain.features[track_id])
        row["source"] = f"added:{chain.source[track_id]}"
        self.user_tracks.add(row)
        self.notes.append(f"added {row.get('name') or track_id} to your tracks "
                          f"(features from {chain.source[track_id]})")
        return row
