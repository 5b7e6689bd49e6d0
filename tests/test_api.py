"""The REST API over HTTP: every endpoint, every validation error, no 5xx."""

from __future__ import annotations

import json

import httpx
import pytest

from musicrec.api.app import create_app
from tests.api_server import running

BAD_GUY = "2Fxmhks0bxGSBdJ92vM42m"


@pytest.fixture(scope="module")
def base_url(rec):
    with running(create_app(rec)) as url:
        yield url


@pytest.fixture(scope="module")
def http(base_url):
    with httpx.Client(base_url=base_url, timeout=30) as client:
        yield client


def _error(response, status):
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["error"] and "Traceback" not in body["error"]
    return body


def test_health_and_page(http):
    health = http.get("/health").json()
    assert health["status"] == "ok" and health["tracks"] == 28_356
    assert "pop" in health["genres"] and health["explicit_known"] is False
    page = http.get("/")
    assert page.status_code == 200 and 'id="search"' in page.text
    assert http.get("/static/app.js").status_code == 200
    assert "plotly" in http.get("/static/vendor/plotly-scattergl.min.js").text[:2000].lower()
    assert http.get("/docs").status_code == 200
    assert "/recommend" in http.get("/openapi.json").json()["paths"]
    _error(http.get("/no/such/page"), 404)


def test_search_and_tracks(http):
    hits = http.get("/search", params={"q": "bad guy", "limit": 3}).json()
    assert len(hits) == 3 and hits[0]["track_id"] == BAD_GUY and hits[0]["match"] == 100
    track = http.get(f"/tracks/{BAD_GUY}").json()
    assert track["name"] == "bad guy" and track["artists"] == ["Billie Eilish"]
    assert track["duration_ms"] > 0 and isinstance(track["cluster"], int)
    _error(http.get("/tracks/nope"), 404)
    for params in ({"q": ""}, {"q": "x" * 201}, {"q": "a", "limit": 0}, {"q": "a", "limit": 51},
                   {"q": "a", "limit": "many"}, {}):
        _error(http.get("/search", params=params), 422)


def test_similar(http):
    body = http.get(f"/tracks/{BAD_GUY}/similar", params={"k": 5}).json()
    assert len(body["results"]) == 5 and body["seeds"][0]["track_id"] == BAD_GUY
    _error(http.get("/tracks/nope/similar"), 404)
    _error(http.get(f"/tracks/{BAD_GUY}/similar", params={"k": 0}), 422)
    _error(http.get(f"/tracks/{BAD_GUY}/similar", params={"k": 501}), 422)


def test_recommend(http):
    body = http.post("/recommend", json={
        "seeds": ["bad guy", {"query": "Wonderwall", "weight": 2}],
        "negatives": [{"query": "Shape of You"}], "k": 12,
        "filters": {"year": {"min": 2000, "max": 2020}, "genres": ["pop"]},
        "diversity": 0.3, "artist_cap": 1,
    }).json()
    results = body["results"]
    assert len(results) == 12
    assert {s["track_id"] for s in body["seeds"]} >= {BAD_GUY}
    assert body["negatives"][0]["label"].startswith("Shape of You")
    assert all(2000 <= r["year"] <= 2020 and "pop" in r["genres"] for r in results)
    assert len({r["artists"][0] for r in results}) == 12
    first = results[0]
    assert first["why"] and first["reasons"][0]["feature"] and 0 < first["score"] <= 1
    same = http.post("/recommend", json={"seeds": [BAD_GUY], "same_cluster": True}).json()
    clusters = {r["cluster"] for r in same["results"]}
    assert len(clusters) == 1


@pytest.mark.parametrize("body, status, message", [
    ({"seeds": []}, 422, "seeds"),
    ({}, 422, "seeds"),
    ({"seeds": ["bad guy"], "k": 0}, 422, "k"),
    ({"seeds": ["bad guy"], "k": 501}, 422, "k"),
    ({"seeds": ["bad guy"], "k": "ten"}, 422, "k"),
    ({"seeds": ["bad guy"] * 101}, 422, "seeds"),
    ({"seeds": ["x" * 201]}, 422, "seeds"),
    ({"seeds": [""]}, 422, "seeds"),
    ({"seeds": [{"query": "bad guy", "weight": 0}]}, 422, "weight"),
    ({"seeds": ["bad guy"], "filters": {"mood": "happy"}}, 422, "mood"),
    ({"seeds": ["bad guy"], "filters": {"year": {"min": 2020, "max": 1990}}}, 422, "year"),
    ({"seeds": ["bad guy"], "filters": {"popularity": {"min": 50, "max": 150}}}, 422,
     "popularity"),
    ({"seeds": ["bad guy"], "filters": {"genres": ["no such genre"]}}, 422, "genre"),
    ({"seeds": ["bad guy"], "diversity": 1.5}, 422, "diversity"),
    ({"seeds": ["bad guy"], "artist_cap": -1}, 422, "artist_cap"),
    ({"seeds": ["bad guy"], "colour": "blue"}, 422, "colour"),
    ({"seeds": ["bad guy"], "negatives": ["bad guy"]}, 422, "both a seed and a negative"),
    ({"seeds": ["zzqx no song at all qqq"]}, 404, "no track"),
])
def test_recommend_rejects_bad_input(http, body, status, message):
    assert message in _error(http.post("/recommend", json=body), status)["error"]


def test_malformed_bodies(http):
    _error(http.post("/recommend", content=b"{not json", headers={
        "content-type": "application/json"}), 422)
    _error(http.post("/recommend", content=b"[1, 2]", headers={
        "content-type": "application/json"}), 422)
    unknown = _error(http.post("/recommend", json={"seeds": ["Blindng Lights qq zz"]}), 404)
    assert "candidates" in unknown


def test_map(http):
    body = http.get("/map", headers={"accept-encoding": "gzip"})
    assert body.headers.get("content-encoding") == "gzip"
    data = body.json()
    n = len(data["track_ids"])
    assert n == 28_356 and len(data["x"]) == len(data["y"]) == len(data["cluster"]) == n
    assert len(data["axes"]) == 2 and BAD_GUY in data["track_ids"]


def test_compact_map_is_the_same_map_in_fewer_bytes(http):
    """The page's map: the full map's places to within the 16-bit quantisation, its
    clusters and labels, no ids, in well under half the gzipped bytes; rows of chosen
    tracks come from /map/rows."""
    import base64
    import gzip

    import numpy as np

    full = http.get("/map").json()
    compact = http.get("/map/compact").json()
    n = compact["n"]
    assert n == len(full["track_ids"]) and "track_ids" not in compact
    for axis, bounds in zip(("x", "y"), compact["bounds"], strict=True):
        q = np.frombuffer(base64.b64decode(compact[axis]), dtype="<u2")
        lo, hi = bounds
        placed = lo + q / 65535 * (hi - lo)
        assert len(q) == n
        step = (hi - lo) / 65535
        assert np.max(np.abs(placed - np.array(full[axis]))) <= step / 2 + 1e-4
    cluster = np.frombuffer(base64.b64decode(compact["cluster"]), dtype=compact["cluster_dtype"])
    assert cluster.tolist() == full["cluster"]
    assert compact["labels"].split("\n") == [
        " ".join(label.splitlines()) if "\n" in label else label for label in full["labels"]]
    size = {name: len(gzip.compress(json.dumps(body).encode()))
            for name, body in (("full", full), ("compact", compact))}
    assert size["compact"] < 0.5 * size["full"], size
    rows = http.post("/map/rows", json={"track_ids": [BAD_GUY, "nope", full["track_ids"][5]]})
    assert rows.json()["rows"] == [full["track_ids"].index(BAD_GUY), None, 5]
    _error(http.post("/map/rows", json={"track_ids": []}), 422)
    _error(http.post("/map/rows", json={"track_ids": ["x"] * 1001}), 422)


def test_page_bundle_is_partial_and_needs_no_eval(http):
    """The page loads plotly's core and scattergl only, in its strict (no eval) flavour,
    which is what lets the CSP forbid 'unsafe-eval'."""
    from pathlib import Path

    import plotly

    bundle = http.get("/static/vendor/plotly-scattergl.min.js")
    assert bundle.status_code == 200
    assert bundle.headers["content-type"].startswith(("text/javascript", "application/javascript"))
    text = bundle.text
    assert "new Function" not in text and "eval(" not in text
    full = (Path(plotly.__file__).parent / "package_data" / "plotly.min.js").stat().st_size
    assert len(bundle.content) < 0.45 * full, (len(bundle.content), full)


def test_export_formats(http):
    ids = [BAD_GUY, "0sf12qNH5qcw8qpgymFOqD"]
    m3u = http.post("/export", params={"format": "m3u8"}, json={"track_ids": ids})
    assert m3u.status_code == 200 and "attachment" in m3u.headers["content-disposition"]
    lines = m3u.text.splitlines()
    assert lines[0] == "#EXTM3U" and lines[2].startswith("#EXTINF:194,Billie Eilish - bad guy")
    assert lines[3] == f"https://open.spotify.com/track/{BAD_GUY}"
    jspf = json.loads(http.post("/export", params={"format": "jspf"},
                                json={"track_ids": ids, "title": "Mine"}).text)
    assert jspf["playlist"]["title"] == "Mine" and len(jspf["playlist"]["track"]) == 2
    assert jspf["playlist"]["track"][0]["identifier"] == [
        f"https://open.spotify.com/track/{BAD_GUY}"]
    csv_text = http.post("/export", params={"format": "csv"}, json={"track_ids": ids}).text
    assert csv_text.splitlines()[0].startswith("track_id,name,artists")
    _error(http.post("/export", params={"format": "mp3"}, json={"track_ids": ids}), 422)
    _error(http.post("/export", json={"track_ids": ["nope"]}), 404)
    _error(http.post("/export", json={"track_ids": []}), 422)


def test_head_favicon_and_security_headers(http):
    for path in ("/", "/health"):
        assert http.head(path).status_code == 200, path
    icon = http.get("/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg")
    for path in ("/", "/health", "/static/app.js", "/nope"):
        headers = http.get(path).headers
        assert headers["x-content-type-options"] == "nosniff", path
        assert "frame-ancestors 'none'" in headers["content-security-policy"], path
    policy = http.get("/").headers["content-security-policy"]
    script_src = policy.split("script-src")[1].split(";")[0]
    assert script_src.strip() == "'self'", policy
    health = http.get("/health").json()
    assert "/" not in health["model"] and health["model"].startswith("spotify_songs")


def test_docs_work_offline(http):
    page = http.get("/docs")
    assert page.status_code == 200 and "cdn." not in page.text
    assert "/static-offline-docs/swagger-ui-bundle.js" in page.text
    bundle = http.get("/static-offline-docs/swagger-ui-bundle.js")
    assert bundle.status_code == 200 and len(bundle.content) > 100_000


def test_request_bodies_are_limited(http):
    big = {"seeds": ["bad guy"], "filters": {"genres": ["x" * 100] * 12_000}}
    response = http.post("/recommend", json=big)
    assert response.status_code == 413 and "too large" in response.json()["error"]

    def chunks():  # no Content-Length: counted as it arrives
        yield b'{"seeds": ["bad guy"], "x": "'
        for _ in range(40):
            yield b"y" * 50_000
        yield b'"}'

    response = http.post("/recommend", content=chunks(),
                         headers={"content-type": "application/json"})
    assert response.status_code == 413


def test_exports_strip_control_characters(http):
    title = "mix\r\n#EXTINF:1,evil\r\nfile:///etc/passwd\x00\u2028end"
    for fmt in ("m3u8", "jspf", "csv"):
        response = http.post(f"/export?format={fmt}",
                             json={"track_ids": [BAD_GUY, "0sf12qNH5qcw8qpgymFOqD"],
                                   "title": title})
        assert response.status_code == 200, response.text
        text = response.text
        assert "\r" not in text and "\x00" not in text and "\u2028" not in text
        if fmt == "m3u8":
            lines = text.splitlines()
            assert len(lines) == 2 + 2 * 2
            assert lines[0] == "#EXTM3U" and lines[1].startswith("#PLAYLIST:mix #EXTINF")
            assert all(line.startswith(("#EXTINF:", "https://open.spotify.com/track/"))
                       for line in lines[2:])
        if fmt == "jspf":
            assert json.loads(text)["playlist"]["title"] == (
                "mix #EXTINF:1,evil file:///etc/passwd end")


def test_song_path(http, rec):
    """POST /path gives the path Recommender.path gives, start to end; bad input is a
    4xx with a message."""
    body = {"start": "bad guy - Billie Eilish", "end": "Wonderwall - Oasis", "steps": 8,
            "filters": {"year": {"min": 1990}}, "artist_cap": 1}
    response = http.post("/path", json=body)
    assert response.status_code == 200, response.text
    got = response.json()
    ids = [r["track_id"] for r in got["results"]]
    from musicrec.recommend.filters import Filters

    expected = rec.path(body["start"], body["end"], 8, filters=Filters(year=(1990, None)),
                        artist_cap=1)
    assert ids == [r.track_id for r in expected.results] and len(ids) == 9
    assert got["results"][0]["name"] == "bad guy" and got["results"][0]["rank"] == 1
    assert all(r["year"] >= 1990 for r in got["results"][1:-1])
    _error(http.post("/path", json={**body, "steps": 1}), 422)
    assert "same song" in _error(http.post("/path", json={**body, "end": body["start"]}),
                                 422)["error"]
    _error(http.post("/path", json={**body, "end": "zzqqxx nothing like it"}), 404)
