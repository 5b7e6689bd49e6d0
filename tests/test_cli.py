"""The command line: outputs, and a clear non-zero exit without traceback for bad input."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys

import pytest

from musicrec.cli import run
from tests.conftest import FIXTURES, signals_as_at_a_terminal


@pytest.fixture(autouse=True)
def _wide(monkeypatch, model):  # model: built once, so CLI calls are warm
    monkeypatch.setenv("COLUMNS", "250")


def cli(capsys, *argv):
    code = run(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_recommend_json(capsys):
    code, out, err = cli(capsys, "recommend", "bad guy", "--format", "json")
    assert code == 0
    records = json.loads(out)
    assert len(records) == 10
    for r in records:
        assert {"track_id", "name", "artists", "year", "score", "why"} <= set(r)
        assert r["why"] and r["track_id"] != "2Fxmhks0bxGSBdJ92vM42m"
        assert "bad guy" not in (r["name"] or "").lower()
    assert "Critic City" in err  # says what else "bad guy" could have meant


def test_recommend_table_csv_and_options(capsys):
    code, out, _ = cli(capsys, "recommend", "Blinding Lights", "--k", "5")
    assert code == 0 and "Like Blinding Lights - The Weeknd" in out
    code, out, _ = cli(
        capsys, "recommend", "--seed", "Blinding Lights:2", "--seed", "Shape of You - Ed Sheeran",
        "--not", "bad guy", "--year", "2010-2020", "--popularity", "40-", "--duration",
        "2:30-5:00", "--genre", "pop", "--exclude-genre", "dance pop", "-k", "8",
        "--diversity", "0.2", "--artist-cap", "1", "--format", "csv",
    )
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 8
    for row in rows:
        assert 2010 <= int(row["year"]) <= 2020 and int(row["popularity"]) >= 40
        assert "pop" in row["genres"].split("; ") and "dance pop" not in row["genres"]
    assert len({r["artists"] for r in rows}) == 8


@pytest.mark.parametrize(
    ("argv", "code", "message"),
    [
        (["recommend", "Zzzyqx Wvvqj Plorf"], 1, "no track matches 'Zzzyqx Wvvqj Plorf'"),
        (["recommend", ""], 1, "a seed is empty"),
        (["recommend"], 1, "give at least one seed"),
        (["recommend", "bad guy", "--year", "2020-1990"], 1,
         "bad range '2020-1990' for --year: the start (2020) is after the end (1990)"),
        (["recommend", "bad guy", "--year", "soon"], 1, "'soon' is not a number"),
        (["recommend", "bad guy", "--popularity", "0-200"], 1, "popularity runs from 0 to 100"),
        (["recommend", "bad guy", "--k", "0"], 1, "k must be a whole number from 1 to 500"),
        (["recommend", "bad guy", "--k", "-3"], 1, "(got -3)"),
        (["recommend", "bad guy", "--k", "ten"], 2, "Invalid value for '--k'"),
        (["recommend", "bad guy", "--artist-cap", "-1"], 1,
         "artist_cap must be a whole number from 0 to 100"),
        (["recommend", "bad guy", "--diversity", "2"], 1, "diversity must be between 0 and 1"),
        (["recommend", "bad guy", "--genre", "polka-metal"], 1, "no track has the genre"),
        (["recommend", "bad guy", "--explicit"], 1, "no explicit flag"),
        (["recommend", "bad guy", "--seed", "x:0"], 1, "seed weight must be a number above 0"),
        (["recommend", "bad guy", "--model-dir", "/nonexistent/model"], 1, "no model at"),
        (["recommend", "bad guy", "--dataset", "nosuch"], 1, "unknown dataset 'nosuch'"),
        (["search", ""], 1, "search text is empty"),
        (["frobnicate"], 2, "No such command"),
    ],
)
def test_bad_input_exits_clearly(capsys, argv, code, message):
    got, out, err = cli(capsys, *argv)
    assert got == code
    assert message in " ".join((out + err).split()) or message in out + err
    assert "Traceback" not in out + err


def test_unknown_song_lists_candidates(capsys):
    code, _, err = cli(capsys, "recommend", "Blinding Lightz Qwerty")
    assert code == 1 and "Closest matches" in err and "Blinding Lights" in err


def test_import_bad_files(capsys, tmp_path):
    malformed = tmp_path / "bad.csv"
    malformed.write_text("Title,Energy,Tempo\nA,0.5,120\nB,very,100\nC,0.7,90\n")
    # a bad cell is counted, shown verbatim with its row and column, and the import goes on
    code, _, err = cli(capsys, "import", str(malformed), "--name", "bad", "--map", "title=Title",
                       "--map", "energy=Energy")
    flat = " ".join(err.split())
    assert code == 0, err
    assert "3 rows read, 3 tracks kept" in flat and "1 cells of 'Energy' set missing" in flat
    assert "row 3, column 'Energy': 'very' (not a number)" in flat
    # --strict stops at it, naming file, row and column
    code, _, err = cli(capsys, "import", str(malformed), "--name", "bad", "--map", "title=Title",
                       "--map", "energy=Energy", "--strict")
    flat = " ".join(err.split())
    assert code == 1 and "row 3" in flat and "column 'Energy'" in flat and "bad.csv" in flat
    lonely = tmp_path / "lonely.csv"
    lonely.write_text("Title,Energy\nA,0.5\nB,\n")
    code, _, err = cli(capsys, "import", str(lonely), "--name", "bad")
    assert code == 1 and "only 1 usable track" in err and "no audio feature value" in err
    code, _, err = cli(capsys, "import", str(malformed), "--name", "bad", "--map",
                       "title=Name")
    assert code == 1 and "column 'Name'" in " ".join(err.split())
    code, _, err = cli(capsys, "import", str(tmp_path / "absent.csv"), "--name", "bad",
                       "--map", "title=Title")
    assert code == 1 and "file not found" in err
    unreadable = tmp_path / "locked.csv"
    unreadable.write_text("Title,Energy\nA,0.5\n")
    unreadable.chmod(0)
    code, _, err = cli(capsys, "import", str(unreadable), "--name", "bad", "--map",
                       "title=Title", "--map", "energy=Energy")
    if os.geteuid() != 0:  # root reads anything
        assert code == 1 and "permission denied" in err
    code, _, err = cli(capsys, "import", str(malformed), "--name", "bad", "--map", "oops")
    assert code == 1 and "write NAME=VALUE" in err
    assert "Traceback" not in err


def test_import_then_recommend(capsys):
    code, _, err = cli(
        capsys, "import", str(FIXTURES / "my_tracks.csv"), "--name", "mine",
        "--map", "title=Title", "--map", "artist=Performer", "--map", "year=Year",
        "--map", "energy=Energy", "--map", "danceability=Dance", "--map", "valence=Mood",
        "--map", "tempo=BPM", "--map", "genre=Genre",
    )
    assert code == 0, err
    code, out, err = cli(capsys, "recommend", "Morning Run", "--dataset", "mine", "-k", "2",
                         "--format", "json")
    assert code == 0, err
    records = json.loads(out)
    assert records[0]["name"] == "Night Drive"  # the other energetic, danceable one


@pytest.mark.parametrize("index, said", [("hnsw", "HNSW graph"), ("ivf", "8-bit codes")])
def test_import_with_an_approximate_index(capsys, index, said):
    """``--index`` on import builds that backend; info says which; recommend uses it."""
    code, _, err = cli(
        capsys, "import", str(FIXTURES / "my_tracks.csv"), "--name", f"mine-{index}",
        "--map", "title=Title", "--map", "artist=Performer", "--map", "energy=Energy",
        "--map", "danceability=Dance", "--map", "valence=Mood", "--map", "tempo=BPM",
        "--index", index)
    assert code == 0, err
    code, out, _ = cli(capsys, "info", "--dataset", f"mine-{index}")
    assert code == 0 and said in out
    code, out, err = cli(capsys, "recommend", "Morning Run", "--dataset", f"mine-{index}",
                         "-k", "2", "--format", "json")
    assert code == 0, err
    assert json.loads(out)[0]["name"] == "Night Drive"


def test_unknown_index_is_refused_before_any_work(capsys):
    code, _, err = cli(capsys, "build", "--index", "foo")
    assert code == 1 and "unknown index 'foo'" in err and "hnsw, ivf" in err
    assert "Reading" not in err and "Traceback" not in err


def test_default_index_by_catalog_size():
    from musicrec.index.neighbours import MAX_TRACKS
    from musicrec.index.registry import default_backend

    assert default_backend(MAX_TRACKS) == "neighbours"
    assert default_backend(MAX_TRACKS + 1) == "hnsw"


def test_search_and_info(capsys):
    code, out, _ = cli(capsys, "search", "bad guy", "--format", "json")
    hits = json.loads(out)
    assert code == 0 and hits[0]["track_id"] == "2Fxmhks0bxGSBdJ92vM42m"
    code, out, _ = cli(capsys, "search", "Billie Eilish", "-n", "3")
    assert code == 0 and "Billie Eilish" in out
    code, out, _ = cli(capsys, "info")
    assert code == 0 and "28,356" in out and "471" in out and "danceability" in out
    assert "128 neighbours per track" in out


def test_unwritable_output_is_a_clear_error(capsys, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    code, _, err = cli(capsys, "recommend", "bad guy", "--export", str(blocker / "x.m3u8"))
    assert code == 1 and str(blocker) in err and "unexpected" not in err
    assert "Traceback" not in err


def test_debug_shows_traceback(capsys):
    code, _, err = cli(capsys, "recommend", "", "--debug")
    assert code == 1 and "Traceback" in err


def test_console_script_end_to_end(data_dir, cache_dir):
    """The installed entry point, in a fresh process, as a user runs it."""
    env = {**os.environ, "MUSICREC_DATA_DIR": str(data_dir), "MUSICREC_CACHE_DIR": str(cache_dir)}
    done = subprocess.run(
        [sys.executable, "-m", "musicrec", "recommend", "bad guy", "--format", "json"],
        capture_output=True, text=True, env=env, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert len(json.loads(done.stdout)) == 10
    bad = subprocess.run(
        [sys.executable, "-m", "musicrec", "recommend", "bad guy", "--year", "2020-1990"],
        capture_output=True, text=True, env=env, timeout=120,
    )
    assert bad.returncode == 1 and "Traceback" not in bad.stderr and "--year" in bad.stderr


def test_help_starts_without_heavy_libraries():
    """``musicrec --help`` and option parsing import no pandas, scikit-learn, FastAPI or
    plotting: those load where they are used."""
    code = ("import sys, musicrec.cli; "
            "heavy = [m for m in ('pandas', 'sklearn', 'fastapi', 'matplotlib', 'spotipy', "
            "'numpy') if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "[]"


@pytest.mark.parametrize("where", ["folder", "file-parent", "dir-target"])
def test_output_paths_are_checked_before_any_work(capsys, tmp_path, where):
    """A bad --export, --json or --out path fails at once, naming the user's path, and
    nothing is printed on standard output."""
    blocker = tmp_path / "plain-file"
    blocker.write_text("x")
    target = {"folder": tmp_path, "file-parent": blocker / "mix.m3u8",
              "dir-target": tmp_path}[where]
    if where == "dir-target":
        (tmp_path / "mix.m3u8").mkdir()
        target = tmp_path / "mix.m3u8"
    code, out, err = cli(capsys, "recommend", "bad guy", "--export", str(target))
    assert code == 1 and out == "" and str(target.name) in err and ".part" not in err
    if where == "folder":
        code, out, err = cli(capsys, "evaluate", "--json", str(tmp_path))
        assert code == 1 and "is a folder" in err and "genre task" not in err
    code, _, err = cli(capsys, "figures", "--out", str(blocker))
    assert code == 1 and "is a file" in err


def test_export_keeps_a_symlink_and_uses_the_umask(capsys, tmp_path):
    real = tmp_path / "real.m3u8"
    real.write_text("old")
    link = tmp_path / "link.m3u8"
    link.symlink_to(real)
    old = os.umask(0o022)
    try:
        code, _, err = cli(capsys, "recommend", "bad guy", "--export", str(link), "-k", "3")
    finally:
        os.umask(old)
    assert code == 0, err
    assert link.is_symlink() and real.read_text().startswith("#EXTM3U")
    assert (real.stat().st_mode & 0o777) == 0o644


@pytest.mark.parametrize(("argv", "message"), [
    (["--seed", "bad guy:abc"], "bad weight 'abc' in 'bad guy:abc'"),
    (["--seed", "bad guy:inf"], "seed weight must be a number above 0"),
    (["--seed", "bad guy:nan"], "seed weight must be a number above 0"),
    (["https://open.spotify.com/album/4aawyAB9vmqN3uQ7FjRGTy"], "is a Spotify album link"),
    (["spotify:playlist:37i9dQZF1DXcBWIGoYBM5M"], "is a Spotify playlist link"),
    (["bad guy", "--duration", "9:99"], "'9:99' is not a time"),
    (["bad guy", "--year", "1950-1951"], "no track passed the filters"),
])
def test_bad_seeds_and_ranges_say_what_is_wrong(capsys, argv, message):
    code, out, err = cli(capsys, "recommend", *argv)
    assert code == 1 and out == "", err
    assert message in " ".join(err.split()) and "no track matches" not in err


def test_a_huge_seed_is_refused_without_being_echoed(capsys):
    code, _, err = cli(capsys, "recommend", "la " * 40_000)
    assert code == 1 and "a seed is at most 200 characters (got 120,000" in " ".join(err.split())
    assert len(err) < 500
    code, _, err = cli(capsys, "search", "x" * 5000)
    assert code == 1 and len(err) < 300


def test_version(capsys):
    code, out, _ = cli(capsys, "--version")
    assert code == 0 and out.strip() == "musicrec 0.1.0"


def test_serve_on_all_interfaces_warns(tmp_path):
    """``serve --host 0.0.0.0`` prints an address that works and says the service is
    then reachable from the network. The test waits for states, not seconds: the warning
    on standard error, then the service answering, then the process ending on Ctrl-C."""
    import signal
    import socket
    import time
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    process = subprocess.Popen([sys.executable, "-m", "musicrec", "serve", "--host", "0.0.0.0",
                                "--port", str(port)], stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "COLUMNS": "300"},
                               preexec_fn=signals_as_at_a_terminal)
    try:
        lines = []
        for line in process.stderr:
            lines.append(line)
            if "Use --host 127.0.0.1" in line:  # the warning's last line
                break
        while process.poll() is None:  # listening: the address printed answers
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5):
                    break
            except OSError:
                time.sleep(0.05)
        assert process.poll() is None, "".join(lines) + process.stderr.read()
    finally:
        process.send_signal(signal.SIGINT)
        code = process.wait(timeout=600)
    assert code in (0, 130)
    text = " ".join("".join(lines).split())
    assert f"open http://127.0.0.1:{port}/" in text and "0.0.0.0:" not in text.split("warning")[0]
    assert "anyone who can reach this machine on the network" in text
