"""Spotify credentials and addresses: from the environment or a git-ignored ``.env``.

The secret is kept out of every ``repr``, message and log line; the only place it is
written is spotipy's token cache, which lives in the user config folder, readable by
its owner only (mode 0600).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from musicrec.errors import MusicrecError

API_URL = "https://api.spotify.com/v1/"
ACCOUNTS_URL = "https://accounts.spotify.com/"
RECCOBEATS_URL = "https://api.reccobeats.com/v1/"
REDIRECT_URI = "http://127.0.0.1:8888/callback"


class MissingCredentialsError(MusicrecError):
    """A command needs Spotify and no credentials are set."""

    def __init__(self, what: str) -> None:
        super().__init__(
            f"{what} needs Spotify credentials: set SPOTIFY_CLIENT_ID and "
            "SPOTIFY_CLIENT_SECRET in the environment or in a .env file (create an app at "
            "https://developer.spotify.com/dashboard). Everything offline works without them."
        )


@dataclass(frozen=True)
class SpotifySettings:
    """Where and as whom to talk to Spotify (and ReccoBeats)."""

    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    api_url: str = API_URL
    accounts_url: str = ACCOUNTS_URL
    reccobeats_url: str = RECCOBEATS_URL
    redirect_uri: str = REDIRECT_URI
    token_cache: Path | None = None
    timeout: float = 10.0

    @property
    def has_credentials(self) -> bool:
        return bool(self.client_id and self.client_secret)

    def require(self, what: str) -> None:
        if not self.has_credentials:
            raise MissingCredentialsError(what)

    @classmethod
    def from_environment(
        cls, environ: Mapping[str, str] | None = None, dotenv: Path | None = Path(".env"),
        token_cache: Path | None = None,
    ) -> SpotifySettings:
        """Settings from the environment, then a ``.env`` file for anything missing.

        ``MUSICREC_SPOTIFY_API_URL``, ``MUSICREC_SPOTIFY_ACCOUNTS_URL`` and
        ``MUSICREC_RECCOBEATS_URL`` point at other servers (the tests' fakes).
        """
        values = dict(os.environ if environ is None else environ)
        if "MUSICREC_DOTENV" in values:  # another .env, or "" for none
            dotenv = Path(values["MUSICREC_DOTENV"]) if values["MUSICREC_DOTENV"] else None
        if dotenv is not None and Path(dotenv).is_file():
            from dotenv import dotenv_values

            for key, value in dotenv_values(dotenv).items():
                if value is not None:
                    values.setdefault(key, value)
        return cls(
            client_id=values.get("SPOTIFY_CLIENT_ID") or None,
            client_secret=values.get("SPOTIFY_CLIENT_SECRET") or None,
            api_url=_slash(values.get("MUSICREC_SPOTIFY_API_URL") or API_URL),
            accounts_url=_slash(values.get("MUSICREC_SPOTIFY_ACCOUNTS_URL") or ACCOUNTS_URL),
            reccobeats_url=_slash(values.get("MUSICREC_RECCOBEATS_URL") or RECCOBEATS_URL),
            redirect_uri=values.get("SPOTIFY_REDIRECT_URI") or REDIRECT_URI,
            token_cache=token_cache or _default_token_cache(),
        )


def _slash(url: str) -> str:
    return url if url.endswith("/") else url + "/"


def _default_token_cache() -> Path:
    from platformdirs import user_config_dir

    return Path(user_config_dir("musicrec")) / "spotify-token.json"


def private_file(path: Path) -> Path:
    """Create ``path`` (and its folder) readable and writable by its owner only."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
    os.close(fd)
    os.chmod(path, 0o600)
    return path
