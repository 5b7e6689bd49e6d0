"""How cost grows with the catalog: SYNTHETIC catalogs of 30k to 1M tracks, built and
queried end to end through the public API, the approximate index beside the exact scan.

Each catalog is the default catalog's real rows resampled with small noise
(benchmarks/synthetic_catalog.py; SYNTHETIC, labelled so in every output, never
shipped as data). Per size:

- ``musicrec import`` of the table in a fresh process (read, embed, index, cluster,
  write): wall time and peak RSS, then the model's size on disk;
- cold start: ``musicrec recommend --dataset NAME "<title>"`` in a fresh process, from
  process start to the first byte of the printed result and to its exit (medians of
  3), and that process's peak RSS (what serving one query costs);
- warm, in one process, the model's own index, the exact scan and the other approximate
  backends over the same vectors, through the same Recommender API, in blocks of 25
  requests per backend with the order rotating: p50/p99 of each query kind (one seed;
  five seeds; one seed with a year filter, 1990-2009, about a fifth of the catalog; five
  seeds with it), recall@10 against the exact scan, whether every filtered query
  returned k, the index's own time inside those same requests and each request's time
  over it (what the Recommender adds), and ``recommend_batch`` throughput (requests per
  second). Every request runs once before any is timed, so a filter is timed as a
  repeated one (the steady state of a service).

Usage::

    MUSICREC_DATA_DIR=../shared/data python benchmarks/scale.py --sizes 30000,100000 \\
        [--out docs/scale.json] [--plot docs/scale.png]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from synthetic_catalog import write_synthetic  # noqa: E402

ONE_SEED, FIVE_SEEDS, BATCH, BLOCK = 300, 100, 200, 25
YEARS = "1990-2009"


MEASURE = """
import resource, subprocess, sys, time
t = time.perf_counter()
p = subprocess.Popen(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.PIPE, bufsize=0)
first = p.stdout.read(1)
t_first = time.perf_counter() - t
out, err = p.communicate()
t_exit = time.perf_counter() - t
sys.stderr.write(err.decode()); sys.stdout.write((first + out).decode())
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print("\\nMEASURED", t_exit, t_first, rss, p.returncode)
"""


def measure(command: list[str], env: dict) -> tuple[float, float, float, str]:
    """Wall seconds to exit and to the first byte of standard output, peak RSS (MB) and
    the output, of a command in a fresh process."""
    done = subprocess.run([sys.executable, "-c", MEASURE, *command], env=env,
                          capture_output=True, text=True)
    *out, last = done.stdout.rstrip().split("\n")
    _, seconds, first, rss, code = last.split()
    if code != "0":
        raise SystemExit(f"{' '.join(command[:4])} failed:\n{done.stderr[-3000:]}")
    return float(seconds), float(first), float(rss), "\n".join(out)


def folder_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


class TimedIndex:
    """An index that adds the time its searches take to ``spent``: the index's share of
    each request, timed inside the request (same caches, same candidates asked for), so
    a request's overhead is its time over this, not over a separate loop's."""

    def __init__(self, inner) -> None:
        self.inner, self.spent = inner, 0.0

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def _timed(self, method: str, *args, **kwargs):
        start = time.perf_counter()
        try:
            return getattr(self.inner, method)(*args, **kwargs)
        finally:
            self.spent += time.perf_counter() - start

    def search(self, *args, **kwargs):
        return self._timed("search", *args, **kwargs)

    def search_rows(self, *args, **kwargs):
        return self._timed("search_rows", *args, **kwargs)


def warm(model_path: Path, rng) -> dict:
    """Warm query figures for the model's index and the exact scan (same process)."""
    from musicrec import Recommender, load_model
    from musicrec.index import ExactIndex
    from musicrec.index.registry import backend
    from musicrec.recommend.filters import Filters, parse_range
    from musicrec.recommend.request import RecommendRequest
    from musicrec.threads import limited_threads

    model = load_model(model_path, verify=False)
    ids = model.catalog.tracks["track_id"].astype(str).to_numpy()
    recs = {model.index.name: Recommender(model, index=TimedIndex(model.index)),
            "exact": Recommender(model, index=TimedIndex(ExactIndex(model.vectors)))}
    built = {}
    for name in ("hnsw", "ivf"):  # the other backends over the same vectors, for comparison
        if name not in recs:
            start = time.perf_counter()
            with limited_threads():
                other = backend(name).build(np.asarray(model.vectors))
            built[name] = time.perf_counter() - start
            recs[name] = Recommender(model, index=TimedIndex(other))
    filters = Filters(year=parse_range(YEARS, "year"))
    one = [RecommendRequest(seeds=(ids[i],)) for i in rng.choice(len(ids), ONE_SEED)]
    five = [RecommendRequest(seeds=tuple(ids[rng.choice(len(ids), 5)]), filters=filters)
            for _ in range(FIVE_SEEDS)]
    five_free = [RecommendRequest(seeds=tuple(ids[rng.choice(len(ids), 5)]))
                 for _ in range(FIVE_SEEDS)]
    one_years = [RecommendRequest(seeds=(ids[i],), filters=filters)
                 for i in rng.choice(len(ids), FIVE_SEEDS)]
    out: dict = {}
    for label, requests in (("one seed", one), ("five seeds, years " + YEARS, five),
                            ("five seeds", five_free), ("one seed, years " + YEARS, one_years)):
        times: dict[str, list[float]] = {name: [] for name in recs}
        inside: dict[str, list[float]] = {name: [] for name in recs}  # the index's share
        found: dict[str, list[list[str]]] = {name: [] for name in recs}
        # every request once through every backend, so the memory-mapped pages each
        # reads (rows, vectors, graph) are in memory before any is timed
        for rec in recs.values():
            for request in requests:
                rec.recommend(request)
        # blocks of BLOCK requests, the backends' order rotating from block to block:
        # machine noise hits all alike, and each block runs in its own backend's cache
        # state (one exact scan streams 300 MB through the caches, which a graph walk
        # asked right after it would pay for in misses no server of its own would see)
        names = list(recs)
        for b, start_at in enumerate(range(0, len(requests), BLOCK)):
            block = requests[start_at: start_at + BLOCK]
            for name in names[b % len(names):] + names[: b % len(names)]:
                rec = recs[name]
                for request in block:
                    rec.index.spent = 0.0
                    start = time.perf_counter()
                    result = rec.recommend(request)
                    times[name].append(time.perf_counter() - start)
                    inside[name].append(rec.index.spent)
                    found[name].append([r.track_id for r in result.results])
        for name in recs:
            recall = np.mean([len(set(a) & set(b)) / max(1, len(b)) for a, b in
                              zip(found[name], found["exact"], strict=True)])
            short = sum(len(f) < 10 for f in found[name])
            t = np.array(times[name]) * 1e3
            spent = np.array(inside[name]) * 1e3
            out.setdefault(name, {})[label] = {
                "p50_ms": float(np.percentile(t, 50)), "p99_ms": float(np.percentile(t, 99)),
                "recall@10": float(recall), "fewer_than_10": int(short),
                # the index's own time inside the same requests, and each request's time
                # over it (what the Recommender adds: seeds, rerank, records, reasons)
                "index_p50_ms": float(np.percentile(spent, 50)),
                "overhead_x": float(np.median(t / np.maximum(spent, 1e-6)))}
    for name, seconds in built.items():
        out[name]["index_build_s"] = seconds
    # the index alone, as the Recommender asks it for "more like this one track"
    rows = rng.choice(len(ids), ONE_SEED)
    for name, rec in recs.items():
        times = []
        for row in rows.tolist():
            start = time.perf_counter()
            rec.index.inner.search_rows([row], 11, None, [np.array([row])])
            times.append(time.perf_counter() - start)
        out[name]["index_one_seed_p50_ms"] = float(np.percentile(np.array(times[20:]) * 1e3,
                                                                50))
    for name, rec in recs.items():
        rec.recommend_batch(one[:20])
        start = time.perf_counter()
        rec.recommend_batch(one[:BATCH])
        out[name]["batch_per_s"] = BATCH / (time.perf_counter() - start)
    return out


def run_size(size: int, work: Path, env: dict, style_from: Path, rng) -> dict:
    table = work / f"synthetic-{size}.parquet"
    write_synthetic(size, table, Path(env["MUSICREC_DATA_DIR"]))
    name = f"synthetic-{size}"
    seconds, _, rss, _ = measure([sys.executable, "-m", "musicrec", "import", str(table),
                                  "--name", name, "--style-from", str(style_from)], env)
    model_path = Path(env["MUSICREC_CACHE_DIR"]) / "models" / name
    manifest = json.loads((model_path / "manifest.json").read_text())
    import pandas as pd

    title = str(pd.read_parquet(table, columns=["name"])["name"][7])
    cold, first, serving = [], [], []
    for _ in range(3):
        c, f, r, printed = measure([sys.executable, "-m", "musicrec", "recommend",
                                    "--dataset", name, title, "-f", "json"], env)
        try:
            assert json.loads(printed)
        except (ValueError, AssertionError) as exc:
            raise SystemExit(f"recommend printed no result ({exc}):\n{printed[:800]}") from exc
        cold.append(c)
        first.append(f)
        serving.append(r)
    floor = statistics.median(  # what starting Python and the libraries costs anyway
        measure([sys.executable, "-c", "import numpy, pandas, pyarrow, faiss"], env)[0]
        for _ in range(3))
    row = {"size": size, "synthetic": True, "index": manifest["index"],
           "import_floor_s": floor,
           "build_s": seconds, "build_rss_mb": rss,
           "model_mb": folder_bytes(model_path) / 1e6,
           "cold_start_s": statistics.median(cold),
           "first_result_s": statistics.median(first), "serving_rss_mb": max(serving),
           "warm": warm(model_path, rng)}
    table.unlink()
    return row


def print_row(row: dict) -> None:
    print(f"\n{row['size']:,} tracks (SYNTHETIC), index {row['index']}: build "
          f"{row['build_s']:.0f} s, peak RSS {row['build_rss_mb']:,.0f} MB, model "
          f"{row['model_mb']:,.0f} MB on disk, cold start {row['cold_start_s']:.2f} s "
          f"(first result {row['first_result_s']:.2f} s; Python with numpy, pandas, pyarrow "
          f"and faiss imported, nothing else: {row.get('import_floor_s', float('nan')):.2f} s), "
          f"serving RSS {row['serving_rss_mb']:,.0f} MB", flush=True)
    warm = row["warm"]
    print(f"  {'index':8s} {'query':28s} {'p50 ms':>7s} {'p99 ms':>7s} {'recall@10':>9s} "
          f"{'<10 res':>7s} {'in index':>8s} {'request/index':>13s}")
    for name, figures in warm.items():
        for label, f in figures.items():
            if isinstance(f, dict):
                print(f"  {name:8s} {label:28s} {f['p50_ms']:7.2f} {f['p99_ms']:7.2f} "
                      f"{f['recall@10']:9.4f} {f['fewer_than_10']:7d} "
                      f"{f.get('index_p50_ms', float('nan')):8.3f} "
                      f"{f.get('overhead_x', float('nan')):12.2f}x")
        built = (f"; index built in {figures['index_build_s']:.0f} s in the benchmark"
                 if "index_build_s" in figures else "")
        print(f"  {name:8s} recommend_batch: {figures['batch_per_s']:,.0f} requests/s{built}; "
              f"the index alone, one seed: p50 {figures['index_one_seed_p50_ms']:.3f} ms")
    exact = warm["exact"]
    for name, ours in warm.items():
        if name == "exact":
            continue
        for label in (k for k, v in ours.items() if isinstance(v, dict)):
            print(f"  {label}: {name} p50 is "
                  f"{exact[label]['p50_ms'] / ours[label]['p50_ms']:.1f}x the speed of exact")


def markdown(rows: list[dict]) -> str:
    """The figures as the two tables of docs/performance.md."""
    out = ["| tracks (SYNTHETIC) | default index | build | build peak RSS | model on disk | "
           "cold start: first result | to exit | libraries alone | serving RSS |",
           "|---:|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        floor = f"{r['import_floor_s']:.2f} s" if "import_floor_s" in r else "n/a"
        out.append(f"| {r['size']:,} | {r['index']} | {r['build_s']:.0f} s | "
                   f"{r['build_rss_mb']:,.0f} MB | {r['model_mb']:,.0f} MB | "
                   f"{r['first_result_s']:.2f} s | {r['cold_start_s']:.2f} s | {floor} | "
                   f"{r['serving_rss_mb']:,.0f} MB |")
    out += ["", "| tracks | index | one seed | exact | ratio | recall | 5 seeds + years | "
            "exact | ratio | recall | alone | exact alone | ratio | request / its index |",
            "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        exact = r["warm"]["exact"]
        one = next(k for k in exact if k.startswith("one"))
        five = next(k for k in exact if k.startswith("five"))
        for name, f in r["warm"].items():
            if name == "exact":
                continue
            out.append(
                f"| {r['size']:,} | {name}{' (default)' if name == r['index'] else ''} | "
                f"{f[one]['p50_ms']:.2f} | {exact[one]['p50_ms']:.2f} | "
                f"{exact[one]['p50_ms'] / f[one]['p50_ms']:.1f}x | {f[one]['recall@10']:.4f} | "
                f"{f[five]['p50_ms']:.2f} | {exact[five]['p50_ms']:.2f} | "
                f"{exact[five]['p50_ms'] / f[five]['p50_ms']:.1f}x | {f[five]['recall@10']:.4f} | "
                f"{f['index_one_seed_p50_ms']:.3f} | {exact['index_one_seed_p50_ms']:.3f} | "
                f"{_ratio(exact['index_one_seed_p50_ms'] / f['index_one_seed_p50_ms'])} | "
                f"{f[one].get('overhead_x', float('nan')):.2f}x |")
    return "\n".join(out)


def warm_markdown(warm: dict) -> str:
    """The warm figures of one model (``--warm-only``) as one table: every query kind
    per index against the exact scan, and each request's time over its index's."""
    out = ["| index | query | p50 ms | exact p50 ms | ratio | recall@10 | "
           "index inside the request | request / its index |",
           "|---|---|---:|---:|---:|---:|---:|---:|"]
    exact = warm["exact"]
    for name, figures in warm.items():
        if name == "exact":
            continue
        for label, f in figures.items():
            if isinstance(f, dict):
                out.append(f"| {name} | {label} | {f['p50_ms']:.2f} | "
                           f"{exact[label]['p50_ms']:.2f} | "
                           f"{_ratio(exact[label]['p50_ms'] / f['p50_ms'])} | "
                           f"{f['recall@10']:.4f} | {f['index_p50_ms']:.3f} ms | "
                           f"{f['overhead_x']:.2f}x |")
    return "\n".join(out)


def _ratio(x: float) -> str:
    return f"{x:.1f}x" if x < 10 else f"{x:.0f}x"


def plot(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = [r["size"] for r in rows]
    fig, axes = plt.subplots(1, 3, figsize=(14, 4.2))
    ax = axes[0]
    ax.plot(sizes, [r["build_s"] / 60 for r in rows], "o-", label="build (min)")
    ax.plot(sizes, [r["cold_start_s"] for r in rows], "s-", label="cold start (s)")
    ax.set_title("Build and cold start")
    ax = axes[1]
    ax.plot(sizes, [r["build_rss_mb"] for r in rows], "o-", label="build peak RSS")
    ax.plot(sizes, [r["serving_rss_mb"] for r in rows], "s-", label="serving RSS")
    ax.plot(sizes, [r["model_mb"] for r in rows], "^-", label="model on disk")
    ax.set_title("Memory and disk (MB)")
    ax = axes[2]
    one = next(k for k in rows[0]["warm"]["exact"] if k.startswith("one"))
    five = next(k for k in rows[0]["warm"]["exact"] if k.startswith("five"))
    ax.plot(sizes, [r["warm"]["exact"][one]["p50_ms"] for r in rows], "o--", label="exact, 1 seed")
    ax.plot(sizes, [r["warm"][r["index"]][one]["p50_ms"] for r in rows], "o-",
            label="default index, 1 seed")
    ax.plot(sizes, [r["warm"]["exact"][five]["p50_ms"] for r in rows], "s--",
            label="exact, 5 seeds + filter")
    ax.plot(sizes, [r["warm"][r["index"]][five]["p50_ms"] for r in rows], "s-",
            label="default index, 5 seeds + filter")
    ax.plot(sizes, [r["warm"]["exact"]["index_one_seed_p50_ms"] for r in rows], "^:",
            label="exact, the index alone")
    ax.plot(sizes, [r["warm"][r["index"]]["index_one_seed_p50_ms"] for r in rows], "v:",
            label="default index alone")
    ax.set_title("Warm query p50 (ms)")
    from matplotlib.ticker import FuncFormatter, NullFormatter

    for ax in axes:
        ax.set_xscale("log")
        if ax is not axes[0]:  # build minutes and start seconds read best on a plain axis
            ax.set_yscale("log")
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
        ax.yaxis.set_minor_formatter(NullFormatter())
        ax.set_xlabel("tracks (SYNTHETIC catalogs)")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7, loc="upper left")
    fig.suptitle("musicrec at scale: resampled SYNTHETIC catalogs, 2-core machine")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="30000,100000,300000,1000000",
                        help="Comma-separated sizes; empty redraws --plot from --out.")
    parser.add_argument("--out", type=Path, help="Write the figures as JSON here.")
    parser.add_argument("--plot", type=Path, help="Draw cost against size here (PNG).")
    parser.add_argument("--markdown", action="store_true",
                        help="Print the figures in --out as the tables of the docs.")
    parser.add_argument("--style-from", type=Path, help="The default model directory "
                        "(default: built or found through the workspace).")
    parser.add_argument("--warm-only", type=Path, metavar="MODEL_DIR",
                        help="Only the warm query figures of an already built model.")
    args = parser.parse_args()
    if args.warm_only:
        figures = warm(args.warm_only, np.random.default_rng(0))
        print(json.dumps(figures, indent=1))
        if args.out:
            args.out.write_text(json.dumps(figures, indent=1))
        if args.markdown:
            print(warm_markdown(figures))
        return
    data_dir = Path(os.environ.get("MUSICREC_DATA_DIR", "../shared/data")).resolve()
    from musicrec.workspace import ensure_model

    style_from = args.style_from or ensure_model("spotify_songs", data_dir=data_dir).path
    rng = np.random.default_rng(0)
    rows = []
    previous = json.loads(args.out.read_text()) if args.out and args.out.exists() else []
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]  # none: just --plot
    with tempfile.TemporaryDirectory(prefix="musicrec-scale-") as tmp:
        env = dict(os.environ, MUSICREC_CACHE_DIR=str(Path(tmp) / "cache"),
                   MUSICREC_DATA_DIR=str(data_dir), COLUMNS="200")
        for size in sizes:
            row = run_size(size, Path(tmp), env, style_from, rng)
            print_row(row)
            rows.append(row)
            if args.out:  # kept after every size: a long run is never all lost
                merged = {r["size"]: r for r in previous + rows}
                args.out.write_text(json.dumps(sorted(merged.values(),
                                                      key=lambda r: r["size"]), indent=1))
            shutil_rmtree(Path(tmp) / "cache" / "models" / f"synthetic-{size}")
            shutil_rmtree(Path(tmp) / "cache" / "datasets" / f"synthetic-{size}")
    merged = sorted({r["size"]: r for r in previous + rows}.values(), key=lambda r: r["size"])
    if args.plot:
        plot(merged, args.plot)
        print(f"\nplot written to {args.plot}")
    if args.markdown:
        print(markdown(merged))


def shutil_rmtree(path: Path) -> None:
    import shutil

    shutil.rmtree(path, ignore_errors=True)


if __name__ == "__main__":
    main()
