"""The pretrained tagger (musicnn's MSD model) in NumPy: its checkpoint reader, parity with
the original code, the install command, the scan, tags in filters, search, explanations.

The weights come from the pinned musicnn 0.1.0 wheel that .ci/run fetches with pip into
MUSICREC_TAGGER_WHEEL (outside the repository, as it fetches the Frets on Fire songs);
tests/fixtures/tagger/musicnn_reference.npz holds the original code's taggrams of the six
clips, made once by tests/fixtures/tagger/make_reference.py in a TensorFlow environment.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from musicrec.cli import run
from musicrec.errors import DataFileError

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "tagger" / "musicnn_reference.npz"
FISHIN = "Karissa_Hobbs_-_Lets_Go_Fishin.ogg"
TRUMPET = "sorohanro_-_solo-trumpet-06.ogg"


def wheel_path() -> Path | None:
    given = os.environ.get("MUSICREC_TAGGER_WHEEL")
    return Path(given) if given and Path(given).is_file() else None


pytestmark = pytest.mark.skipif(
    wheel_path() is None, reason="MUSICREC_TAGGER_WHEEL (the musicnn 0.1.0 wheel that .ci/run "
    "fetches with pip download) is not set")


@pytest.fixture(scope="module")
def tagger_cache(tmp_path_factory) -> Path:
    """A cache with the tagger installed from the wheel through the CLI."""
    cache = tmp_path_factory.mktemp("tagger-cache")
    assert run(["library", "tagger", "install", "--wheel", str(wheel_path()),
                "--cache-dir", str(cache)]) == 0
    return cache


@pytest.fixture(scope="module")
def network(tagger_cache):
    from musicrec.features.audio.tagger.weights import load_tagger

    return load_tagger(tagger_cache)


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory) -> Path:
    """The MSD_musicnn bundle, unpacked from the wheel."""
    folder = tmp_path_factory.mktemp("checkpoint")
    with zipfile.ZipFile(wheel_path()) as archive:
        for member in (".index", ".data-00000-of-00001"):
            (folder / member).write_bytes(archive.read(f"musicnn/MSD_musicnn/{member}"))
    return folder


# ------------------------------------------------------------------ checkpoint and network
def test_checkpoint_reader_keeps_the_variables_and_skips_the_optimiser(checkpoint):
    from musicrec.features.audio.tagger.checkpoint import read_checkpoint

    weights = read_checkpoint(checkpoint)
    assert weights["conv2d/kernel"].shape == (7, 38, 1, 204)
    assert weights["conv2d_5/kernel"].shape == (7, 561, 1, 64)
    assert weights["dense_1/kernel"].shape == (200, 50)
    assert not any("Adam" in name or name.endswith("_power") for name in weights)
    everything = read_checkpoint(checkpoint, keep_slots=True)
    assert any(name.endswith("/Adam_1") for name in everything)
    assert len(everything) > 2 * len(weights)


def test_checkpoint_damage_is_refused_naming_the_file(checkpoint, tmp_path):
    from musicrec.features.audio.tagger.checkpoint import read_checkpoint

    damaged = tmp_path / "damaged"
    shutil.copytree(checkpoint, damaged)
    data = bytearray((damaged / ".data-00000-of-00001").read_bytes())
    data[len(data) // 2] ^= 0xFF  # one bit pattern flipped in some tensor
    (damaged / ".data-00000-of-00001").write_bytes(bytes(data))
    with pytest.raises(DataFileError, match="CRC32C") as err:
        read_checkpoint(damaged, keep_slots=True)
    assert ".data-00000-of-00001" in str(err.value)
    index = bytearray((checkpoint / ".index").read_bytes())
    index[100] ^= 0x01
    (damaged / ".index").write_bytes(bytes(index))
    with pytest.raises(DataFileError, match=r"\.index.*CRC32C"):
        read_checkpoint(damaged)
    (damaged / ".index").write_bytes(bytes(index[:30]))
    with pytest.raises(DataFileError, match="not a readable checkpoint index"):
        read_checkpoint(damaged)


def test_taggram_matches_the_original_musicnn_within_1e_4(network, data_dir):
    """The original code's taggrams (TensorFlow, with its float16 overflow on loud frames)
    against ours fed the same spectrogram the same way (faithful=True)."""
    import librosa

    from musicrec.features.audio.tagger.network import TAGS, log_mel, patches

    reference = np.load(FIXTURE, allow_pickle=False)
    assert tuple(reference["tags"]) == TAGS
    clips = sorted({key.split("/")[0] for key in reference.files if "/" in key})
    assert len(clips) == 6
    worst = 0.0
    for clip in clips:
        y, _ = librosa.load(data_dir / "audio" / clip, sr=16000)
        probabilities, embedding = network.forward(patches(log_mel(y, faithful=True)))
        expected = reference[f"{clip}/taggram"]
        assert probabilities.shape == expected.shape, clip
        worst = max(worst, float(np.abs(probabilities - expected).max()),
                    float(np.abs(embedding[0] - reference[f"{clip}/embedding"]).max()))
    print(f"largest difference from the original: {worst:.2e}")
    assert worst <= 1e-4


def test_fast_front_end_equals_tensorflows_order_of_layers(network):
    """On finite input the front end pools before its ReLU and batch norm (signs folded
    into the kernels); it must equal conv, ReLU, batch norm, max over bands."""
    from numpy.lib.stride_tricks import sliding_window_view

    rng = np.random.default_rng(7)
    x = rng.normal(2.0, 1.0, size=(187, 96)).astype(np.float32)
    padded = np.pad(x, ((3, 3), (0, 0)))
    for conv, bn in (("conv2d", "batch_normalization_1"), ("conv2d_1", "batch_normalization_2")):
        kernel, bias = network.conv[conv]
        h, w, _, f = kernel.shape
        flat = sliding_window_view(padded, (h, w)).reshape(-1, h * w)
        scale, shift = network.bn[bn]
        expected = (np.maximum(flat @ kernel.reshape(h * w, f) + bias, 0) * scale + shift
                    ).reshape(187, -1, f).max(axis=1)
        got = network._timbral(padded, conv, bn)
        assert np.abs(got - expected).max() < 1e-4


def test_loud_music_is_heard_not_collapsed_to_one_answer(network, data_dir):
    """musicnn's float16 log overflows on loud frames and answers every such patch with the
    same constant; musicrec's spectrogram does not, so loud patches differ."""
    import librosa

    from musicrec.features.audio.tagger.network import log_mel, patches

    y, _ = librosa.load(data_dir / "audio" / FISHIN, sr=16000, duration=30)
    original, _ = network.forward(patches(log_mel(y, faithful=True)))
    ours, _ = network.forward(patches(log_mel(y)))
    assert np.ptp(original, axis=0).max() < 1e-3  # every patch the same answer
    assert np.ptp(ours, axis=0).max() > 0.05


def test_a_clip_shorter_than_one_patch_is_repeated_to_fill_it(network, data_dir):
    import librosa

    from musicrec.features.audio.tagger.song import song_tags, tag_samples

    y, rate = librosa.load(data_dir / "audio" / TRUMPET, sr=22050, duration=1.0)
    heard = tag_samples(network, y, rate)
    assert heard["patches"] == 1 and len(heard["embedding"]) == 200
    assert song_tags(heard["probabilities"])[0] == "jazz"


# ------------------------------------------------------------------ install
def test_install_through_pip_from_a_package_index_without_network(tmp_path):
    """The real command, pip and all, against a local folder as the package index."""
    links = tmp_path / "links"
    links.mkdir()
    shutil.copy(wheel_path(), links)
    cache = tmp_path / "cache"
    env = {**os.environ, "PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(links),
           "MUSICREC_CACHE_DIR": str(cache)}
    done = subprocess.run([sys.executable, "-m", "musicrec", "library", "tagger", "install"],
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "Tagger installed: MSD_musicnn from musicnn==0.1.0" in done.stderr
    manifest = json.loads((cache / "tagger" / "msd_musicnn.json").read_text())
    assert manifest["parameters"] == 792_079
    with np.load(cache / "tagger" / "msd_musicnn.npz", allow_pickle=False) as stored:
        assert "conv2d/kernel" in stored.files
    info = subprocess.run([sys.executable, "-m", "musicrec", "library", "tagger", "info"],
                          env=env, capture_output=True, text=True, timeout=120)
    assert "Installed: MSD_musicnn" in info.stderr and "female vocalists" in info.stderr
    env["PIP_FIND_LINKS"] = str(tmp_path / "nothing-here")
    missing = subprocess.run([sys.executable, "-m", "musicrec", "library", "tagger", "install",
                              "--cache-dir", str(tmp_path / "other")], env=env,
                             capture_output=True, text=True, timeout=300)
    assert missing.returncode == 1 and "Traceback" not in missing.stderr
    assert "pip could not fetch musicnn==0.1.0" in missing.stderr
    assert "--wheel" in missing.stderr


def test_a_wheel_that_is_not_the_pinned_one_is_refused(tmp_path, capsys):
    fake = tmp_path / "musicnn-0.1.0-py3-none-any.whl"
    data = bytearray(wheel_path().read_bytes())
    data[-10] ^= 0xFF
    fake.write_bytes(bytes(data))
    code = run(["library", "tagger", "install", "--wheel", str(fake), "--cache-dir",
                str(tmp_path / "cache")])
    err = capsys.readouterr().err
    assert code == 1 and "is not the pinned musicnn==0.1.0 wheel" in err
    assert not (tmp_path / "cache" / "tagger" / "msd_musicnn.npz").exists()


def test_damaged_weights_in_the_cache_are_refused(tagger_cache, tmp_path):
    from musicrec.features.audio.tagger.weights import TaggerMissingError, load_tagger

    copy = tmp_path / "cache"
    shutil.copytree(tagger_cache / "tagger", copy / "tagger")
    weights = copy / "tagger" / "msd_musicnn.npz"
    data = bytearray(weights.read_bytes())
    data[-200] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(TaggerMissingError, match="does not match its manifest"):
        load_tagger(copy)


# ------------------------------------------------------------------ the scan and the library
@pytest.fixture(scope="module")
def tagged_library(tagger_cache, data_dir, tmp_path_factory):
    """The six clips scanned without the tagger first, then with it (only the tagger runs
    the second time), through the CLI; returns (cache, first stderr, second stderr)."""
    from contextlib import redirect_stderr
    from io import StringIO

    folder = tmp_path_factory.mktemp("clips")
    for clip in (data_dir / "audio").glob("*.ogg"):
        shutil.copy(clip, folder / clip.name)
    outputs = []
    for extra in (["--no-tagger"], []):
        err = StringIO()
        with redirect_stderr(err):
            code = run(["library", "scan", str(folder), "--jobs", "2", "--cache-dir",
                        str(tagger_cache), *extra])
        assert code == 0, err.getvalue()
        outputs.append(err.getvalue())
    return tagger_cache, outputs[0], outputs[1]


def library_table(cache: Path):
    import pandas as pd

    tracks = pd.read_parquet(cache / "datasets" / "library" / "tracks.parquet")
    return {Path(loc).name: row for loc, (_, row) in zip(tracks["location"], tracks.iterrows(),
                                                          strict=True)}


def test_installing_the_tagger_later_runs_only_the_tagger(tagged_library):
    _, before, after = tagged_library
    assert "tagger:" not in before
    assert "0 analysed, 6 unchanged" in after and "tagger: 6 songs tagged (6 now" in after


def test_scanned_songs_get_tags_and_the_outputs_are_kept(tagged_library):
    cache, _, _ = tagged_library
    rows = library_table(cache)
    assert "female vocalists" in list(rows[FISHIN]["tags"])
    assert list(rows[TRUMPET]["tags"])[0] == "jazz"
    outputs = np.load(cache / "datasets" / "library" / "audio_tagger.npy")
    assert outputs.shape == (6, 250) and np.isfinite(outputs).all()
    # the singer is heard: the estimate leans on the tagger's vocal tags
    assert rows[FISHIN]["instrumentalness"] < 0.2 < 0.8 < rows[TRUMPET]["instrumentalness"]


def test_a_rescan_takes_the_tags_from_the_cache(tagged_library, data_dir, capsys):
    cache, _, _ = tagged_library
    folder = Path(library_table(cache)[FISHIN]["location"]).parent
    assert run(["library", "scan", str(folder), "--cache-dir", str(cache)]) == 0
    err = capsys.readouterr().err
    assert "0 analysed" in err and "tagger: 6 songs tagged" in err and "now" not in err


def test_the_audio_model_blends_the_tagger_in_and_info_says_so(tagged_library, capsys):
    cache, _, _ = tagged_library
    assert run(["info", "--dataset", "library", "--cache-dir", str(cache)]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "blended with the pretrained tagger's 200-value embedding" in out
    assert "6 songs heard" in out and "tags on 6 tracks" in out


def test_tag_filters_search_and_explanations_in_the_cli(tagged_library, capsys):
    cache, _, _ = tagged_library
    where = ["--dataset", "library", "--cache-dir", str(cache)]
    assert run(["search", "--tag", "jazz", "--format", "json", *where]) == 0
    found = json.loads(capsys.readouterr().out)
    assert found and all("jazz" in hit["tags"] for hit in found)
    assert run(["recommend", "Vibe Ace", "--tag", "jazz", "--format", "json", *where]) == 0
    results = json.loads(capsys.readouterr().out)
    assert results and all("jazz" in r["tags"] for r in results)
    assert any("tags: jazz" in r["why"] for r in results)
    assert run(["recommend", "Vibe Ace", "--not-tag", "jazz", "--format", "json", *where]) == 0
    results = json.loads(capsys.readouterr().out)
    assert results and not any("jazz" in r["tags"] for r in results)
    assert run(["recommend", "Vibe Ace", "--tag", "jaz", *where]) == 1
    err = capsys.readouterr().err
    assert "no track has the tag 'jaz'; closest: jazz" in err and "Traceback" not in err


def test_tag_filters_and_search_in_the_rest_api(tagged_library):
    from fastapi.testclient import TestClient

    from musicrec.api.app import create_app
    from musicrec.workspace.models import open_recommender

    cache, _, _ = tagged_library
    client = TestClient(create_app(open_recommender("library", cache_dir=cache)))
    health = client.get("/health").json()
    assert "jazz" in health["tags"]
    hits = client.get("/search", params={"tag": "jazz"}).json()
    assert hits and all("jazz" in h["tags"] for h in hits)
    body = {"seeds": ["Vibe Ace"], "k": 3, "filters": {"exclude_tags": ["jazz"]}}
    results = client.post("/recommend", json=body).json()["results"]
    assert results and not any("jazz" in r["tags"] for r in results)
    body["filters"] = {"tags": ["nonsense"]}
    answer = client.post("/recommend", json=body)
    assert answer.status_code in (400, 404, 422) and "nonsense" in answer.text
    assert client.get("/search").status_code in (400, 422)


def test_a_catalog_without_tags_says_how_to_get_them(model, capsys):
    assert run(["recommend", "Blinding Lights", "--tag", "mellow"]) == 1
    err = capsys.readouterr().err
    assert "no track of this catalog has tags" in err and "tagger install" in err


def test_tag_filters_on_the_page_in_a_browser(tagged_library):
    """Debian's Chromium through Playwright: the page offers the library's tags, and a
    'not tagged' choice keeps those songs out of the results."""
    from musicrec.api.app import create_app
    from musicrec.workspace.models import open_recommender
    from tests.api_server import running
    from tests.test_web import CHROMIUM

    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is missing: install Debian's 'chromium' package "
                    "(sudo apt-get install chromium; .ci/run does) to run the browser test")
    from playwright.sync_api import sync_playwright

    cache, _, _ = tagged_library
    with running(create_app(open_recommender("library", cache_dir=cache))) as url, \
            sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        page.goto(url + "/")
        page.wait_for_selector("#tag option[value=jazz]", state="attached")
        assert page.is_visible("#tag") and page.is_visible("#not-tag")
        page.focus("#search")
        page.keyboard.type("Vibe Ace")
        page.wait_for_selector("#suggestions li[aria-selected=true]")
        page.keyboard.press("Enter")
        page.wait_for_selector("#basket li")
        page.select_option("#not-tag", "jazz")
        page.click("#go")
        page.wait_for_selector("#results li.result")
        metas = page.locator("#results .meta").all_inner_texts()
        assert metas and not any("jazz" in m for m in metas)
        tags = page.evaluate("fetch('/health').then((r) => r.json()).then((h) => h.tags)")
        assert all(any(t in m for t in tags) for m in metas)  # each song's tags are shown
        page.select_option("#not-tag", "")
        page.select_option("#tag", "jazz")
        page.click("#go")
        page.wait_for_function("() => [...document.querySelectorAll('#results .meta')]"
                               ".every((m) => m.textContent.includes('jazz'))")
        browser.close()
