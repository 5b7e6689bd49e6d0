"""Shared fixtures: the real data in ../shared/data and one model built from it per run."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def _data_dir() -> Path:
    configured = os.environ.get("MUSICREC_DATA_DIR")
    path = Path(configured) if configured else ROOT.parent / "shared" / "data"
    if not (path / "spotify_songs" / "spotify_songs.csv").is_file():
        pytest.exit(
            f"test data not found at {path}: set MUSICREC_DATA_DIR to the folder holding "
            "spotify_songs/spotify_songs.csv (../shared/data here)",
            returncode=4,
        )
    return path.resolve()


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return _data_dir()


@pytest.fixture(scope="session")
def songs_csv(data_dir) -> Path:
    return data_dir / "spotify_songs" / "spotify_songs.csv"


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="session")
def songs_import(songs_csv):
    from musicrec.data.importers.tidytuesday import read_spotify_songs

    return read_spotify_songs(songs_csv)


@pytest.fixture(scope="session")
def model(data_dir, cache_dir):
    from musicrec.workspace import ensure_model

    return ensure_model("spotify_songs", data_dir=data_dir, cache_dir=cache_dir)


@pytest.fixture(scope="session")
def rec(model):
    from musicrec import Recommender

    return Recommender(model)


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch, data_dir, cache_dir):
    """CLI runs in tests see the real data and the session's cache, nothing of the user's."""
    monkeypatch.setenv("MUSICREC_DATA_DIR", str(data_dir))
    monkeypatch.setenv("MUSICREC_CACHE_DIR", str(cache_dir))
    monkeypatch.delenv("MUSICREC_DEBUG", raising=False)
    # no test reaches the real Spotify or ReccoBeats: credentials unset, addresses local
    for name in ("SPOTIFY_CLIENT_ID", "SPOTIFY_CLIENT_SECRET", "SPOTIFY_REDIRECT_URI"):
        monkeypatch.delenv(name, raising=False)
    closed = "http://127.0.0.1:9/"  # the discard port: nothing listens there
    monkeypatch.setenv("MUSICREC_DOTENV", "")
    monkeypatch.setenv("MUSICREC_SPOTIFY_API_URL", closed + "v1/")
    monkeypatch.setenv("MUSICREC_SPOTIFY_ACCOUNTS_URL", closed)
    monkeypatch.setenv("MUSICREC_RECCOBEATS_URL", closed)
    monkeypatch.setenv("MUSICREC_SPOTIFY_TOKEN_CACHE", str(cache_dir / "spotify-token.json"))


def signals_as_at_a_terminal() -> None:
    """For ``Popen(preexec_fn=...)``: the child starts with Ctrl-C's default action.
    A shell starts a background job (``pytest ... &``) with SIGINT ignored, children
    inherit that, and Python then installs no KeyboardInterrupt handler, so a test that
    sends SIGINT would see it ignored however musicrec handles it."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL)
