"""The default build on an idle machine and beside CPU-bound processes, in one run.

Each case runs ``musicrec build`` (the default dataset, the default "style" model) as a
user would, in a fresh process with a fresh cache, and times it from start to exit.
"Busy N" starts N CPU-bound processes (a Python busy loop each) first and stops them
after. Threads: "auto" is what ships (one thread per free core, see
``musicrec/threads.py``); "2" forces one per core, as scikit-learn does by itself (the
behaviour before); "2, passive" forces two with ``OMP_WAIT_POLICY=PASSIVE``, which makes
OpenMP threads sleep instead of spin while they wait at a barrier: if that case is fast,
spinning on oversubscribed cores is the cause. Ratios are to the idle "auto" build of
the same run.

    python benchmarks/build_under_load.py --data-dir ../shared/data
    python benchmarks/build_under_load.py --cases idle:auto,busy2:auto   # a subset
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CASES = ("idle:auto", "idle:2", "busy1:auto", "busy1:2", "busy2:auto", "busy2:2",
         "busy2:2passive")
SPIN = "while True: pass"


def run_build(data_dir: Path, threads: str, timeout: float) -> tuple[float | None, str]:
    """Seconds for one ``musicrec build`` (None when it ran past ``timeout``), and the
    thread count the build chose when it says so."""
    env = {**os.environ, "MUSICREC_DATA_DIR": str(data_dir)}
    env.pop("MUSICREC_THREADS", None)
    env.pop("OMP_WAIT_POLICY", None)
    if threads.startswith("2"):
        env["MUSICREC_THREADS"] = "2"
    if threads.endswith("passive"):
        env["OMP_WAIT_POLICY"] = "PASSIVE"
    with tempfile.TemporaryDirectory(prefix="musicrec-build-") as cache:
        env["MUSICREC_CACHE_DIR"] = cache
        started = time.perf_counter()
        try:
            done = subprocess.run([sys.executable, "-m", "musicrec", "build"], env=env,
                                  check=True, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return None, "?"
        seconds = time.perf_counter() - started
        said = [w for w in done.stderr.split("building with ")[1:2]]
        chosen = said[0].split()[0] if said else ("2" if threads.startswith("2") else "all")
        return seconds, chosen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path,
                        default=Path(os.environ.get("MUSICREC_DATA_DIR", "../shared/data")))
    parser.add_argument("--cases", default=",".join(CASES))
    parser.add_argument("--timeout", type=float, default=900.0,
                        help="seconds after which a build is stopped and reported as such")
    parser.add_argument("--repeat", type=int, default=1,
                        help="rounds over all cases (the machine's speed drifts: the table "
                        "gives each case's median, rounds interleaved)")
    args = parser.parse_args()
    cases = args.cases.split(",")
    times: dict[str, list[float]] = {c: [] for c in cases}
    chosen: dict[str, str] = {}
    for round_ in range(args.repeat):
        for case in cases:
            load, threads = case.split(":")
            busy = int(load.removeprefix("busy")) if load.startswith("busy") else 0
            spinners = [subprocess.Popen([sys.executable, "-c", SPIN]) for _ in range(busy)]
            try:
                time.sleep(2.0 if busy else 0.0)  # the spinners are running
                seconds, used = run_build(args.data_dir.resolve(), threads, args.timeout)
            finally:
                for p in spinners:
                    p.kill()
                    p.wait()
            times[case].append(args.timeout if seconds is None else seconds)
            chosen[case] = used
            shown = f">{args.timeout:.0f}" if seconds is None else f"{seconds:.1f}"
            print(f"round {round_ + 1}: {case:16s} {shown:>8s} s ({used} threads)", flush=True)
    idle = statistics.median(times["idle:auto"]) if "idle:auto" in times else None
    print("\n| machine | threads | build (s), median | vs idle |\n|---|---|---|---|")
    for case in cases:
        load, threads = case.split(":")
        busy = int(load.removeprefix("busy")) if load.startswith("busy") else 0
        label = {"auto": f"auto (shipped): {chosen[case]}", "2": "2 (one per core)",
                 "2passive": "2, OMP_WAIT_POLICY=PASSIVE"}[threads]
        median = statistics.median(times[case])
        ratio = "" if idle is None else f"{median / idle:.2f}x"
        runs = ", ".join(f"{t:.0f}" for t in times[case])
        print(f"| {f'{busy} busy' if busy else 'idle'} | {label} | {median:.1f} ({runs}) | "
              f"{ratio} |")
    print(f"\n{os.cpu_count()} cores; python {sys.version.split()[0]}")


if __name__ == "__main__":
    main()
