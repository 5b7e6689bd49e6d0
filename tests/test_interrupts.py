"""Ctrl-C at any moment of a long step exits 130 and leaves the previous model (and
every output file) untouched; each case sends SIGINT to a real ``musicrec`` process
when it reports the step."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from musicrec import load_model


def _interrupt(argv: list[str], step: str, env: dict, delay: float = 1.0) -> tuple[int, str]:
    """Run ``musicrec argv``, send SIGINT ``delay`` seconds after ``step`` shows on
    standard error; the exit code and everything it wrote there."""
    process = subprocess.Popen([sys.executable, "-m", "musicrec", *argv], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    seen = []
    for line in process.stderr:
        seen.append(line)
        if step in line:
            time.sleep(delay)
            process.send_signal(signal.SIGINT)
            break
    else:
        process.wait()
        pytest.fail(f"'{step}' never showed:\n{''.join(seen)}")
    rest = process.stderr.read()
    return process.wait(timeout=120), "".join(seen) + rest


@pytest.fixture
def workspace(tmp_path, model, data_dir):
    """A cache holding a copy of the session's model, and the environment to use it."""
    cache = tmp_path / "cache"
    shutil.copytree(model.path, cache / "models" / "spotify_songs")
    env = {**os.environ, "MUSICREC_CACHE_DIR": str(cache), "MUSICREC_DATA_DIR": str(data_dir),
           "COLUMNS": "200"}
    return cache, env


def _untouched(cache: Path, before: dict) -> None:
    models = cache / "models"
    assert [p.name for p in models.iterdir()] == ["spotify_songs"]  # no staging left
    again = load_model(models / "spotify_songs")  # every checksum verified
    assert again.manifest["created"] == before["created"]


BUILD_STEPS = ["Reading", "Learning genres", "Learning subgenres", "Clustering songs"]


@pytest.mark.parametrize("step", [
    "Learning playlist styles",  # scikit-learn's MLP swallows Ctrl-C: the reported bug
    *(pytest.param(s, marks=pytest.mark.slow) for s in BUILD_STEPS),
])
def test_build_interrupted_at_each_step_keeps_the_old_model(workspace, step):
    cache, env = workspace
    before = json.loads((cache / "models" / "spotify_songs" / "manifest.json").read_text())
    code, err = _interrupt(["build"], step, env)
    assert code == 130, err
    assert "interrupted" in err and "Built model" not in err and "Traceback" not in err
    _untouched(cache, before)


@pytest.mark.slow
def test_evaluate_and_figures_interrupted_write_nothing(workspace, tmp_path):
    cache, env = workspace
    out = tmp_path / "out"
    code, err = _interrupt(["evaluate", "--json", str(out / "e.json"), "--queries", "50",
                            "--methods", "original,musicrec"], "fitting musicrec", env)
    assert code == 130, err
    assert not out.exists() or not any(out.iterdir())
    code, err = _interrupt(["figures", "--out", str(out / "figs")], "Audio features", env,
                           delay=0.2)
    assert code == 130, err
    assert not [p for p in (out / "figs").glob("*") if p.name.startswith(".")]


def test_a_cached_model_is_used_when_its_source_is_gone(workspace, tmp_path):
    """MUSICREC_DATA_DIR pointing at an empty folder: the intact model answers, with a
    note that the data is missing; nothing is rebuilt."""
    cache, env = workspace
    empty = tmp_path / "empty"
    empty.mkdir()
    before = json.loads((cache / "models" / "spotify_songs" / "manifest.json").read_text())
    result = subprocess.run([sys.executable, "-m", "musicrec", "recommend", "bad guy", "-k", "3",
                             "--format", "json"], env={**env, "MUSICREC_DATA_DIR": str(empty)},
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert len(json.loads(result.stdout)) == 3
    assert "not available" in result.stderr and "using the model built" in result.stderr
    _untouched(cache, before)


@pytest.mark.slow
def test_import_interrupted_keeps_the_model_it_would_replace(workspace, data_dir, tmp_path):
    import pandas as pd

    cache, env = workspace
    table = pd.read_csv(data_dir / "spotify_songs" / "spotify_songs.csv")
    # an artist named like a list ("[:SITD:]") is read as one: left out here
    table = table[~table["track_artist"].astype(str).str.startswith("[")]
    table = table.drop_duplicates("track_id")  # one row per track, not per playlist
    source = tmp_path / "tracks.csv"
    table.to_csv(source, index=False)
    argv = ["import", str(source), "--name", "mine",
            "--map", "title=track_name", "--map", "artist=track_artist", "--map", "id=track_id"]
    first = subprocess.run([sys.executable, "-m", "musicrec", *argv], env=env,
                           capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stderr
    before = json.loads((cache / "models" / "mine" / "manifest.json").read_text())
    code, err = _interrupt(argv, "Clustering songs", env, delay=0.3)
    assert code == 130, err
    assert sorted(p.name for p in (cache / "models").iterdir()) == ["mine", "spotify_songs"]
    assert load_model(cache / "models" / "mine").manifest["created"] == before["created"]


@pytest.mark.slow
@pytest.mark.parametrize(("kind", "step"), [("hybrid", "Choosing the share"),
                                            ("lightfm", "Learning LightFM embeddings")])
def test_collaborative_build_interrupted_leaves_nothing(workspace, kind, step):
    """implicit's ALS and LightFM's epochs run in native code: Ctrl-C still ends the
    build with 130, and no half-built model or staging folder is left."""
    cache, env = workspace
    before = json.loads((cache / "models" / "spotify_songs" / "manifest.json").read_text())
    code, err = _interrupt(["build", "--model", kind], step, env, delay=0.3)
    assert code == 130, err
    assert "Traceback" not in err and "Built model" not in err
    _untouched(cache, before)


def test_ctrl_c_during_a_library_scan_keeps_the_library_and_the_analyses_made(
        tmp_path, data_dir):
    """Interrupted while the workers analyse: exit 130, the previous library and its model
    as they were, no worker left behind, and the next scan analyses only the rest."""
    import sqlite3

    from musicrec.data.imported import find_imported

    music = tmp_path / "music"
    music.mkdir()
    clips = sorted((data_dir / "audio").glob("*.ogg"))
    for clip in clips[:2]:
        shutil.copy(clip, music / clip.name)
    cache = tmp_path / "cache"
    env = {**os.environ, "MUSICREC_CACHE_DIR": str(cache), "COLUMNS": "200"}
    first = subprocess.run([sys.executable, "-m", "musicrec", "library", "scan", str(music)],
                           env=env, capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stderr
    before = find_imported(cache, "library").description["created"]
    model_before = load_model(cache / "models" / "library-audio").manifest["created"]
    for clip in clips[2:]:
        shutil.copy(clip, music / clip.name)
    code, err = _interrupt(["library", "scan", str(music), "--jobs", "2"], "Analysing", env,
                           delay=2.5)
    assert code == 130, err
    assert "the next scan goes on from there" in err and "Traceback" not in err
    assert find_imported(cache, "library").description["created"] == before
    assert load_model(cache / "models" / "library-audio").manifest["created"] == model_before
    time.sleep(0.5)
    workers = subprocess.run(["pgrep", "-f", "multiprocessing.spawn"], capture_output=True,
                             text=True).stdout.split()
    assert not [w for w in workers if Path(f"/proc/{w}/environ").exists() and
                str(cache).encode() in Path(f"/proc/{w}/environ").read_bytes()]
    kept = sqlite3.connect(cache / "audio" / "analyses.sqlite").execute(
        "SELECT count(*) FROM results").fetchone()[0]
    again = subprocess.run([sys.executable, "-m", "musicrec", "library", "scan", str(music)],
                           env=env, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert f"6 audio files found: {6 - kept} analysed, {kept} unchanged" in again.stderr
