"""The Subsonic API under /rest/, driven by the real client libraries py-opensonic
(libopensonic) and py-sonic (libsonic) against a real uvicorn server on 127.0.0.1,
over a library scanned from the audio clips of ../shared/data/audio."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import httpx
import numpy as np
import pytest

from musicrec.cli import run
from tests.api_server import running

USER, PASSWORD = "alice", "wonderland-42"
VIBE_ACE = "Kevin_MacLeod_-_Vibe_Ace.ogg"


def _embed_cover(path: Path) -> bytes:
    """Put a small PNG into the Ogg file's Vorbis comments; returns the PNG."""
    from mutagen.flac import Picture
    from mutagen.oggvorbis import OggVorbis
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (600, 400), (200, 30, 60)).save(out, "PNG")
    picture = Picture()
    picture.type, picture.mime, picture.data = 3, "image/png", out.getvalue()
    picture.width, picture.height, picture.depth = 600, 400, 24
    audio = OggVorbis(str(path))
    audio["metadata_block_picture"] = [base64.b64encode(picture.write()).decode()]
    audio["album"] = ["Test Covers"]
    audio.save()
    return out.getvalue()


@pytest.fixture(scope="module")
def served(data_dir, tmp_path_factory, model):
    """A library of the clips (one with an embedded cover) and its 'audio' model, served
    with the Subsonic API; yields (base URL, library folder, cache, cover PNG). The
    session's default model is copied into its cache (a hybrid of the library learns
    its style from it)."""
    folder = tmp_path_factory.mktemp("subsonic-music")
    for clip in sorted((data_dir / "audio").glob("*.ogg")):
        shutil.copy(clip, folder / clip.name)
    cover = _embed_cover(folder / VIBE_ACE)
    cache = tmp_path_factory.mktemp("subsonic-cache")
    shutil.copytree(model.path, cache / "models" / model.path.name)
    users = tmp_path_factory.mktemp("subsonic-config") / "users.json"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MUSICREC_SUBSONIC_USERS", str(users))
        patch.setenv("MUSICREC_CACHE_DIR", str(cache))
        assert run(["library", "scan", str(folder), "--jobs", "2", "--cache-dir",
                    str(cache)]) == 0
        from musicrec.api.app import create_app
        from musicrec.subsonic.users import UserFile
        from musicrec.workspace.models import open_recommender

        UserFile().set_password(USER, PASSWORD)
        rec = open_recommender("library", cache_dir=cache)
        with running(create_app(rec, cache_dir=cache)) as base:
            yield base, folder, cache, cover


def opensonic(base: str, **auth):
    from libopensonic import Connection

    host, port = base.rsplit(":", 1)
    auth = auth or {"username": USER, "password": PASSWORD}
    return Connection(host, port=int(port), **auth)


def pysonic(base: str, password: str = PASSWORD, **options):
    from libsonic import Connection

    host, port = base.rsplit(":", 1)
    return Connection(host, USER, password, port=int(port), **options)


def body(connection, response) -> bytes:
    """The bytes of a libopensonic binary answer (an aiohttp response on its loop)."""
    return asyncio.run_coroutine_threadsafe(response.read(), connection._loop).result()


def params(**extra) -> dict:
    return {"u": USER, "p": PASSWORD, "v": "1.16.1", "c": "test", "f": "json", **extra}


def call(base: str, method: str, **extra) -> dict:
    answer = httpx.get(f"{base}/rest/{method}", params=params(**extra))
    assert answer.status_code == 200
    return answer.json()["subsonic-response"]


def all_songs(base: str) -> list[dict]:
    return call(base, "search3", query="", songCount=100)["searchResult3"]["song"]


def test_py_opensonic_logs_in_lists_and_searches(served):
    base, folder, _, _ = served
    client = opensonic(base)
    try:
        assert client.ping()
        assert "sonicSimilarity" in [e.name for e in client.get_open_subsonic_extensions()]
        # py-opensonic 10.4.1's get_music_folders iterates the musicFolders element
        # itself, not its musicFolder list (the spec's shape), so py-sonic reads it here
        folders = pysonic(base).getMusicFolders()["musicFolders"]["musicFolder"]
        assert [f["name"] for f in folders] == ["library"]
        artists = [a for index in client.get_artists().index for a in index.artist]
        names = {a.name for a in artists}
        assert "Kevin MacLeod" in names
        kevin = next(a for a in artists if a.name == "Kevin MacLeod")
        albums = client.get_artist(kevin.id).album
        songs = [s for a in albums for s in client.get_album(a.id).song]
        assert {s.title for s in songs} >= {"Vibe Ace"}
        for song in songs:  # every song is its own file's: size and type from the file
            again = client.get_song(song.id)
            assert again.title == song.title and again.size > 0
            assert again.content_type == "audio/ogg" and again.suffix == "ogg"
            assert str(folder) not in (again.path or "") and "/" not in song.id
        listed = client.get_album_list2("alphabeticalByName", size=50)
        assert len(listed) == len({s["albumId"] for s in all_songs(base)})
        assert len(client.get_random_songs(size=3)) == 3
        found = client.search3("vibe")
        assert [s.title for s in found.song] == ["Vibe Ace"]
    finally:
        client.cleanup()


def test_py_sonic_lists_searches_and_streams_the_files_own_bytes(served):
    base, folder, _, _ = served
    client = pysonic(base)
    assert client.ping()
    found = client.search3("vibe")["searchResult3"]["song"]
    song = found[0] if isinstance(found, list) else found
    original = (folder / VIBE_ACE).read_bytes()
    assert client.stream(song["id"]).read() == original
    assert client.download(song["id"]).read() == original


def test_folder_browsing_of_older_clients_reaches_the_same_songs(served):
    """getIndexes and getMusicDirectory (artists, then albums, as directories), the way
    DSub and other older clients browse; py-sonic drives them."""
    base, _, _, _ = served
    client = pysonic(base)
    indexes = client.getIndexes()["indexes"]["index"]
    songs = []
    for index in indexes:
        for artist in index["artist"]:
            albums = client.getMusicDirectory(artist["id"])["directory"]["child"]
            for album in albums:
                assert album["isDir"] is True
                songs += client.getMusicDirectory(album["id"])["directory"]["child"]
    assert sorted(s["id"] for s in songs) == sorted(s["id"] for s in all_songs(base))
    listed = client.getAlbumList("alphabeticalByName", size=50)["albumList"]["album"]
    assert {a["id"] for a in listed} == {s["albumId"] for s in songs}
    found = client.search2("vibe")["searchResult2"]["song"]
    assert [s["title"] for s in (found if isinstance(found, list) else [found])] == [
        "Vibe Ace"]


def test_stream_answers_ranges_and_transcodes_with_ffmpeg(served):
    base, folder, _, _ = served
    song = next(s for s in all_songs(base) if s["title"] == "Vibe Ace")
    original = (folder / VIBE_ACE).read_bytes()
    part = httpx.get(f"{base}/rest/stream", params=params(id=song["id"]),
                     headers={"Range": "bytes=1000-1999"})
    assert part.status_code == 206 and part.content == original[1000:2000]
    client = opensonic(base)
    try:
        assert body(client, client.stream(song["id"])) == original
        if shutil.which("ffmpeg") is None:
            pytest.fail("ffmpeg is needed (Debian's ffmpeg package; .ci/run installs it)")
        mp3 = body(client, client.stream(song["id"], max_bit_rate=64, tformat="mp3"))
    finally:
        client.cleanup()
    from musicrec.features.audio.decode import decode

    target = Path(served[2]) / "transcoded.mp3"
    target.write_bytes(mp3)
    decoded = decode(target, window=None)
    duration = song["duration"]
    # a 64 kb/s MP3 of the whole song: the right length, about 8 kB a second
    assert abs(decoded.duration - duration) < 2
    assert 6_000 * duration < len(mp3) < 10_000 * duration


def test_cover_art_is_the_embedded_picture_scaled_on_request(served):
    base, _, _, cover = served
    from PIL import Image

    song = next(s for s in all_songs(base) if s["title"] == "Vibe Ace")
    client = opensonic(base)
    try:
        assert body(client, client.get_cover_art(song["coverArt"])) == cover
        small = body(client, client.get_cover_art(song["albumId"], size=60))
    finally:
        client.cleanup()
    assert Image.open(io.BytesIO(small)).size == (60, 40)
    other = next(s for s in all_songs(base) if s["title"] != "Vibe Ace")
    assert call(base, "getCoverArt", id=other["id"])["error"]["code"] == 70


def test_similar_songs_sonic_matches_and_a_sonic_path(served):
    base, _, _, _ = served
    songs = all_songs(base)
    client = opensonic(base)
    try:
        first, last = songs[0], songs[-1]
        matches = client.get_sonic_similar_tracks(first["id"], count=4)
        assert len(matches) == 4 and first["id"] not in [m.entry.id for m in matches]
        scores = [m.similarity for m in matches]
        assert scores == sorted(scores, reverse=True) and all(0 <= s <= 1 for s in scores)
        similar = client.get_similar_songs2(first["id"], count=3)
        assert [s.id for s in similar] == [m.entry.id for m in matches[:3]]
        assert len(client.get_similar_songs2(first["albumId"], count=3)) == 3
        path = client.find_sonic_path(first["id"], last["id"], count=4)
        ids = [m.entry.id for m in path]
        assert ids[0] == first["id"] and ids[-1] == last["id"] and len(set(ids)) == len(ids)
        assert path[0].similarity == 1.0
    finally:
        client.cleanup()
    # the same answer as the Recommender gives
    from musicrec.subsonic.service import similarity
    from musicrec.workspace.models import open_recommender

    rec = open_recommender("library", cache_dir=served[2])
    expected = rec.similar(rec.catalog.index_of and _track_id(rec, first["title"]), k=4)
    assert [r.name for r in expected] == [m.entry.title for m in matches]
    assert [similarity(r.score) for r in expected] == scores


def _track_id(rec, title: str) -> str:
    return str(rec.catalog.tracks.loc[rec.catalog.tracks["name"] == title, "track_id"].iloc[0])


def test_scrobbles_become_listening_data_and_a_mix(served):
    base, _, cache, _ = served
    songs = all_songs(base)
    client = pysonic(base)
    for song in songs[:3]:
        assert client.scrobble(song["id"], submission=True)
    assert client.scrobble(songs[3]["id"], submission=False)  # "now playing": not a play
    from musicrec.data.interactions.store import read_listens_named

    listens = read_listens_named(cache, "subsonic").to_frame()
    assert sorted(listens["title"]) == sorted(s["title"] for s in songs[:3])
    assert listens["track_id"].notna().all() and set(listens["user"]) == {USER}
    mix = opensonic(base)
    try:
        playlists = mix.get_playlists()
        recent = next(p for p in playlists if p.name == "Mix from your recent plays")
        entries = mix.get_playlist(recent.id).entry
    finally:
        mix.cleanup()
    played = {s["id"] for s in songs[:3]}
    assert entries and not played & {e.id for e in entries}
    assert run(["subsonic", "plays", "--cache-dir", str(cache)]) == 0


def test_scrobbles_feed_a_hybrid_model(served, capsys):
    base, _, cache, _ = served
    client = pysonic(base)
    for song in all_songs(base)[:4]:
        client.scrobble(song["id"])
    code = run(["build", "--dataset", "library", "--model", "hybrid", "--listens",
                "subsonic", "--cache-dir", str(cache)])
    err = capsys.readouterr().err
    assert code == 0, err
    # the four scrobbled songs (some of them played in the test before, too) of one user
    assert "Listening data 'subsonic': 4 (user, track) pairs of 1 users" in " ".join(
        err.split())


def test_stars_and_now_playing(served):
    base, _, _, _ = served
    songs = all_songs(base)
    client = opensonic(base)
    try:
        assert client.star(sids=[songs[0]["id"]], album_ids=[songs[1]["albumId"]])
        starred = client.get_starred2()
        assert [s.id for s in starred.song] == [songs[0]["id"]]
        assert [a.id for a in starred.album] == [songs[1]["albumId"]]
        assert [a.id for a in client.get_album_list2("starred")] == [songs[1]["albumId"]]
        assert client.unstar(sids=[songs[0]["id"]])
        assert not client.get_starred2().song
        assert client.scrobble(songs[2]["id"], submission=False)
        playing = client.get_now_playing()
    finally:
        client.cleanup()
    assert [(e.id, e.username) for e in playing] == [(songs[2]["id"], USER)]
    assert call(base, "star", id="tr" + "0" * 16)["error"]["code"] == 70


def test_playlists_are_created_changed_listed_and_deleted(served):
    base, _, _, _ = served
    songs = all_songs(base)
    client = opensonic(base)
    try:
        assert client.create_playlist(name="Evening",
                                      song_ids=[songs[0]["id"], songs[1]["id"]])
        made = next(p for p in client.get_playlists() if p.name == "Evening")
        assert [e.id for e in client.get_playlist(made.id).entry] == [
            songs[0]["id"], songs[1]["id"]]
        client.update_playlist(made.id, song_ids_to_add=[songs[2]["id"]],
                               song_indices_to_remove=[0])
        again = client.get_playlist(made.id)
        assert [e.id for e in again.entry] == [songs[1]["id"], songs[2]["id"]]
        assert made.id in [p.id for p in client.get_playlists()]
        assert client.delete_playlist(made.id)
        assert made.id not in [p.id for p in client.get_playlists()]
    finally:
        client.cleanup()


def test_logins_token_password_api_key_and_their_failures(served, monkeypatch):
    base, _, _, _ = served
    from libopensonic import errors as os_errors

    assert pysonic(base, legacyAuth=True).ping()  # p=enc:HEX
    with pytest.raises(Exception, match="Wrong username or password"):
        pysonic(base, password="wrong").ping()
    salt = "c19b2d"
    token = hashlib.md5((PASSWORD + salt).encode()).hexdigest()
    ok = httpx.get(f"{base}/rest/ping.view", params={"u": USER, "t": token, "s": salt,
                                                    "v": "1.16.1", "c": "t"})
    root = ET.fromstring(ok.content)  # XML by default
    assert root.tag == "{http://subsonic.org/restapi}subsonic-response"
    assert root.get("status") == "ok" and root.get("openSubsonic") == "true"
    no_password = {k: v for k, v in params().items() if k != "p"}
    assert httpx.get(f"{base}/rest/ping", params=no_password).json()[
        "subsonic-response"]["error"]["code"] == 10
    from musicrec.subsonic.users import UserFile

    key_id, key = UserFile().new_key(USER, "test")
    client = opensonic(base, api_key=key)
    try:
        assert client.ping()
    finally:
        client.cleanup()
    both = httpx.get(f"{base}/rest/ping", params={"apiKey": key, "u": USER, "f": "json"})
    assert both.json()["subsonic-response"]["error"]["code"] == 43
    UserFile().revoke(key_id)
    revoked = opensonic(base, api_key=key)
    try:
        with pytest.raises(os_errors.SonicError):
            revoked.ping()
    finally:
        revoked.cleanup()
    assert httpx.get(f"{base}/rest/ping", params={"apiKey": key, "f": "json"}).json()[
        "subsonic-response"]["error"]["code"] == 44
    # no credentials at all, and the public endpoint
    assert httpx.get(f"{base}/rest/getSong", params={"id": "x", "f": "json"}).json()[
        "subsonic-response"]["error"]["code"] == 10
    assert httpx.get(f"{base}/rest/getOpenSubsonicExtensions", params={"f": "json"}
                     ).json()["subsonic-response"]["status"] == "ok"


def test_only_the_librarys_own_files_can_be_streamed(served, tmp_path):
    base, folder, cache, _ = served
    secret = tmp_path / "secret.txt"
    secret.write_text("not for clients")
    for bad in ("../../etc/passwd", "tr../../etc/passwd", str(secret), "/etc/passwd",
                "tr" + "0" * 16, "%2e%2e%2fetc%2fpasswd"):
        answer = httpx.get(f"{base}/rest/stream", params=params(id=bad))
        assert answer.json()["subsonic-response"]["error"]["code"] == 70, bad
    for path in ("/rest/..%2f..%2fetc%2fpasswd", "/rest/../../etc/passwd",
                 "/rest/stream/../../etc/passwd"):
        answer = httpx.get(base + path, params=params())
        assert b"root:" not in answer.content and b"not for clients" not in answer.content
    # a library file swapped for a link to a file outside the library is not served
    song = next(s for s in all_songs(base) if s["title"] != "Vibe Ace")
    target = next(p for p in folder.glob("*.ogg") if p.name != VIBE_ACE and
                  _title_of(p) == song["title"])
    kept = target.read_bytes()
    target.unlink()
    target.symlink_to(secret)
    try:
        answer = httpx.get(f"{base}/rest/stream", params=params(id=song["id"]))
        assert answer.json()["subsonic-response"]["error"]["code"] == 70
    finally:
        target.unlink()
        target.write_bytes(kept)


def _title_of(path: Path) -> str:
    from musicrec.features.audio.tags import read_tags

    return read_tags(path)["title"]


def test_catalog_without_files_offers_similarity_but_no_streams(rec, tmp_path, monkeypatch):
    """The default catalog is a music folder too: browse and similar songs work; its
    tracks have no files, so stream says so."""
    from musicrec.api.app import create_app
    from musicrec.subsonic.users import UserFile

    monkeypatch.setenv("MUSICREC_SUBSONIC_USERS", str(tmp_path / "users.json"))
    UserFile().set_password(USER, PASSWORD)
    with running(create_app(rec, cache_dir=tmp_path)) as base:
        hits = call(base, "search3", query="Bohemian Rhapsody", songCount=1)
        song = hits["searchResult3"]["song"][0]
        assert "size" not in song and "path" not in song
        assert call(base, "stream", id=song["id"])["error"]["code"] == 70
        matches = call(base, "getSonicSimilarTracks", id=song["id"], count=5)["sonicMatch"]
        expected = rec.similar(_track_id(rec, song["title"]), k=5)
        assert [m["entry"]["title"] for m in matches] == [r.name for r in expected]


def test_get_sonic_similar_tracks_under_load_answers_every_request(rec, tmp_path,
                                                                    monkeypatch):
    """A bounded load (400 requests from 4 client threads over loopback) on the 28k
    catalog: every answer is a full, correct match list. Latency is measured by
    benchmarks/subsonic_load.py, not here."""
    from concurrent.futures import ThreadPoolExecutor

    from musicrec.api.app import create_app
    from musicrec.subsonic.users import UserFile

    monkeypatch.setenv("MUSICREC_SUBSONIC_USERS", str(tmp_path / "users.json"))
    UserFile().set_password(USER, PASSWORD)
    ids = np.random.default_rng(7).choice(len(rec.catalog), 400, replace=False)
    with running(create_app(rec, cache_dir=tmp_path)) as base:
        from musicrec.subsonic.shelf import opaque_id

        name = str(rec.model.manifest.get("dataset"))
        songs = [opaque_id("tr", name, str(rec.catalog.tracks["track_id"].iloc[i]))
                 for i in ids]
        with httpx.Client(base_url=base) as http, ThreadPoolExecutor(4) as pool:
            answers = list(pool.map(lambda s: http.get("/rest/getSonicSimilarTracks",
                                                       params=params(id=s, count=10)), songs))
    for song, answer in zip(songs, answers, strict=True):
        matches = answer.json()["subsonic-response"]["sonicMatch"]
        assert len(matches) == 10 and song not in [m["entry"]["id"] for m in matches]


def test_users_and_keys_on_the_command_line_stay_private(tmp_path, monkeypatch, capsys):
    """The users file is the owner's alone (0600), keys are kept only as hashes, and
    what the CLI adds or revokes is what the server accepts."""
    import json
    import sys

    from musicrec.subsonic.users import Authenticator

    users = tmp_path / "config" / "users.json"
    monkeypatch.setenv("MUSICREC_SUBSONIC_USERS", str(users))
    monkeypatch.setattr(sys, "stdin", io.StringIO("a-long-password\n"))
    assert run(["subsonic", "user", "add", "bob", "--password-stdin"]) == 0
    assert users.stat().st_mode & 0o777 == 0o600
    auth = Authenticator()
    assert auth.authenticate({"u": "bob", "p": "a-long-password"}) == "bob"
    capsys.readouterr()
    assert run(["subsonic", "key", "add", "bob", "--label", "phone"]) == 0
    key = capsys.readouterr().out.strip()
    assert key and key not in users.read_text()
    assert users.stat().st_mode & 0o777 == 0o600
    assert auth.authenticate({"apiKey": key}) == "bob"
    assert run(["subsonic", "user", "list"]) == 0
    listed = capsys.readouterr().out
    key_id = json.loads(users.read_text())["users"]["bob"]["api_keys"][0]["id"]
    assert "bob" in listed and key_id in listed and key not in listed
    assert run(["subsonic", "key", "revoke", key_id]) == 0
    with pytest.raises(Exception, match="Invalid API key"):
        auth.authenticate({"apiKey": key})
    monkeypatch.setattr(sys, "stdin", io.StringIO("short\n"))
    assert run(["subsonic", "user", "add", "carol", "--password-stdin"]) == 1
    assert "at least 8 characters" in capsys.readouterr().err
    monkeypatch.setattr(sys, "stdin", io.StringIO("carols-password\n"))
    assert run(["subsonic", "user", "add", "carol", "--password-stdin"]) == 0
    assert run(["subsonic", "user", "remove", "bob"]) == 0
    with pytest.raises(Exception, match="Wrong username or password"):
        auth.authenticate({"u": "bob", "p": "a-long-password"})
