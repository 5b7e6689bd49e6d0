"""Spotify and ReccoBeats with the real spotipy client against fake services on
127.0.0.1: resolving, the provider chain, faults, exports, secrets."""

from __future__ import annotations

import json
import logging
import os
import stat
import time
from pathlib import Path

import pytest

from musicrec.data.user_tracks import USER_TRACKS, UserTracks
from musicrec.errors import UnknownTrackError
from musicrec.recommend.seeds import spotify_track_id
from musicrec.spotify.client import SpotifyClient, SpotifyError
from musicrec.spotify.providers import (
    CsvFeaturesProvider,
    ReccoBeatsProvider,
    SpotifyFeaturesProvider,
    clean_features,
    run_chain,
)
from musicrec.spotify.settings import MissingCredentialsError, SpotifySettings
from tests.api_server import running
from tests.fake_spotify import (
    APP_TOKEN,
    CLIENT_ID,
    CLIENT_SECRET,
    OUTSIDE_ID,
    USER_TOKEN,
    FakeState,
    make_app,
    track_object,
)
from tests.test_cli import cli

BAD_GUY = "2Fxmhks0bxGSBdJ92vM42m"


@pytest.fixture
def fake():
    state = FakeState()
    with running(make_app(state)) as url:
        state.url = url
        yield state


@pytest.fixture
def settings(fake, tmp_path):
    return SpotifySettings(
        client_id=CLIENT_ID, client_secret=CLIENT_SECRET, api_url=fake.url + "/v1/",
        accounts_url=fake.url + "/accounts/", reccobeats_url=fake.url + "/reccobeats/v1/",
        token_cache=tmp_path / "config" / "spotify-token.json", timeout=3,
    )


@pytest.fixture
def spotify_env(fake, monkeypatch, tmp_path):
    """The CLI pointed at the fakes, with credentials set."""
    monkeypatch.setenv("SPOTIFY_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("SPOTIFY_CLIENT_SECRET", CLIENT_SECRET)
    monkeypatch.setenv("MUSICREC_SPOTIFY_API_URL", fake.url + "/v1/")
    monkeypatch.setenv("MUSICREC_SPOTIFY_ACCOUNTS_URL", fake.url + "/accounts/")
    monkeypatch.setenv("MUSICREC_RECCOBEATS_URL", fake.url + "/reccobeats/v1/")
    monkeypatch.setenv("MUSICREC_CACHE_DIR", str(tmp_path / "cache"))
    cache = tmp_path / "config" / "spotify-token.json"
    monkeypatch.setenv("MUSICREC_SPOTIFY_TOKEN_CACHE", str(cache))
    # the session's model, so nothing is rebuilt: link it into this cache
    models = tmp_path / "cache" / "models"
    models.mkdir(parents=True)
    shared = Path(os.environ["PYTEST_SHARED_CACHE"]) / "models" / "spotify_songs"
    (models / "spotify_songs").symlink_to(shared)
    return fake


@pytest.fixture(autouse=True)
def _shared_cache(cache_dir, model, monkeypatch):
    monkeypatch.setenv("PYTEST_SHARED_CACHE", str(cache_dir))


def _user_token(path: Path, expired: bool = True) -> None:
    """A token cache as the PKCE flow leaves it (expired: spotipy refreshes it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({
        "access_token": "old-token" if expired else USER_TOKEN, "token_type": "Bearer",
        "expires_in": 3600,
        "refresh_token": "refresh-1", "scope": "playlist-modify-private",
        "expires_at": int(time.time()) - 10 if expired else int(time.time()) + 3600,
    }))


# ------------------------------------------------------------------ settings


def test_settings_from_environment_and_dotenv(tmp_path):
    dotenv = tmp_path / ".env"
    dotenv.write_text("SPOTIFY_CLIENT_ID=from-file\nSPOTIFY_CLIENT_SECRET=file-secret\n")
    settings = SpotifySettings.from_environment({"SPOTIFY_CLIENT_ID": "from-env"}, dotenv)
    assert settings.client_id == "from-env" and settings.client_secret == "file-secret"
    assert "file-secret" not in repr(settings)
    empty = SpotifySettings.from_environment({}, None)
    assert not empty.has_credentials
    with pytest.raises(MissingCredentialsError, match="SPOTIFY_CLIENT_ID and SPOTIFY_CLIENT"):
        empty.require("Looking tracks up on Spotify")


# ------------------------------------------------------------------ resolving


@pytest.mark.parametrize("given", [
    f"https://open.spotify.com/track/{OUTSIDE_ID}?si=abc",
    f"spotify:track:{OUTSIDE_ID}",
    OUTSIDE_ID,
])
def test_resolve_by_url_uri_and_id(settings, given):
    track_id = spotify_track_id(given) or given
    track = SpotifyClient(settings).track(track_id)
    assert track["track_id"] == OUTSIDE_ID and track["name"] == "Outside Song"
    assert track["artists"] == ["Nobody Known"] and track["year"] == 2017
    assert track["popularity"] == 77


def test_resolve_by_text(settings):
    client = SpotifyClient(settings)
    assert client.search("outside song nobody")["track_id"] == OUTSIDE_ID
    assert client.search("nothing like it") is None


def test_wrong_secret_is_refused_without_showing_it(settings):
    bad = SpotifySettings(**{**settings.__dict__, "client_secret": "wrong-secret-77"})
    with pytest.raises(SpotifyError, match="refused the credentials") as caught:
        SpotifyClient(bad).track(OUTSIDE_ID)
    assert "wrong-secret-77" not in str(caught.value)


# ------------------------------------------------------------------ providers


def test_chain_moves_on_after_403_and_reports_it_once(fake, settings):
    client = SpotifyClient(settings)
    chain = [SpotifyFeaturesProvider(client), ReccoBeatsProvider(settings)]
    first = run_chain(chain, [OUTSIDE_ID])
    assert first.source[OUTSIDE_ID] == "reccobeats"
    assert first.features[OUTSIDE_ID]["danceability"] == pytest.approx(0.825)
    assert len(first.problems) == 1 and "403" in first.problems[0]
    asked = sum(1 for _, path, _ in fake.calls if path == "/v1/audio-features")
    run_chain(chain, [OUTSIDE_ID])
    assert sum(1 for _, path, _ in fake.calls if path == "/v1/audio-features") == asked == 1


def test_spotify_features_when_the_app_still_has_access(fake, settings):
    fake.features_mode = "200"
    result = run_chain([SpotifyFeaturesProvider(SpotifyClient(settings))], [OUTSIDE_ID])
    assert result.source == {OUTSIDE_ID: "spotify"} and result.features[OUTSIDE_ID]["tempo"] > 90


def test_values_are_checked_and_percentages_rescaled():
    cleaned = clean_features({"energy": 65, "valence": 0.5, "danceability": 250, "tempo": 120,
                              "loudness": -5, "key": 14, "mode": True, "liveness": "0.2"})
    assert cleaned == {"energy": 0.65, "valence": 0.5, "tempo": 120.0, "loudness": -5.0,
                       "liveness": 0.2}


def test_csv_provider(tmp_path):
    path = tmp_path / "mine.csv"
    path.write_text(f"track_id,energy,danceability,tempo\n{OUTSIDE_ID},0.7,0.6,128\n")
    found = CsvFeaturesProvider(path).features([OUTSIDE_ID, "other"])
    assert found == {OUTSIDE_ID: {"energy": 0.7, "danceability": 0.6, "tempo": 128.0}}


def test_429_then_success(fake, settings):
    fake.fail["/reccobeats"] = [429, 1, 1]  # once, "Retry-After: 1"
    fake.fail["/v1/tracks"] = [429, 1, 1]
    started = time.monotonic()
    assert ReccoBeatsProvider(settings).features([OUTSIDE_ID])
    assert SpotifyClient(settings).track(OUTSIDE_ID)["name"] == "Outside Song"
    assert time.monotonic() - started >= 1.9  # both waited as asked


def test_5xx_retries_then_a_clear_message(fake, settings):
    fake.fail["/v1/tracks"] = [503, 100, None]
    with pytest.raises(SpotifyError, match="HTTP 503|Max Retries|answered with errors"):
        SpotifyClient(settings, retries=2, backoff=0.01).track(OUTSIDE_ID)
    assert sum(1 for _, p, _ in fake.calls if p.startswith("/v1/tracks")) == 3  # 1 + 2 retries
    fake.fail["/reccobeats"] = [502, 100, None]
    with pytest.raises(SpotifyError, match="ReccoBeats"):
        ReccoBeatsProvider(settings, retries=1, backoff=0.01).features([OUTSIDE_ID])


def test_malformed_json_timeouts_and_network_down(fake, settings):
    fake.malformed.add("/v1/tracks")
    with pytest.raises(SpotifyError, match="not valid JSON"):
        SpotifyClient(settings).track(OUTSIDE_ID)
    fake.malformed.add("/reccobeats")
    with pytest.raises(SpotifyError, match="not valid JSON"):
        ReccoBeatsProvider(settings).features([OUTSIDE_ID])
    fake.malformed.clear()
    fake.slow["/v1/search"] = 2.0
    quick = SpotifySettings(**{**settings.__dict__, "timeout": 0.5})
    with pytest.raises(SpotifyError, match="did not answer within"):
        SpotifyClient(quick, retries=0).search("outside")
    down = SpotifySettings(**{**settings.__dict__, "api_url": "http://127.0.0.1:9/v1/",
                              "accounts_url": "http://127.0.0.1:9/",
                              "reccobeats_url": "http://127.0.0.1:9/"})
    with pytest.raises(SpotifyError, match="cannot reach"):
        SpotifyClient(down, retries=0).track(OUTSIDE_ID)
    with pytest.raises(SpotifyError, match="cannot reach ReccoBeats"):
        ReccoBeatsProvider(down, retries=0).features([OUTSIDE_ID])


# ------------------------------------------------------------------ the command line


def test_outside_seed_is_added_and_found_next_time(spotify_env, capsys, tmp_path):
    url = f"https://open.spotify.com/track/{OUTSIDE_ID}"
    code, out, err = cli(capsys, "recommend", "--seed", url, "--format", "json")
    assert code == 0, err
    assert len(json.loads(out)) == 10
    err = " ".join(err.split())
    assert "403" in err and "added Outside Song to your tracks (features from reccobeats)" in err
    table = UserTracks(tmp_path / "cache" / USER_TRACKS)
    assert table.get(OUTSIDE_ID)["name"] == "Outside Song"
    assert table.get(OUTSIDE_ID)["source"] == "added:reccobeats"
    asked = len(spotify_env.calls)
    code, out, err = cli(capsys, "recommend", OUTSIDE_ID, "--k", "3", "--format", "json")
    assert code == 0 and len(spotify_env.calls) == asked  # nothing asked again
    code, out, _ = cli(capsys, "search", "Outside Song", "--format", "json")
    assert code == 0 and json.loads(out)[0]["track_id"] == OUTSIDE_ID


def test_outside_seed_by_text_through_spotify_search(spotify_env, capsys):
    code, out, err = cli(capsys, "recommend", "Outside Song Nobody Known", "--k", "5",
                         "--format", "json")
    err = " ".join(err.split())
    assert code == 0, err
    assert "on Spotify it is Outside Song - Nobody Known" in err and len(json.loads(out)) == 5
    code, _, err = cli(capsys, "recommend", "zzqx no such song anywhere")
    assert code == 1 and "no track matches" in err


def test_outside_seed_that_nobody_knows(spotify_env, capsys):
    unknown = "0000000000000000000000"
    spotify_env.tracks[unknown] = track_object(unknown, "Unknown Song")
    code, _, err = cli(capsys, "recommend", f"spotify:track:{unknown}")
    err = " ".join(err.split())
    assert code == 1 and "no feature provider could describe it" in err
    assert "--features-file" in err and "Traceback" not in err


def test_outside_seed_without_credentials_uses_reccobeats(spotify_env, capsys, monkeypatch):
    monkeypatch.delenv("SPOTIFY_CLIENT_ID")
    monkeypatch.delenv("SPOTIFY_CLIENT_SECRET")
    code, out, err = cli(capsys, "recommend", OUTSIDE_ID, "--format", "json")
    assert code == 0 and "title and artist stay unknown" in " ".join(err.split()), err
    code, _, err = cli(capsys, "recommend", "bad guy", "--to-spotify", "Mine")
    assert code == 1 and "SPOTIFY_CLIENT_ID and SPOTIFY_CLIENT_SECRET" in " ".join(err.split())


@pytest.mark.parametrize("suffix", ["m3u8", "jspf", "csv"])
def test_export_files_read_back(capsys, tmp_path, suffix):
    path = tmp_path / f"list.{suffix}"
    code, out, err = cli(capsys, "recommend", "bad guy", "--format", "json", "--export",
                         str(path))
    assert code == 0, err
    ids = [r["track_id"] for r in json.loads(out)]
    text = path.read_text(encoding="utf-8")
    if suffix == "m3u8":
        lines = text.splitlines()
        assert lines[0] == "#EXTM3U"
        entries = [line for line in lines if not line.startswith("#")]
        assert entries == [f"https://open.spotify.com/track/{i}" for i in ids]
        assert sum(line.startswith("#EXTINF:") for line in lines) == len(ids)
    elif suffix == "jspf":
        playlist = json.loads(text)["playlist"]
        assert {"title", "creator", "date", "track"} <= set(playlist)
        assert [t["identifier"][0].rsplit("/", 1)[1] for t in playlist["track"]] == ids
        assert all(isinstance(t["duration"], int) and t["title"] for t in playlist["track"])
    else:
        rows = text.splitlines()
        assert rows[0].startswith("track_id,name") and [r.split(",")[0] for r in rows[1:]] == ids
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary files left


def test_failed_export_leaves_nothing(capsys, tmp_path):
    code, _, err = cli(capsys, "recommend", "bad guy", "--export", str(tmp_path / "list.mp3"))
    assert code == 1 and ".m3u8, .jspf, .csv" in err
    assert not list(tmp_path.iterdir())


def test_to_spotify_in_batches_of_100(spotify_env, capsys, tmp_path):
    _user_token(tmp_path / "config" / "spotify-token.json")
    code, out, err = cli(capsys, "recommend", "bad guy", "--k", "150", "--artist-cap", "0",
                         "--format", "json", "--to-spotify", "Like bad guy")
    assert code == 0, err
    ids = [r["track_id"] for r in json.loads(out)]
    playlist = spotify_env.playlists["pl1"]
    assert playlist["name"] == "Like bad guy" and playlist["public"] is False
    assert playlist["items"] == [f"spotify:track:{i}" for i in ids] and playlist["batches"] == 2
    assert "with 150 tracks" in err
    cache = tmp_path / "config" / "spotify-token.json"
    assert stat.S_IMODE(cache.stat().st_mode) == 0o600
    assert json.loads(cache.read_text())["access_token"] == USER_TOKEN  # refreshed


def test_to_spotify_partial_failure_says_what_was_added(spotify_env, capsys, tmp_path):
    _user_token(tmp_path / "config" / "spotify-token.json", expired=False)
    spotify_env.fail_batch = 2
    code, _, err = cli(capsys, "recommend", "bad guy", "--k", "150", "--artist-cap", "0",
                       "--to-spotify", "Half")
    err = " ".join(err.split())
    assert code == 1
    assert "only 100 of 150 tracks were added" in err and "created" in err


def test_pkce_authorization_code_flow(fake, settings, monkeypatch):
    """No cached token: the user's browser allows the app, the redirect brings the code,
    and the code verifier is checked by the (fake) accounts service."""
    import threading
    import webbrowser

    import httpx

    from tests.api_server import free_port

    port = free_port()
    redirect = f"http://127.0.0.1:{port}/callback"
    pkce = SpotifySettings(**{**settings.__dict__, "redirect_uri": redirect})

    def browser(url, *args, **kwargs):
        threading.Thread(target=lambda: httpx.get(url, follow_redirects=True, timeout=10),
                         daemon=True).start()
        return True

    monkeypatch.setattr(webbrowser, "open", browser)
    result = SpotifyClient(pkce).create_playlist("Via PKCE", [BAD_GUY])
    assert result.added == 1 and fake.playlists["pl1"]["items"] == [f"spotify:track:{BAD_GUY}"]
    assert stat.S_IMODE(pkce.token_cache.stat().st_mode) == 0o600


def test_no_secret_or_token_in_output_or_logs(spotify_env, capsys, caplog, tmp_path):
    caplog.set_level(logging.DEBUG)
    _user_token(tmp_path / "config" / "spotify-token.json")
    code, out, err = cli(capsys, "recommend", "--seed", OUTSIDE_ID, "--k", "5",
                         "--to-spotify", "Secretless", "--debug")
    assert code == 0, err
    code2, out2, err2 = cli(capsys, "recommend", "0000000000000000000001", "--debug")
    everything = out + err + out2 + err2 + caplog.text
    for secret in (CLIENT_SECRET, APP_TOKEN, USER_TOKEN, "refresh-1", "refresh-2"):
        assert secret not in everything, secret


def test_user_table_refuses_a_broken_file(tmp_path):
    path = tmp_path / USER_TRACKS
    path.write_bytes(b"not parquet")
    from musicrec.errors import DataFileError

    with pytest.raises(DataFileError, match="delete it"):
        UserTracks(path)


def test_unknown_outside_seed_without_lookup(rec):
    with pytest.raises(UnknownTrackError, match="not in the catalog"):
        rec.recommend(f"spotify:track:{OUTSIDE_ID}")


def test_rest_looks_up_outside_tracks_as_the_cli_does(spotify_env, monkeypatch, tmp_path,
                                                      data_dir):
    """The server opens the model with the same Spotify lookup as the command line: a
    link outside the catalog is a seed there too, and its notes come back as notices."""
    import httpx

    from musicrec.api.app import ENV_PREFIX, app_from_environment

    monkeypatch.setenv(ENV_PREFIX + "CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv(ENV_PREFIX + "DATA_DIR", str(data_dir))
    with running(app_from_environment()) as url, httpx.Client(base_url=url, timeout=30) as http:
        link = f"https://open.spotify.com/track/{OUTSIDE_ID}"
        response = http.post("/recommend", json={"seeds": [link], "k": 4})
        assert response.status_code == 200, response.text
        body = response.json()
        assert len(body["results"]) == 4 and body["seeds"][0]["track_id"] == OUTSIDE_ID
        assert any("added Outside Song" in n for n in body["notices"])
        unknown = "0000000000000000000000"
        spotify_env.tracks[unknown] = track_object(unknown, "Unknown Song")
        response = http.post("/recommend", json={"seeds": [f"spotify:track:{unknown}"]})
        assert response.status_code == 404
        assert "no feature provider could describe it" in response.json()["error"]


def test_names_with_control_characters_export_cleanly(tmp_path):
    """A catalog title with CR/LF cannot add lines to a playlist file."""
    import pandas as pd

    from musicrec import Catalog
    from musicrec.data.importers.kaggle import read_kaggle_tracks
    from musicrec.export import render
    from tests.conftest import FIXTURES

    result = read_kaggle_tracks(FIXTURES / "kaggle_data.csv")
    tracks = result.tracks.copy()
    tracks.loc[0, "name"] = "Song\r\nfile:///etc/passwd"
    tracks.at[0, "artists"] = ["A\nB"]
    catalog = Catalog(tracks, result.interactions, result.playlists)
    ids = [str(t) for t in tracks["track_id"][:2]]
    m3u = render(catalog, ids, "m3u8", "t").splitlines()
    assert len(m3u) == 6 and m3u[2].endswith("A B - Song file:///etc/passwd")
    rows = render(catalog, ids, "csv").splitlines()
    assert len(rows) == 3 and not pd.isna(rows[1])
