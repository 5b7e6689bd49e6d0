"""Latency of the Subsonic API's getSonicSimilarTracks on the default catalog (28k
tracks), beside the REST API's GET /tracks/{id}/similar for the same tracks in the same
run, both from one `musicrec serve` process on loopback.

Starts the server itself (a fresh users file with one user), waits for /health, then
sends ``--requests`` requests per endpoint (10 matches each, for seeded random tracks)
from ``--clients`` client threads, alternating the two endpoints in blocks so that both
see the same machine load. Prints p50, p95 and p99 per endpoint and their ratios.

    MUSICREC_DATA_DIR=../shared/data python benchmarks/subsonic_load.py
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import numpy as np


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=1)
    parser.add_argument("--block", type=int, default=100)
    args = parser.parse_args()

    from musicrec.subsonic.shelf import opaque_id
    from musicrec.workspace import open_recommender

    rec = open_recommender("spotify_songs")
    rng = np.random.default_rng(0)
    rows = rng.choice(len(rec.catalog), args.requests, replace=False)
    track_ids = [str(rec.catalog.tracks["track_id"].iloc[r]) for r in rows]
    song_ids = [opaque_id("tr", "spotify_songs", t) for t in track_ids]
    del rec

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as config:
        env = os.environ | {"MUSICREC_SUBSONIC_USERS": str(Path(config) / "users.json"),
                            "MUSICREC_SUBSONIC_USER": "bench",
                            "MUSICREC_SUBSONIC_PASSWORD": "bench-password"}
        server = subprocess.Popen([sys.executable, "-m", "musicrec", "serve", "--port",
                                   str(port), "--also", ""], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            with httpx.Client(base_url=base, timeout=60) as http:
                while True:  # the state: the server answers
                    if server.poll() is not None:
                        sys.exit("the server did not start")
                    try:
                        if http.get("/health").status_code == 200:
                            break
                    except httpx.TransportError:
                        time.sleep(0.2)
                auth = {"u": "bench", "p": "bench-password", "v": "1.16.1", "c": "bench",
                        "f": "json"}

                def subsonic(i: int) -> float:
                    start = time.perf_counter()
                    answer = http.get("/rest/getSonicSimilarTracks",
                                      params=auth | {"id": song_ids[i], "count": 10})
                    took = time.perf_counter() - start
                    assert len(answer.json()["subsonic-response"]["sonicMatch"]) == 10
                    return took

                def rest(i: int) -> float:
                    start = time.perf_counter()
                    answer = http.get(f"/tracks/{track_ids[i]}/similar", params={"k": 10})
                    took = time.perf_counter() - start
                    assert len(answer.json()["results"]) == 10
                    return took

                for warm in range(50):  # first requests build the Subsonic index
                    subsonic(warm)
                    rest(warm)
                times: dict[str, list[float]] = {"getSonicSimilarTracks": [],
                                                 "GET /tracks/{id}/similar": []}
                with ThreadPoolExecutor(args.clients) as pool:
                    for at in range(0, args.requests, args.block):
                        block = range(at, min(at + args.block, args.requests))
                        for name, fn in zip(times, (subsonic, rest), strict=True):
                            times[name] += list(pool.map(fn, block))
        finally:
            server.send_signal(signal.SIGINT)
            server.wait(timeout=60)

    print(f"{args.requests} requests per endpoint, {args.clients} client thread(s), "
          "10 matches each, default catalog (28,356 tracks), loopback")
    print(f"{'endpoint':28s} {'p50 ms':>8s} {'p95 ms':>8s} {'p99 ms':>8s} {'req/s':>7s}")
    stats = {}
    for name, values in times.items():
        ms = np.array(values) * 1000
        stats[name] = np.percentile(ms, [50, 95, 99])
        print(f"{name:28s} {stats[name][0]:8.2f} {stats[name][1]:8.2f} {stats[name][2]:8.2f}"
              f" {args.clients * 1000 / ms.mean():7.0f}")
    ours, ref = stats.values()
    print(f"ratio Subsonic / REST: p50 {ours[0] / ref[0]:.2f}x, p99 {ours[2] / ref[2]:.2f}x")


if __name__ == "__main__":
    main()
