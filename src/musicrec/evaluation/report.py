"""Evaluation results as tables (rows of text, Markdown) and as a comparison figure."""

from __future__ import annotations

from pathlib import Path

from musicrec.evaluation.harness import EvaluationResult
from musicrec.io import atomic_write

GENRE_COLUMNS = (
    "genre_p@5", "genre_p@10", "genre_p@20", "subgenre_p@5", "subgenre_p@10", "subgenre_p@20",
)
BEYOND_COLUMNS = ("coverage@10", "diversity@10", "novelty@10", "artists@10")
CONTINUATION_COLUMNS = ("r_precision", "r_precision_artist", "ndcg@100", "recall@100", "clicks")


#: Shorter column titles for the terminal (the JSON keeps the full names).
SHORT = {
    **{f"genre_p@{k}": f"genre@{k}" for k in (5, 10, 20)},
    **{f"subgenre_p@{k}": f"sub@{k}" for k in (5, 10, 20)},
    "r_precision": "R-prec", "r_precision_artist": "R-prec+artist",
}


def table_rows(
    scores: dict[str, dict[str, float]], columns: tuple[str, ...], short: bool = False
):
    """Header and rows of formatted numbers, one row per method, for columns present."""
    present = [c for c in columns if any(c in s for s in scores.values())]
    header = ["method", *(SHORT.get(c, c) if short else c for c in present)]
    rows = [
        [method, *(_number(values.get(c)) for c in present)] for method, values in scores.items()
    ]
    return header, rows


def _number(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:.2f}" if abs(value) >= 10 else f"{value:.4f}"


def sections(result: EvaluationResult):
    """(title, scores, columns) of each table, in the order they are shown."""
    return (
        ("Genre precision: artist-disjoint split, artist filter", result.genre, GENRE_COLUMNS),
        ("Beyond accuracy: the genre task's top 10", result.genre, BEYOND_COLUMNS),
        ("Playlist continuation: held-out playlists", result.continuation,
         CONTINUATION_COLUMNS),
        ("Continuation, warm slice: hidden tracks in some training playlist", result.warm,
         CONTINUATION_COLUMNS),
        ("Continuation, cold slice: hidden tracks in no training playlist", result.cold,
         CONTINUATION_COLUMNS),
    )


def _request_text(request: dict) -> str:
    """The request settings the models were asked with, as a phrase."""
    from musicrec.recommend.request import DEFAULTS

    cap = int(request.get("artist_cap", DEFAULTS["artist_cap"]))
    diversity = float(request.get("diversity", DEFAULTS["diversity"]))
    text = f"artist cap {cap}" if cap else "no artist cap"
    return text + (f", diversity {diversity:g}" if diversity else "")


def plot(result: EvaluationResult, path: Path) -> Path:
    """Bars per method for the headline measures, written to ``path`` (PNG) atomically."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = [
        ("genre", "genre_p@10", "Genre precision@10"),
        ("genre", "subgenre_p@10", "Subgenre precision@10"),
        ("genre", "coverage@10", "Catalog coverage (top 10)"),
        ("continuation", "r_precision", "Playlist continuation: R-precision"),
        ("continuation", "ndcg@100", "Playlist continuation: NDCG@100"),
        ("continuation", "clicks", "Clicks to first hit (lower is better)"),
    ]
    methods = list(result.genre) or list(result.continuation)
    palette = ["#BBBBBB", "#EE7733", "#0077BB", "#009988", "#CC3311", "#33BBEE"]  # Tol vibrant
    colours = {m: palette[i % len(palette)] for i, m in enumerate(methods)}
    fig, axes = plt.subplots(2, 3, figsize=(13, 7), constrained_layout=True)
    for ax, (task, key, title) in zip(axes.flat, panels, strict=True):
        scores = getattr(result, task)
        values = [scores.get(m, {}).get(key, 0.0) for m in methods]
        bars = ax.bar(methods, values, color=[colours[m] for m in methods])
        ax.bar_label(bars, labels=[_number(v) for v in values], fontsize=8, padding=2)
        ax.set_title(title, fontsize=11)
        ax.set_ylim(0, max(values) * 1.18 if max(values) > 0 else 1)
        ax.tick_params(axis="x", labelrotation=20, labelsize=9)
        ax.spines[["top", "right"]].set_visible(False)
    settings = result.settings
    fig.suptitle(
        f"musicrec offline evaluation on the {settings.part} split (seed {settings.seed}, "
        f"{result.sizes.get('queries', 0)} queries, {result.sizes.get('test_playlists', 0)} "
        f"test playlists; models asked with {_request_text(settings.request)})", fontsize=12,
    )
    try:
        return atomic_write(Path(path), lambda partial: fig.savefig(partial, dpi=120,
                                                                   format="png"))
    finally:
        plt.close(fig)
