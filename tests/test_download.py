"""Dataset download into the cache: served from 127.0.0.1 by the test, never the internet."""

from __future__ import annotations

import dataclasses
import http.server
import threading
from pathlib import Path

import pytest

from musicrec.data.registry import DATASETS, locate_files
from musicrec.errors import DatasetUnavailableError
from musicrec.progress import Progress


class _Handler(http.server.BaseHTTPRequestHandler):
    routes: dict[str, tuple[int, bytes, int | None]] = {}

    def do_GET(self):  # noqa: N802 - http.server's naming
        status, body, claimed = self.routes.get(self.path, (404, b"not found", None))
        self.send_response(status)
        self.send_header("Content-Length", str(claimed if claimed is not None else len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server(songs_csv):
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    real = songs_csv.read_bytes()
    _Handler.routes = {
        "/good.csv": (200, real, None),
        "/short.csv": (200, real[:5000], None),  # a valid CSV, too few rows
        "/cut.csv": (200, real[:100_000], len(real)),  # connection drops mid-way
        "/error.csv": (500, b"oops", None),
    }
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def _dataset(url: str):
    spec = DATASETS["spotify_songs"]
    files = tuple(dataclasses.replace(f, url=url) for f in spec.files)
    return dataclasses.replace(spec, files=files)


def test_download_validates_and_caches(server, tmp_path, songs_csv):
    seen = []
    paths = locate_files(_dataset(f"{server}/good.csv"), None, tmp_path,
                         progress=Progress(transfer=lambda done, total: seen.append((done, total))))
    path = paths["spotify_songs/spotify_songs.csv"]
    assert path == tmp_path / "data" / "spotify_songs" / "spotify_songs.csv"
    assert path.read_bytes() == songs_csv.read_bytes()
    assert seen and seen[-1][0] == seen[-1][1] == path.stat().st_size
    # second time: taken from the cache, the (now broken) address is not asked
    again = locate_files(_dataset(f"{server}/error.csv"), None, tmp_path)
    assert again["spotify_songs/spotify_songs.csv"] == path


@pytest.mark.parametrize(
    ("route", "message"),
    [
        ("/error.csv", "HTTP 500"),
        ("/cut.csv", "connection closed"),
        ("/short.csv", "expected at least"),
        ("/missing.csv", "HTTP 404"),
    ],
)
def test_failed_download_leaves_nothing(server, tmp_path, route, message):
    with pytest.raises(DatasetUnavailableError) as info:
        locate_files(_dataset(f"{server}{route}"), None, tmp_path)
    text = str(info.value)
    assert message in text and "Nothing was saved" in text and "MUSICREC_DATA_DIR" in text
    leftovers = [p for p in Path(tmp_path).rglob("*") if p.is_file()]
    assert leftovers == []


def test_unreachable_server(tmp_path):
    with pytest.raises(DatasetUnavailableError, match="could not connect"):
        locate_files(_dataset("http://127.0.0.1:9/nothing.csv"), None, tmp_path)


def test_data_dir_never_downloads(tmp_path):
    with pytest.raises(DatasetUnavailableError, match="does not exist"):
        locate_files(_dataset("http://127.0.0.1:9/x.csv"), tmp_path, tmp_path / "cache")


def test_dataset_without_public_address_says_where_to_put_it(tmp_path):
    with pytest.raises(DatasetUnavailableError, match="kaggle_1921_2020/data.csv"):
        locate_files(DATASETS["kaggle_1921_2020"], None, tmp_path)
