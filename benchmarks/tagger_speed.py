"""What the pretrained tagger costs: time per song on one core, scan throughput without
and with it, and (given a TensorFlow environment) the original musicnn beside ours.

1. One core, per song: ``worker.analyse_file`` with the default 60 s window, without the
   tagger and with it (the tagger hears the middle 30 s), CPU time of this process with
   every BLAS pool at one thread.
2. ``musicrec library scan`` of the same folder, cold, ``--no-tagger`` against the
   tagger, each in a fresh process with an empty analysis cache, ``--jobs`` workers.
3. With ``--tf-python`` (a Python that has tensorflow, tf_keras and librosa) and
   ``--musicnn`` (the unpacked musicnn 0.1.0 wheel): musicnn's own ``extractor`` on the
   same 30 s excerpts, one TensorFlow thread, against musicrec's spectrogram and network
   on one thread, per song.

The corpus: the Frets on Fire songs (MUSICREC_SONGS_DIR, their song.ogg) and the six
clips of ../shared/data/audio.

    python benchmarks/tagger_speed.py --wheel musicnn-0.1.0-py3-none-any.whl \
        [--tf-python /tmp/tfenv/bin/python --musicnn /tmp/wheel/x]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ORIGINAL = r"""
import json, sys, time, warnings
warnings.filterwarnings("ignore")
import tensorflow as tf
tf.config.threading.set_intra_op_parallelism_threads(1)
tf.config.threading.set_inter_op_parallelism_threads(1)
from musicnn.extractor import extractor
extractor(sys.argv[1], model="MSD_musicnn", extract_features=False)  # imports, first graph
times = []
for f in sys.argv[1:]:
    start = time.process_time()
    extractor(f, model="MSD_musicnn", extract_features=False)
    times.append(time.process_time() - start)
print(json.dumps(times))
"""


def one_core(files: list[Path], cache: Path) -> dict:
    from threadpoolctl import threadpool_limits

    from musicrec.features.audio.worker import analyse_file, init_worker

    init_worker(in_process=True)
    with threadpool_limits(1):
        analyse_file(str(files[0]), 60.0, {"tagger": str(cache)})  # imports, weights
        rows = []
        for f in files:
            start = time.process_time()
            plain = analyse_file(str(f), 60.0)
            middle = time.process_time()
            tagged = analyse_file(str(f), 60.0, {"tagger": str(cache)})
            end = time.process_time()
            assert plain["ok"] and tagged["ok"] and tagged["data"]["tagger"], f
            rows.append({"file": f.name, "without": middle - start, "with": end - middle,
                         "tagger": tagged["data"]["tagger"]["seconds"]})
    return {"songs": rows}


def excerpts(files: list[Path], into: Path) -> list[Path]:
    """The middle 30 s of each song at 16 kHz mono (what both taggers hear)."""
    import numpy as np
    import soundfile

    from musicrec.features.audio.decode import decode

    out = []
    for f in files:
        decoded = decode(f, 30.0)
        import soxr

        y = soxr.resample(decoded.mono(), decoded.sample_rate, 16000).astype(np.float32)
        out.append(into / (f.stem + f"-{len(out)}.wav"))
        soundfile.write(out[-1], y, 16000)
    return out


def ours_on(files: list[Path], cache: Path) -> list[float]:
    import soundfile
    from threadpoolctl import threadpool_limits

    from musicrec.features.audio.tagger.song import tag_samples
    from musicrec.features.audio.tagger.weights import load_tagger

    network = load_tagger(cache)
    times = []
    with threadpool_limits(1):
        for f in files:
            y, rate = soundfile.read(f, dtype="float32")
            start = time.process_time()
            tag_samples(network, y, rate)
            times.append(time.process_time() - start)
    return times


def scan(folder: Path, cache: Path, jobs: int, extra: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "musicrec", "library", "scan", str(folder),
                    "--jobs", str(jobs), "--cache-dir", str(cache), "--name", "speed", *extra],
                   check=True, capture_output=True, env={**os.environ, "COLUMNS": "200"})
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--songs", type=Path, default=os.environ.get("MUSICREC_SONGS_DIR"))
    parser.add_argument("--data-dir", type=Path,
                        default=os.environ.get("MUSICREC_DATA_DIR", "../shared/data"))
    parser.add_argument("--wheel", type=Path, help="the musicnn-0.1.0 wheel (else pip)")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--tf-python", type=Path)
    parser.add_argument("--musicnn", type=Path, help="the unpacked musicnn wheel")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    from musicrec.features.audio.tagger.weights import install

    files = sorted(Path(args.data_dir, "audio").glob("*.ogg"))
    if args.songs:
        files += sorted(Path(args.songs).glob("*/*/song.ogg"))
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        tagged_cache = work / "tagged"
        install(tagged_cache, wheel=args.wheel)
        folder = work / "music"
        folder.mkdir()
        for i, f in enumerate(files):
            (folder / f"{i:02d}-{f.name}").symlink_to(f.resolve())
        result = one_core(files, tagged_cache)
        result["scan without"] = scan(folder, work / "plain", args.jobs, ["--no-tagger"])
        tagged_scan = work / "tagged-scan"
        install(tagged_scan, wheel=args.wheel)
        result["scan with"] = scan(folder, tagged_scan, args.jobs, ["--tagger"])
        if args.tf_python and args.musicnn:
            clips = excerpts(files, work)
            result["ours, 30 s"] = ours_on(clips, tagged_cache)
            done = subprocess.run([str(args.tf_python), "-c", ORIGINAL, *map(str, clips)],
                                  capture_output=True, text=True, check=True,
                                  env={**os.environ, "PYTHONPATH": str(args.musicnn),
                                       "TF_USE_LEGACY_KERAS": "1", "TF_CPP_MIN_LOG_LEVEL": "3",
                                       "CUDA_VISIBLE_DEVICES": ""})
            result["musicnn, 30 s"] = json.loads(done.stdout.strip().splitlines()[-1])
    songs = result["songs"]
    n = len(songs)
    without = sum(s["without"] for s in songs) / n
    with_ = sum(s["with"] for s in songs) / n
    tagger = sum(s["tagger"] for s in songs) / n
    print(f"{n} songs; one core, default 60 s window:")
    print("| per song | without the tagger | with it | added | the tagger alone |")
    print("|---|---:|---:|---:|---:|")
    print(f"| mean CPU s | {without:.2f} | {with_:.2f} | {with_ - without:.2f} | {tagger:.2f} |")
    print(f"| worst song, added | | | {max(s['with'] - s['without'] for s in songs):.2f} | |")
    print(f"\nscan, {args.jobs} workers, cold: {n / result['scan without'] * 60:.0f} songs/min "
          f"without the tagger, {n / result['scan with'] * 60:.0f} with it "
          f"({result['scan with'] / result['scan without']:.2f}x the time)")
    if "musicnn, 30 s" in result:
        ours = sum(result["ours, 30 s"]) / n
        theirs = sum(result["musicnn, 30 s"]) / n
        print(f"\n30 s excerpt, one thread: musicnn 0.1.0 (TensorFlow) {theirs:.2f} s, musicrec "
              f"{ours:.2f} s per song: {theirs / ours:.2f}x")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
