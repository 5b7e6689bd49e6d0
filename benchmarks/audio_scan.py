"""Audio scan speed: ``musicrec library scan`` beside librosa's plain loop, in one run.

The baseline is what a script would do without musicrec: for each file, in one process,
``librosa.load`` (whole file, 22,050 Hz mono), ``librosa.feature.mfcc`` and
``librosa.beat.beat_track``. Ours is the real command in a fresh process with an empty
cache (cold), with the default 60 s window and with ``--full``, then again with the
cache (a rescan of the unchanged folder). Reported: songs per minute, the real-time
factor (seconds of audio in the files per second of wall time), the ratio to the
baseline, peak RSS (the largest process), and the time one core spends on one ~4-minute
song with the default window.

The corpus: the eight full songs of Debian's fretsonfire-songs-sectoid and -muldjord
(MUSICREC_SONGS_DIR, as .ci/run fetches them), each also re-encoded at three Vorbis
qualities with ffmpeg (distinct files of full length: a library of whole songs), and the
six clips of ../shared/data/audio. The rescan is of that folder topped up to 100 files
with distinct 20-second excerpts.

    python benchmarks/audio_scan.py --songs ~/.cache/musicrec-tests/fretsonfire \
        --data-dir ../shared/data --markdown
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BASELINE = r"""
import json, sys, time, warnings
warnings.filterwarnings("ignore")
import librosa, numpy as np
files = sys.argv[1:]
warm = librosa.load(files[0], sr=22050, mono=True, duration=5)[0]  # imports, numba compiles
librosa.beat.beat_track(y=warm, sr=22050)
start = time.perf_counter()
for f in files:
    y, sr = librosa.load(f, sr=22050, mono=True)
    librosa.feature.mfcc(y=y, sr=sr)
    librosa.beat.beat_track(y=y, sr=sr)
print(json.dumps({"seconds": time.perf_counter() - start}))
"""

ONE_SONG = r"""
import json, sys, time
from musicrec.features.audio.worker import analyse_file, init_worker
init_worker(in_process=True)
analyse_file(sys.argv[2], 60.0)  # imports and first calls
cpu, wall = time.process_time(), time.perf_counter()
out = analyse_file(sys.argv[1], 60.0)
print(json.dumps({"cpu": time.process_time() - cpu, "wall": time.perf_counter() - wall,
                  "ok": out["ok"]}))
"""


def durations(files: list[Path]) -> float:
    import mutagen

    return sum(mutagen.File(str(f)).info.length for f in files)


#: Runs a command and reports the peak RSS of its largest process (workers included):
#: a fresh wrapper per run, since RUSAGE_CHILDREN only ever grows within one process
MEASURED = r"""
import resource, subprocess, sys
done = subprocess.run(sys.argv[1:])
sys.stderr.write(f"\nPEAK_RSS_KB {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}\n")
sys.exit(done.returncode)
"""


def run(argv: list[str], env: dict) -> tuple[float, float, str]:
    """(wall seconds, peak RSS in MB of the largest process it ran, stdout)."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", MEASURED, *argv], env=env,
                          capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv[:4])} failed:\n{done.stderr[-2000:]}")
    peak = int(done.stderr.rsplit("PEAK_RSS_KB", 1)[1].split()[0])
    return wall, peak / 1024, done.stdout


def encode(source: Path, target: Path, before: list[str], after: list[str]) -> None:
    """Ogg Vorbis with ffmpeg; ``before`` are input options (a start), ``after`` output."""
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", *before, "-i", str(source),
                    *after, "-c:a", "libvorbis", str(target)], check=True)


def corpus(songs: Path | None, clips: Path, qualities: list[int], into: Path) -> list[Path]:
    """The full songs, each also re-encoded at ``qualities`` (distinct files of full
    length, as a library of whole songs has), and the clips."""
    into.mkdir(parents=True)
    files = []
    for song in sorted(songs.rglob("song.ogg")) if songs else []:
        target = into / f"{song.parent.name}.ogg"
        shutil.copy(song, target)
        files.append(target)
        for q in qualities:
            files.append(into / f"{song.parent.name} q{q}.ogg")
            encode(song, files[-1], [], ["-q:a", str(q)])
    for clip in sorted(clips.glob("*.ogg")):
        shutil.copy(clip, into / clip.name)
        files.append(into / clip.name)
    return files


def excerpts(songs: list[Path], count: int, into: Path) -> list[Path]:
    """``count`` distinct 20-second excerpts of the songs (to make a library of 100)."""
    out = []
    for i in range(count):
        source = songs[i % len(songs)]
        start = 5 + 20 * (i // len(songs))
        out.append(into / f"excerpt {i:03d}.ogg")
        encode(source, out[-1], ["-ss", str(start)], ["-t", "20", "-q:a", "3"])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--songs", type=Path, default=os.environ.get("MUSICREC_SONGS_DIR"))
    parser.add_argument("--data-dir", type=Path,
                        default=os.environ.get("MUSICREC_DATA_DIR", "../shared/data"))
    parser.add_argument("--qualities", default="2,4,6",
                        help="Vorbis qualities each full song is also re-encoded at.")
    parser.add_argument("--rescan-files", type=int, default=100,
                        help="Library size for the rescan (topped up with excerpts).")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="audio-scan-"))
    try:
        qualities = [int(q) for q in args.qualities.split(",") if q.strip()]
        music = work / "music"
        files = corpus(args.songs, Path(args.data_dir) / "audio", qualities, music)
        audio = durations(files)
        env = {**os.environ, "COLUMNS": "200"}
        musicrec = [sys.executable, "-m", "musicrec"]
        rows = {}
        base_wall, base_rss, out = run([sys.executable, "-c", BASELINE, *map(str, files)], env)
        base = json.loads(out)["seconds"]
        rows["librosa load + mfcc + beat_track, 1 process (baseline)"] = (base, base_rss, None)
        for label, extra in (("default window", []), ("--full", ["--full"])):
            cache = work / f"cache {label}"
            wall, rss, _ = run([*musicrec, "library", "scan", str(music), "--jobs",
                                str(args.jobs), "--cache-dir", str(cache), *extra], env)
            rows[f"musicrec library scan, {label}, {args.jobs} workers, cold"] = (wall, rss,
                                                                                 base / wall)
            wall, rss, _ = run([*musicrec, "library", "scan", str(music),
                                "--cache-dir", str(cache), *extra], env)
            rows[f"musicrec library scan, {label}, rescan (cached)"] = (wall, rss, base / wall)
        cache = work / "cache one"
        wall, rss, _ = run([*musicrec, "library", "scan", str(music), "--jobs", "1",
                            "--cache-dir", str(cache)], env)
        rows["musicrec library scan, default window, 1 worker, cold"] = (wall, rss, base / wall)
        full_songs = [f for f in files if durations([f]) > 120]
        extra = excerpts(full_songs, max(0, args.rescan_files - len(files)), music)
        run([*musicrec, "library", "scan", str(music), "--cache-dir", str(cache)], env)
        rescan, _, _ = run([*musicrec, "library", "scan", str(music), "--cache-dir",
                            str(cache)], env)
        longest = max(files, key=lambda f: durations([f]))
        longest_minutes = durations([longest]) / 60
        _, _, out = run([sys.executable, "-c", ONE_SONG, str(longest), str(files[-1])], env)
        one = json.loads(out)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    n = len(files)
    print(f"{n} files, {audio / 60:.1f} min of audio; {os.cpu_count()} cores")
    lines = ["| run | wall s | songs/min | real-time factor | vs baseline | peak RSS MB |",
             "|---|---:|---:|---:|---:|---:|"]
    for label, (wall, rss, ratio) in rows.items():
        lines.append(f"| {label} | {wall:.1f} | {n / wall * 60:.0f} | {audio / wall:.0f}x | "
                     f"{'1.00x' if ratio is None else f'{ratio:.2f}x'} | {rss:.0f} |")
    print("\n".join(lines) if args.markdown else "\n".join(lines).replace("|", " "))
    print(f"rescan of an unchanged library of {len(files) + len(extra)} files: {rescan:.2f} s "
          "(the whole command)")
    print(f"one song of {longest_minutes:.1f} min ({longest.name}), default window: "
          f"{one['cpu']:.2f} s of one core ({one['wall']:.2f} s wall)")
    if args.json:
        args.json.write_text(json.dumps({"files": n, "audio_seconds": audio, "rows": {
            k: {"wall": w, "rss_mb": r, "vs_baseline": x} for k, (w, r, x) in rows.items()},
            "one_song": one, "rescan_files": len(files) + len(extra),
            "rescan_seconds": rescan}, indent=2) + "\n")


if __name__ == "__main__":
    main()
