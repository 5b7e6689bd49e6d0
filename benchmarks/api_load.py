"""Load on POST /recommend: wrk drives `musicrec serve` on loopback and prints req/s,
p50, p99 and errors.

Starts the server itself (``--workers`` processes, default 2 on this 2-core machine),
waits for /health, then runs wrk (Debian package ``wrk``) with ``--connections`` open
connections for ``--duration`` seconds. Each request asks for 10 tracks like one of 300
catalog tracks (by id, rotating), so the server resolves, searches, reranks and
explains as for a user.

    MUSICREC_DATA_DIR=../shared/data python benchmarks/api_load.py
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

LUA = """
local ids = {%s}
local i = 0
request = function()
  i = i + 1
  local body = '{"seeds": ["' .. ids[(i %% #ids) + 1] .. '"], "k": 10}'
  return wrk.format("POST", "/recommend", {["Content-Type"] = "application/json"}, body)
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"the server did not answer {url} within {timeout:.0f} s")


def milliseconds(text: str) -> float:
    """wrk's latency text (850.00us, 12.3ms, 1.02s, 1.20m) in milliseconds."""
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if match is None:
        raise SystemExit(f"cannot read wrk's latency '{text}'")
    value, unit = match.groups()
    return float(value) * {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 6e4}[unit]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--duration", type=int, default=60)
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    parser.add_argument("--data-dir", default=os.environ.get("MUSICREC_DATA_DIR", "../shared/data"))
    parser.add_argument("--cache-dir", default=os.environ.get("MUSICREC_CACHE_DIR"))
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk")

    from musicrec.workspace import open_recommender

    rec = open_recommender(data_dir=args.data_dir, cache_dir=args.cache_dir)  # build first
    ids = [str(t) for t in rec.catalog.column("track_id")[:: len(rec.catalog) // 300][:300]]
    port = free_port()
    command = [sys.executable, "-m", "musicrec", "serve", "--port", str(port),
               "--workers", str(args.workers), "--data-dir", args.data_dir]
    if args.cache_dir:
        command += ["--cache-dir", args.cache_dir]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    try:
        wait_for(f"http://127.0.0.1:{port}/health", 120)
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
            script.write(LUA % ", ".join(json.dumps(i) for i in ids))
        out = subprocess.run(
            ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{args.duration}s",
             "--latency", "-s", script.name, f"http://127.0.0.1:{port}"],
            capture_output=True, text=True, check=True,
        ).stdout
        Path(script.name).unlink()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)

    if "Requests/sec" not in out:
        raise SystemExit("wrk printed no result:\n" + out)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    p50 = milliseconds(re.search(r"50%\s+(\S+)", out).group(1))
    p99 = milliseconds(re.search(r"99%\s+(\S+)", out).group(1))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    errors = int(non_2xx.group(1)) if non_2xx else 0
    if socket_errors:
        errors += sum(int(n) for n in re.findall(r"\d+", socket_errors.group(1)))
    print(f"POST /recommend, k=10, one seed by id; {args.workers} uvicorn worker(s), "
          f"wrk {args.threads} thread(s), {args.connections} connections, {args.duration} s")
    print()
    print("| requests | requests/s | p50 ms | p99 ms | errors |")
    print("|---:|---:|---:|---:|---:|")
    print(f"| {total:,} | {rps:,.0f} | {p50:.1f} | {p99:.1f} | {errors} |")


if __name__ == "__main__":
    main()
