"""What a built model holds, in words, as rows for ``musicrec info``."""

from __future__ import annotations

from musicrec.model.kinds import DEFAULT_KIND, get_kind
from musicrec.recommend.recommender import Recommender


def describe_model(rec: Recommender) -> list[tuple[str, str]]:
    """What a model holds, as (label, value) rows for ``musicrec info``."""
    model, catalog, space = rec.model, rec.catalog, rec.space
    manifest = model.manifest
    years = catalog.tracks["year"].dropna()
    index = model.index
    width = getattr(getattr(index, "table", None), "width", None)
    return [
        ("model", str(model.path)),
        ("kind", f"{model.kind}: {get_kind(model.kind).summary}" if model.kind else "-"),
        ("dataset", manifest.get("dataset", "")),
        ("built", manifest.get("created", "")),
        ("tracks", f"{len(catalog):,}"),
        ("artists", f"{len(set(catalog.artist_codes)):,}"),
        ("playlists", f"{manifest['counts'].get('playlists', 0):,}"),
        ("memberships", f"{manifest['counts'].get('interactions', 0):,}"),
        ("years", f"{years.min()}-{years.max()}" if len(years) else "unknown"),
        ("genres", f"{len(catalog.genre_names):,} "
         f"(most common: {', '.join(catalog.genre_names[:8])})"),
        *_tag_rows(catalog),
        ("features", ", ".join(space.features_)),
        ("style", _style_text(space, model.kind)),
        ("listening data", _collaborative_text(space)),
        *_audio_rows(space, manifest),
        ("index", index.describe() + ("" if width is None else
                                      f" ({width} neighbours per track, for one-track "
                                      "queries)")),
        ("sources", ", ".join(s["path"] for s in manifest.get("sources", [])) or "-"),
        ("built with", ", ".join(f"{k} {v}" for k, v in manifest.get("libraries", {}).items())),
    ]


def _audio_rows(space, manifest) -> list[tuple[str, str]]:
    """What ``info`` says of a library scanned from audio files."""
    block = getattr(space, "collab_", None)
    rows = []
    if block is not None and block.method == "audio":
        share = block.details.get("tagger_share")
        sound = ("audio embedding of the recordings (summary statistics: MFCCs, spectral "
                 "contrast, chroma, onsets, tempogram)")
        if share is not None:
            sound += (f" blended with the pretrained tagger's 200-value embedding "
                      f"({share:.0%} of the sound part; {block.details.get('tagged', 0):,} "
                      "songs heard)")
        rows.append(("sound", f"{sound}, standardised over the library, {block.share:.0%} "
                     "of the similarity"))
    estimated = manifest.get("estimated_features") or []
    if estimated:
        rows.append(("estimates", f"{', '.join(estimated)} are estimated from the audio "
                     "(formulas in docs/audio-features.md), not Spotify's values; tempo, "
                     "key, mode, loudness and duration are measured"))
    return rows


def _tag_rows(catalog) -> list[tuple[str, str]]:
    """What ``info`` says of the tracks' tags (the tagger's, or an imported table's)."""
    names = catalog.tag_names
    if not names:
        return []
    counts = catalog.tracks["tags"].explode().dropna().value_counts()
    tagged = int(catalog.tracks["tags"].map(lambda t: t is not None and len(t) > 0).sum())
    common = ", ".join(f"{name} ({counts[name]:,})" for name in names[:10])
    return [("tags", f"{len(names):,} tags on {tagged:,} tracks (most common: {common}); "
             "filter with --tag/--not-tag, list with musicrec search --tag")]


def _collaborative_text(space) -> str:
    """What ``info`` says of the factors learned from listening data."""
    block = getattr(space, "collab_", None)
    if block is None:
        return "-"
    d = block.details
    if block.method == "audio":
        return "-"
    text = (f"{block.method} factors ({block.dims} dimensions) of {len(block.track_ids):,} "
            f"tracks, learned from {d.get('interactions', 0):,} interactions of "
            f"{d.get('users', 0):,} playlists or listeners ({d.get('source', '?')})")
    if block.warm_only:
        return text + "; recommends only those tracks"
    if block.projection is not None:
        return text + "; other tracks are placed through their style vector"
    chosen = d.get("validation", {}).get(f"{block.share:.1f}", {})
    return (text + f"; share of the similarity {block.share:.1f}, chosen on held-out "
            f"playlists (validation R-precision {chosen.get('warm', float('nan')):.4f} on "
            f"known tracks, {chosen.get('cold', float('nan')):.4f} on new ones); tracks "
            "without interactions are placed by content alone")


def _style_text(space, kind: str) -> str:
    """What ``info`` says of the style part of a model, and why it is what it is."""
    if space.style is None:
        return ("none: audio features only (the catalog has no playlist genres to learn "
                "styles from, and none could be borrowed)" if kind == DEFAULT_KIND else "-")
    text = (f"learned genre, subgenre and playlist style, {space.style.artist_share:.0%} "
            f"from the artist's tracks ({space.dims_} dimensions in all)")
    given = space.style_input_
    if given is None:
        return text
    imputed = ", ".join(f"{f} {m:.0%}" for f, m in given.get("imputed_by_feature", {}).items())
    return (f"{text}; transferred: this catalog has no playlists, so its tracks are "
            f"described by the classifiers learned from {given['origin']}'s playlists, "
            f"reading their audio features, year, popularity and titles; "
            f"{given['imputed_share']:.0%} of those inputs are missing here and imputed"
            + (f" ({imputed})" if imputed else ""))
