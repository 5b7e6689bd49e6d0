"""Your own audio files: analysis of real recordings, the scan, its cache and the library.

The six clips of ../shared/data/audio are always here; the eight full songs of Debian's
fretsonfire-songs-sectoid and -muldjord packages are fetched by .ci/run (apt-get
download, dpkg -x; never committed) into MUSICREC_SONGS_DIR. Their charts (notes.mid)
give each song's tempo, which the analysis is held to.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import numpy as np
import pytest

from musicrec.cli import run
from musicrec.features.audio.analyse import EMBEDDING_DIMS, analyse_samples
from musicrec.features.audio.decode import decode
from musicrec.features.audio.descriptors import ESTIMATED

TRUMPET = "sorohanro_-_solo-trumpet-06.ogg"
WHALE = "glacier-bay-humpback.ogg"
SUGAR_PLUM = "Kevin_MacLeod_-_P_I_Tchaikovsky_Dance_of_the_Sugar_Plum_Fairy.ogg"
VIBE_ACE = "Kevin_MacLeod_-_Vibe_Ace.ogg"


@pytest.fixture(scope="module")
def clips(data_dir) -> Path:
    return data_dir / "audio"


@pytest.fixture(scope="module")
def analyses(clips):
    return {p.name: analyse_samples(decode(p)) for p in sorted(clips.glob("*.ogg"))}


def songs_dir() -> Path | None:
    given = os.environ.get("MUSICREC_SONGS_DIR")
    path = Path(given) if given else None
    return path if path is not None and any(path.rglob("song.ogg")) else None


def octave_error(measured: float, truth: float) -> tuple[float, float]:
    """(relative error, factor) against truth, its double or its half, whichever fits."""
    return min((abs(measured - truth * f) / (truth * f), f) for f in (1.0, 2.0, 0.5))


def test_trumpet_loop_tempo_is_90_bpm_or_its_double_or_half(analyses):
    error, factor = octave_error(analyses[TRUMPET].tempo, 90.0)
    print(f"trumpet loop: {analyses[TRUMPET].tempo:.1f} BPM (x{factor} of 90, "
          f"{error:.1%} off)")
    assert error <= 0.03


def test_whale_song_has_low_danceability_and_the_dance_tracks_higher(analyses):
    whale = analyses[WHALE].estimates["danceability"]
    assert whale < 0.35
    for name in (SUGAR_PLUM, VIBE_ACE):
        assert analyses[name].estimates["danceability"] > whale + 0.3


def test_every_value_is_in_its_range(analyses):
    for name, a in analyses.items():
        assert set(a.estimates) == set(ESTIMATED), name
        assert all(0.0 <= v <= 1.0 for v in a.estimates.values()), name
        assert 0 <= a.key <= 11 and a.mode in (0, 1) and a.time_signature in (3, 4)
        assert -60 < a.loudness < 0 and 30 <= a.tempo <= 300
        assert len(a.embedding) == EMBEDDING_DIMS and np.isfinite(a.embedding).all()
    # a whole orchestra at -22 LUFS is quieter than a folk band mastered at -17.5
    assert analyses["glacier-bay-humpback.ogg"].loudness < analyses[
        "Karissa_Hobbs_-_Lets_Go_Fishin.ogg"].loudness


def chart_tempo(song: Path) -> float:
    """The first tempo of the song's chart (a MIDI set-tempo meta event)."""
    data = (song.parent / "notes.mid").read_bytes()
    at = data.find(b"\xff\x51\x03")
    return 60e6 / int.from_bytes(data[at + 3: at + 6], "big")


@pytest.mark.skipif(songs_dir() is None, reason="MUSICREC_SONGS_DIR (the fretsonfire songs "
                    "that .ci/run fetches) is not set")
def test_full_songs_tempo_matches_their_charts():
    songs = sorted(songs_dir().rglob("song.ogg"))
    assert len(songs) == 8
    factors = []
    for song in songs:
        analysis = analyse_samples(decode(song))
        error, factor = octave_error(analysis.tempo, chart_tempo(song))
        factors.append(factor)
        assert error <= 0.03, (song.parent.name, analysis.tempo, chart_tempo(song))
        assert analysis.duration_ms > 120_000 and analysis.seconds_analysed == 60.0
    print("octave factors against the charts:", factors)


# ------------------------------------------------------------------ the scan and library
def reencode(source: Path, target: Path) -> None:
    """The same recording in another codec and bitrate (MP3 at 96 kb/s), tags kept."""
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-i", str(source),
                    "-map_metadata", "0:s:a:0", "-codec:a", "libmp3lame", "-b:a", "96k",
                    str(target)], check=True)


@pytest.fixture(scope="module")
def library(clips, tmp_path_factory):
    """A folder of the six clips, a re-encoded copy, a byte-identical copy, a truncated
    file, a file that is not audio and a silent one, scanned once through the CLI."""
    if shutil.which("ffmpeg") is None:
        pytest.fail("ffmpeg is needed (Debian's ffmpeg package; .ci/run installs it)")
    folder = tmp_path_factory.mktemp("music")
    for clip in clips.glob("*.ogg"):
        shutil.copy(clip, folder / clip.name)
    (folder / "copies").mkdir()
    reencode(clips / VIBE_ACE, folder / "copies" / "Vibe Ace (96k).mp3")
    shutil.copy(clips / SUGAR_PLUM, folder / "copies" / "sugar plum copy.ogg")
    whole = (clips / "Karissa_Hobbs_-_Lets_Go_Fishin.ogg").read_bytes()
    (folder / "cut short.ogg").write_bytes(whole[: len(whole) // 2])
    (folder / "notes.mp3").write_bytes(b"not audio at all " * 50)
    import soundfile

    soundfile.write(folder / "silence.wav", np.zeros(22050 * 3), 22050)
    cache = tmp_path_factory.mktemp("audio-cache")
    return folder, cache


def cli(capsys, *argv):
    code = run(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def scanned(library):
    folder, cache = library
    capture = pytest.MonkeyPatch()
    capture.setenv("COLUMNS", "250")
    from contextlib import redirect_stderr
    from io import StringIO

    err = StringIO()
    with redirect_stderr(err):
        code = run(["library", "scan", str(folder), "--jobs", "2", "--cache-dir", str(cache)])
    capture.undo()
    return code, err.getvalue()


def test_scan_skips_bad_files_with_their_reason_and_keeps_the_rest(scanned, library):
    code, err = scanned
    folder, _ = library
    assert code == 0, err
    assert "11 audio files found: 10 analysed" in err
    assert "1 identical copies" in err
    assert "skipped 1: cut short" in err and "cut short.ogg" in err
    assert "skipped 1: could not be decoded" in err and "notes.mp3" in err
    assert "skipped 1: silent" in err and "silence.wav" in err
    assert "Library 'library': 7 songs" in err


def test_rescan_analyses_nothing(scanned, library, capsys, monkeypatch):
    folder, cache = library
    monkeypatch.setenv("COLUMNS", "250")
    db = sqlite3.connect(cache / "audio" / "analyses.sqlite")
    before = db.execute("SELECT count(*) FROM results").fetchone()[0]
    code, _, err = cli(capsys, "library", "scan", str(folder), "--cache-dir", str(cache))
    assert code == 0, err
    assert "11 audio files found: 0 analysed, 10 unchanged" in err
    assert "is unchanged: keeping its model" in err
    assert db.execute("SELECT count(*) FROM results").fetchone()[0] == before


def test_duplicates_finds_the_reencoded_and_the_identical_copy(scanned, library, capsys):
    folder, cache = library
    code, out, err = cli(capsys, "library", "duplicates", "--format", "json",
                         "--cache-dir", str(cache))
    assert code == 0, err
    groups = json.loads(out)
    by_reason = {}
    for g in groups:
        by_reason.setdefault(g["reason"], []).append(sorted(Path(p).name for p in g["paths"]))
    assert ["Kevin_MacLeod_-_Vibe_Ace.ogg", "Vibe Ace (96k).mp3"] in by_reason["the same sound"]
    assert len(by_reason["the same sound"]) == 1  # no other pair of songs sounds the same
    assert [SUGAR_PLUM, "sugar plum copy.ogg"] in by_reason["identical files"]
    assert any("Vibe Ace (96k).mp3" in names for names in
               by_reason["the same title and artist in the tags"])


def test_recommend_on_the_library_explains_with_estimates(scanned, library, capsys,
                                                          monkeypatch):
    _, cache = library
    monkeypatch.setenv("COLUMNS", "250")
    code, out, err = cli(capsys, "recommend", "--dataset", "library", "Vibe Ace", "-k", "4",
                         "--format", "json", "--cache-dir", str(cache))
    assert code == 0, err
    records = json.loads(out)
    assert len(records) == 4
    names = [r["name"] for r in records]
    assert "Vibe Ace" not in names  # the seed and its re-encoded copy are one song
    assert any("(estimated)" in r["why"] for r in records)
    # a playlist of your own songs points at their files (usable by any player)
    playlist = cache.parent / "mix.m3u8"
    code, _, err = cli(capsys, "recommend", "--dataset", "library", "Vibe Ace", "-k", "3",
                       "--export", str(playlist), "--cache-dir", str(cache))
    assert code == 0, err
    lines = playlist.read_text().splitlines()
    files = [line for line in lines if not line.startswith("#")]
    assert len(files) == 3 and all(Path(f).is_file() for f in files)
    # ... and a playlist of files (as another player writes it: bare paths) is extended
    bare = cache.parent / "bare.m3u"
    bare.write_text("\n".join(files) + "\n")
    code, out, err = cli(capsys, "recommend", "--dataset", "library", "--playlist", str(bare),
                         "-k", "2", "--format", "json", "--cache-dir", str(cache))
    assert code == 0, err
    assert "3 of the 3 tracks of" in err
    assert not {r["name"] for r in json.loads(out)} & {r["name"] for r in records[:3]}
    code, out, err = cli(capsys, "info", "--dataset", "library", "--cache-dir", str(cache))
    assert code == 0 and "audio: your own audio files" in out
    assert "estimated from the audio" in out


def test_an_unknown_library_song_lists_the_closest(scanned, library, capsys):
    _, cache = library
    code, _, err = cli(capsys, "recommend", "--dataset", "library", "Vibe Aces", "-k", "2",
                       "--cache-dir", str(cache))
    assert code == 0 and "Vibe Ace" in err  # fuzzy match, said on stderr
    code, _, err = cli(capsys, "library", "match", "Qwzx Nothing", "--cache-dir", str(cache))
    assert code == 1 and "no song of the library 'library' matches" in err
    assert "Traceback" not in err


def test_a_library_song_matched_in_the_default_catalog_says_it_uses_estimates(
        scanned, library, model):
    from musicrec import Recommender
    from musicrec.workspace import library_seed_tracks, recommend_from_library

    _, cache = library
    tracks = library_seed_tracks("library", ["Hungarian Dance No. 5"], cache)
    result = recommend_from_library(Recommender(model), tracks, k=5)
    assert len(result.results) == 5
    assert all(r.track_id in set(model.catalog.tracks["track_id"]) for r in result.results)
    assert any("estimates from the audio" in n for n in result.notices)
    # the orchestra recording is placed among quiet, acoustic tracks of the catalog
    acoustic = model.catalog.numeric("acousticness")[
        model.catalog.rows_of([r.track_id for r in result.results])]
    assert np.median(acoustic) > np.median(model.catalog.numeric("acousticness")) + 0.3


def test_interrupted_scan_resumes_where_it_stopped(clips, tmp_path):
    from musicrec.features.audio.cache import AnalysisCache
    from musicrec.features.audio.scan import scan_files
    from musicrec.progress import Progress

    done = []

    def count(label, n, total):
        if label == "analysing audio":
            done.append(n)
            if n == 2:
                raise KeyboardInterrupt

    with AnalysisCache(tmp_path / "a.sqlite") as cache, pytest.raises(KeyboardInterrupt):
        scan_files([clips], cache, jobs=1, progress=Progress(count=count))
    with AnalysisCache(tmp_path / "a.sqlite") as cache:
        files, report = scan_files([clips], cache, jobs=1)
    assert report.found == 6 and report.cached == 2 and report.analysed == 4
    assert all(f.ok for f in files)


def test_length_limits_leave_files_out(clips, tmp_path):
    from musicrec.features.audio.cache import AnalysisCache
    from musicrec.features.audio.scan import scan_files

    with AnalysisCache(tmp_path / "a.sqlite") as cache:
        files, report = scan_files([clips], cache, jobs=1, max_minutes=2.0, min_seconds=30)
    kept = sorted(f.path.name for f in files if f.ok)
    assert report.skipped == {"too_long": 1, "too_short": 1}  # Karissa Hobbs 2:13; trumpet
    assert TRUMPET not in kept and "Karissa_Hobbs_-_Lets_Go_Fishin.ogg" not in kept
    # the limits are the scan's, not the files': without them both come back, and the
    # next scan's limits apply to what the cache holds
    with AnalysisCache(tmp_path / "a.sqlite") as cache:
        files, report = scan_files([clips], cache, jobs=1)
    assert not report.skipped and report.analysed == 2 and report.cached == 4
    with AnalysisCache(tmp_path / "a.sqlite") as cache:
        files, report = scan_files([clips], cache, jobs=1, min_seconds=30)
    assert report.skipped == {"too_short": 1} and report.analysed == 0


def test_spoken_word_filter(rec):
    from musicrec.recommend.filters import SPOKEN_WORD, Filters

    mask = Filters(exclude_spoken=True).mask(rec.catalog)
    speech = rec.catalog.numeric("speechiness")
    assert mask.sum() == np.count_nonzero(~(speech > SPOKEN_WORD)) < len(speech)


def test_the_page_switches_to_the_library(scanned, library, rec, tmp_path):
    """One service serves the default catalog at / and the library under
    /catalogs/library/; the page's menu goes there, and search, recommend and the map
    work on the library's songs, with the note that its descriptors are estimates."""
    import httpx

    from musicrec import Recommender, load_model
    from musicrec.api.app import create_app
    from tests.api_server import running
    from tests.test_web import CHROMIUM

    _, cache = library
    mine = Recommender(load_model(cache / "models" / "library-audio"))
    with running(create_app(rec, {"library": mine})) as base:
        listed = httpx.get(base + "/catalogs").json()
        assert [(c["path"], c["kind"], c["tracks"], c["estimated"]) for c in listed] == [
            ("/", "style", 28_356, False), ("/catalogs/library/", "audio", 7, True)]
        health = httpx.get(base + "/catalogs/library/health").json()
        assert health["tracks"] == 7
        answer = httpx.post(base + "/catalogs/library/recommend",
                            json={"seeds": ["Vibe Ace"], "k": 3}).json()
        assert len(answer["results"]) == 3
        if not Path(CHROMIUM).exists():
            pytest.skip("Chromium is missing: install Debian's 'chromium' package")
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            errors = []
            page.on("console", lambda m: m.type == "error" and errors.append(m.text))
            page.goto(base + "/")
            page.wait_for_selector("#catalog-box:not([hidden])")
            assert page.is_hidden("#estimated-note")
            with page.expect_navigation():
                page.select_option("#catalog", "/catalogs/library/")
            assert page.url == base + "/catalogs/library/"
            page.wait_for_selector("#estimated-note:not([hidden])")
            page.focus("#search")
            page.keyboard.type("Vibe Ace")
            page.wait_for_selector("#suggestions li[aria-selected=true]")
            assert "Kevin MacLeod" in page.inner_text("#suggestions li[aria-selected=true]")
            page.keyboard.press("Enter")
            page.click("#go")
            page.wait_for_selector("#results li.result")
            assert 1 <= page.locator("#results li.result").count() <= 6
            assert "(estimated)" in page.inner_text("#results")
            page.wait_for_selector("#map .main-svg")
            assert page.evaluate("document.getElementById('map').data[0].x.length") == 7
            page.screenshot(path=str(tmp_path / "library-page.png"), full_page=True)
            browser.close()
        assert not errors, errors


def crash_on_files_named_crash(path: str, window, limits):
    """A worker's analysis that really kills its process for one file (as a decoder
    crashing on a damaged file would), and analyses the others as usual."""
    if "crash" in Path(path).name:
        os._exit(3)
    from musicrec.features.audio.worker import analyse_file

    return analyse_file(path, window, limits)


def test_a_worker_that_dies_takes_no_other_file_with_it(clips, tmp_path):
    from musicrec.features.audio.scan import ScannedFile, _analyse_all
    from musicrec.progress import SILENT

    paths = sorted(clips.glob("*.ogg"))[:3]
    shutil.copy(paths[0], tmp_path / "crash me.ogg")
    entries = [ScannedFile(p, f"hash{i}", p.stat().st_size, ok=False)
               for i, p in enumerate([*paths[:2], tmp_path / "crash me.ogg", paths[2]])]
    outcomes = dict(_analyse_all(entries, 60.0, 2, {}, SILENT,
                                 analyse=crash_on_files_named_crash))
    assert len(outcomes) == 4
    assert outcomes["hash2"]["ok"] is False and "crash" in outcomes["hash2"]["message"]
    assert all(outcomes[f"hash{i}"]["ok"] for i in (0, 1, 3))


def test_a_format_libsndfile_does_not_read_goes_through_ffmpeg(clips, tmp_path):
    target = tmp_path / "whale.m4a"
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-i", str(clips / WHALE),
                    "-c:a", "aac", "-b:a", "96k", str(target)], check=True)
    decoded = decode(target, 60.0, duration_hint=64.8)
    assert decoded.decoder == "ffmpeg" and abs(decoded.seconds - 60.0) < 0.1
    analysis = analyse_samples(decoded)
    assert analysis.estimates["danceability"] < 0.35


def test_an_mp3_whose_header_only_guesses_its_length(clips, tmp_path):
    """A VBR MP3 without a Xing/VBRI frame count: its header's length is a guess from the
    first frame (here several times too long), so it is decoded whole to find its end;
    it is analysed, with its real length, and not taken for a cut file."""
    from musicrec.features.audio.worker import analyse_file, init_worker

    target = tmp_path / "vbr.mp3"
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-i", str(clips / VIBE_ACE),
                    "-vn", "-c:a", "libmp3lame", "-q:a", "4", "-write_xing", "0",
                    str(target)], check=True)
    init_worker(in_process=True)
    for window in (60.0, None):
        outcome = analyse_file(str(target), window, {"max_seconds": 90.0})
        assert outcome["ok"], outcome
        assert abs(outcome["data"]["analysis"]["duration_ms"] - 61_459) < 500


@pytest.mark.parametrize("codec", [("mp3", ["-b:a", "128k"]), ("flac", []),
                                   ("m4a", ["-c:a", "aac", "-b:a", "96k"])])
def test_a_file_cut_in_half_is_skipped_with_its_reason(clips, tmp_path, codec):
    """Decoders read a cut file up to where it stops, often without complaint: the
    decoded length is held to the header's (MP3, M4A), or the decoder's error is kept
    (FLAC), and nothing is taken from such a file."""
    from musicrec.features.audio.worker import analyse_file, init_worker

    suffix, options = codec
    whole = tmp_path / f"whole.{suffix}"
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-i", str(clips / VIBE_ACE),
                    "-vn", *options, str(whole)], check=True)
    cut = tmp_path / f"cut.{suffix}"
    data = whole.read_bytes()
    cut.write_bytes(data[: len(data) // 2])
    init_worker(in_process=True)
    assert analyse_file(str(whole), 60.0)["ok"]
    for window in (60.0, None):
        outcome = analyse_file(str(cut), window)
        assert not outcome["ok"]
        assert outcome["reason"] in ("truncated", "unreadable"), outcome
        assert ("cut short" in outcome["message"]
                or "cannot be decoded" in outcome["message"]), outcome
