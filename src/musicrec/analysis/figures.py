"""The four analysis figures (PNG) and the interactive cluster maps (HTML).

File names are the ones the project has always used. Colours come from Paul Tol's
colour-blind-safe "muted" scheme; with more clusters than colours, marker shapes tell
the rest apart. Every file is written to a temporary name and renamed into place.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from musicrec.data.text import fold
from musicrec.io import atomic_write
from musicrec.model.clusters import Clustering
from musicrec.progress import SILENT, Progress

TRENDS = "Audio-Feature-Trends-Over-Time.png"
CORRELATION = "Feature-Correlation-with-Target.png"
GENRE_MAP = "Genre-Clusters.png"
SONG_MAP = "Song-Clusters.png"
GENRE_HTML = "Genre-Clusters.html"
SONG_HTML = "Song-Clusters.html"

#: Paul Tol's "muted" qualitative scheme (colour-blind safe), then its pale grey: for
#: lines and bars.
PALETTE = ("#332288", "#88CCEE", "#44AA99", "#117733", "#999933", "#DDCC77", "#CC6677",
           "#882255", "#AA4499", "#DDDDDD")
#: Cluster colours: twenty distinct ones (matplotlib's tab20 with its two greys swapped
#: for colours that stand out from the grey background; strong hues first, then
#: their light pairs), so no two of up to twenty clusters share a colour; marker shapes
#: tell apart any beyond.
CLUSTER_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
                   "#e377c2", "#393b79", "#bcbd22", "#17becf", "#aec7e8", "#ffbb78",
                   "#98df8a", "#ff9896", "#c5b0d5", "#c49c94", "#f7b6d2", "#ad494a",
                   "#dbdb8d", "#9edae5")
MARKERS = ("o", "^", "s", "D")
PLOTLY_MARKERS = ("circle", "triangle-up", "square", "diamond")
TREND_FEATURES = ("acousticness", "energy", "danceability", "valence", "speechiness",
                  "liveness", "instrumentalness")
TREND_STYLES = {"acousticness": "-", "energy": "-", "danceability": "-", "valence": "-",
                "speechiness": "--", "liveness": "--", "instrumentalness": "--"}


def _style(cluster: int) -> tuple[str, str, str]:
    """Colour, matplotlib marker and plotly marker of a cluster."""
    colour = CLUSTER_COLOURS[cluster % len(CLUSTER_COLOURS)]
    shape = (cluster // len(CLUSTER_COLOURS)) % len(MARKERS)
    return colour, MARKERS[shape], PLOTLY_MARKERS[shape]


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: Path) -> Path:
    try:
        return atomic_write(path, lambda partial: fig.savefig(partial, dpi=130, format="png"))
    finally:
        _pyplot().close(fig)


def trends_figure(years: pd.DataFrame, path: Path, source: str) -> Path:
    """Yearly means of the audio features on a 0-1 scale, one line each."""
    plt = _pyplot()
    years = years.sort_values("year")
    counted = "tracks" in years.columns
    if counted:  # a panel of tracks per year shows where a yearly mean rests on few
        fig, (ax, counts) = plt.subplots(2, 1, figsize=(11, 7.5), sharex=True,
                                         height_ratios=(3, 1), constrained_layout=True)
        counts.bar(years["year"], years["tracks"], width=0.85, color=PALETTE[1])
        counts.set_ylabel("tracks")
        counts.set_xlabel("release year")
        counts.spines[["top", "right"]].set_visible(False)
        counts.grid(alpha=0.3, axis="y")
    else:
        fig, ax = plt.subplots(figsize=(11, 6), constrained_layout=True)
        source += "; the file gives no per-year counts"
    for i, feature in enumerate(f for f in TREND_FEATURES if f in years.columns):
        ax.plot(years["year"], years[feature], TREND_STYLES[feature], color=PALETTE[i],
                linewidth=2.2 if TREND_STYLES[feature] == "-" else 1.4, label=feature)
    if not counted:
        ax.set_xlabel("release year")
    ax.set_ylabel("yearly mean (0 to 1)")
    ax.set_ylim(0, 1)
    ax.set_title(f"Audio features over time ({source})")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    ax.grid(alpha=0.3)
    ax.spines[["top", "right"]].set_visible(False)
    return _save(fig, path)


def correlation_figure(correlations: pd.Series, path: Path, target: str, n: int) -> Path:
    """Signed correlation of each feature with ``target``, sorted."""
    plt = _pyplot()
    correlations = correlations.sort_values()
    fig, ax = plt.subplots(figsize=(9, 6), constrained_layout=True)
    colours = [PALETTE[6] if v < 0 else PALETTE[1] for v in correlations]
    bars = ax.barh(correlations.index, correlations.to_numpy(), color=colours,
                   edgecolor="#333333", linewidth=0.4)
    ax.bar_label(bars, labels=[f"{v:+.2f}" for v in correlations], padding=3, fontsize=9)
    ax.axvline(0, color="#333333", linewidth=0.8)
    ax.set_xlabel(f"Pearson correlation with {target} (n = {n:,} tracks)")
    ax.set_title(f"Which audio features go with {target}")
    limit = max(0.1, float(np.abs(correlations).max()) * 1.25)
    ax.set_xlim(-limit, limit)
    ax.spines[["top", "right"]].set_visible(False)
    return _save(fig, path)


@dataclass
class ClusterMap:
    """Points in 2-D with their cluster, name and how the projection was made."""

    xy: np.ndarray
    clusters: np.ndarray
    names: list[str]
    title: str
    axes: tuple[str, str]


def _typical_names(cmap: ClusterMap, members: np.ndarray, n: int = 3) -> list[str]:
    """The names of the ``n`` points nearest the middle of a cluster on the map."""
    rows = np.flatnonzero(members)
    rows = rows[[bool(fold(cmap.names[r])) for r in rows]] if len(rows) else rows  # not "[]"
    if not len(rows):
        return []
    middle = np.median(cmap.xy[rows], axis=0)
    nearest = rows[np.argsort(((cmap.xy[rows] - middle) ** 2).sum(axis=1))[:n]]
    return [cmap.names[r] if len(cmap.names[r]) <= 22 else cmap.names[r][:21] + "…"
            for r in nearest]


def map_figure(cmap: ClusterMap, path: Path, point_size: float, label_clusters: bool,
               name_clusters: bool = False) -> Path:
    """Scatter coloured (and shaped) by cluster, with a legend of the clusters (with
    ``name_clusters``, each followed by the names nearest its middle)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(13 if name_clusters else 11, 8), constrained_layout=True)
    k = int(cmap.clusters.max()) + 1 if len(cmap.clusters) else 0
    for c in range(k):
        members = cmap.clusters == c
        colour, marker, _ = _style(c)
        ax.scatter(cmap.xy[members, 0], cmap.xy[members, 1], s=point_size, c=colour,
                   marker=marker, alpha=0.75, linewidths=0, label=f"{c} ({int(members.sum()):,})"
                   + (f": {', '.join(_typical_names(cmap, members))}" if name_clusters else ""))
        if label_clusters and members.any():
            cx, cy = np.median(cmap.xy[members], axis=0)
            ax.annotate(str(c), (cx, cy), fontsize=10, weight="bold", ha="center",
                        va="center", color="black",
                        bbox={"boxstyle": "round,pad=0.15", "fc": "white", "alpha": 0.7,
                              "lw": 0})
    ax.set_xlabel(cmap.axes[0])
    ax.set_ylabel(cmap.axes[1])
    fig.suptitle(cmap.title)  # over the whole figure: the legend is wide
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, markerscale=2.5,
              fontsize=9, title="cluster (size): typical members" if name_clusters
              else "cluster (size)", alignment="left")
    ax.spines[["top", "right"]].set_visible(False)
    return _save(fig, path)


def panels_figure(
    cmap: ClusterMap, descriptions: Sequence[str], path: Path, seed: int = 0,
    background: int = 6000,
) -> Path:
    """One small panel per cluster: every song in pale grey (a seeded sample), the
    cluster's songs in its colour, its number, size and what sets it apart above."""
    plt = _pyplot()
    k = int(cmap.clusters.max()) + 1 if len(cmap.clusters) else 0
    columns = 5 if k > 6 else max(k, 1)
    rows = max(1, -(-k // columns))
    fig, axes = plt.subplots(rows, columns, figsize=(3.3 * columns, 3.0 * rows + 0.8),
                             sharex=True, sharey=True, constrained_layout=True)
    axes = np.atleast_1d(axes).ravel()
    rng = np.random.default_rng(seed)
    sample = rng.choice(len(cmap.xy), size=min(background, len(cmap.xy)), replace=False)
    # shared limits that hold 99.5% of the songs: a few far points do not squeeze the rest
    low, high = np.percentile(cmap.xy, [0.25, 99.75], axis=0)
    pad = 0.05 * (high - low)
    limits = (low - pad, high + pad)
    size = float(np.clip(4000 / len(cmap.xy), 2, 40))  # a small library's songs stay visible
    for c, ax in enumerate(axes):
        if c >= k:
            ax.set_visible(False)
            continue
        members = cmap.clusters == c
        colour, marker, _ = _style(c)
        ax.scatter(cmap.xy[sample, 0], cmap.xy[sample, 1], s=size / 2, c=PALETTE[-1],
                   linewidths=0)
        ax.scatter(cmap.xy[members, 0], cmap.xy[members, 1], s=size, c=colour, marker=marker,
                   linewidths=0, alpha=0.8)
        ax.set_title(f"{c}: {descriptions[c]} ({int(members.sum()):,})", fontsize=8.5)
        ax.set_xlim(limits[0][0], limits[1][0])
        ax.set_ylim(limits[0][1], limits[1][1])
        ax.tick_params(labelsize=7)
    fig.supxlabel(cmap.axes[0], fontsize=10)
    fig.supylabel(cmap.axes[1], fontsize=10)
    fig.suptitle(cmap.title, fontsize=12)
    return _save(fig, path)


_DIRECTIONS = {
    "mode": ("more major", "more minor"),
    "explicit": ("more explicit", "cleaner"), "duration_ms": ("longer", "shorter"),
    "year": ("newer", "older"), "popularity": ("more popular", "less popular"),
    "tempo": ("faster", "slower"), "loudness": ("louder", "quieter"),
}


def describe(distinctive: Sequence[tuple[str, float, float]]) -> str:
    """'more acousticness, quieter': the two features furthest from the average."""
    words = []
    for name, mean, overall in distinctive[:2]:
        up, down = _DIRECTIONS.get(name, (f"more {name}", f"less {name}"))
        words.append(up if mean > overall else down)
    return ", ".join(words)


def map_html(cmap: ClusterMap, path: Path, hover: Sequence[str]) -> Path:
    """The same map as a self-contained interactive HTML page (plotly.js inlined)."""
    import plotly.graph_objects as go

    fig = go.Figure()
    k = int(cmap.clusters.max()) + 1 if len(cmap.clusters) else 0
    hover = np.asarray(hover, dtype=object)
    for c in range(k):
        members = np.flatnonzero(cmap.clusters == c)
        colour, _, symbol = _style(c)
        fig.add_trace(go.Scattergl(
            x=cmap.xy[members, 0], y=cmap.xy[members, 1], mode="markers",
            name=f"cluster {c} ({len(members):,})",
            marker={"color": colour, "symbol": symbol, "size": 6, "opacity": 0.8},
            text=hover[members], hovertemplate="%{text}<extra>cluster " + str(c) + "</extra>",
        ))
    fig.update_layout(title=cmap.title, xaxis_title=cmap.axes[0], yaxis_title=cmap.axes[1],
                      template="simple_white", legend_title_text="cluster (size)",
                      height=750)
    atomic_write(path, lambda partial: fig.write_html(partial, include_plotlyjs=True,
                                                        full_html=True))
    return path


def pca_2d(
    matrix: np.ndarray, seed: int = 0, project: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """2-D PCA fitted on ``matrix``: coordinates of ``project`` (default: ``matrix``) and
    the share of variance each axis explains."""
    from sklearn.decomposition import PCA

    pca = PCA(2, random_state=seed).fit(matrix)
    return pca.transform(matrix if project is None else project), pca.explained_variance_ratio_


def tsne_2d(matrix: np.ndarray, seed: int = 0) -> np.ndarray:
    """2-D t-SNE coordinates (seeded, PCA-initialised, so a figure is reproducible)."""
    from sklearn.manifold import TSNE

    perplexity = float(min(30, max(2, (len(matrix) - 1) / 3)))
    return TSNE(2, perplexity=perplexity, init="pca", random_state=seed).fit_transform(matrix)


def song_coordinates(catalog, songs: Clustering, seed: int = 0):
    """Every song on the two principal axes of the song-cluster centroids (the directions
    along which the clusters differ most), and each axis's share of their variance."""
    from musicrec.data.schema import feature_matrix

    z = standardised(songs, feature_matrix(catalog.tracks, songs.features))
    return pca_2d(songs.centers, seed, project=z)


def standardised(clustering: Clustering, raw: np.ndarray) -> np.ndarray:
    """Raw feature rows in the clustering's standardised space (NaN as the median)."""
    return (clustering.filled(raw) - clustering.mean) / clustering.scale


CORRELATION_FEATURES = ("acousticness", "danceability", "energy", "instrumentalness",
                        "liveness", "loudness", "speechiness", "tempo", "valence",
                        "duration_ms", "explicit", "key", "mode", "year")
#: Years with fewer tracks than this are left out of trends computed from a catalog.
MIN_TRACKS_PER_YEAR = 20


def write_figures(
    catalog,
    clusters,
    out_dir: Path,
    genre_table: pd.DataFrame | None = None,
    year_table: pd.DataFrame | None = None,
    seed: int = 0,
    progress: Progress | None = None,
) -> list[Path]:
    """Write the four PNGs and the two HTML maps into ``out_dir``; returns the paths.

    ``genre_table`` (one row per genre with mean features, e.g. ``data_by_genres.csv``)
    and ``year_table`` (e.g. ``data_by_year.csv``) are used when given; otherwise the
    catalog's own genres and years are averaged.
    """
    say = (progress or SILENT).say
    from musicrec.data.profiles import genre_profiles, year_profiles
    from musicrec.data.schema import feature_matrix
    from musicrec.model.clusters import GENRE_CLUSTERS, fit_clusters

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    features = clusters.songs.features

    say("Audio features over time")
    if year_table is not None:
        years, source = year_table, "yearly means from data_by_year.csv"
    else:
        years = year_profiles(catalog, [f for f in TREND_FEATURES if f in catalog.tracks])
        years = years[years["tracks"] >= MIN_TRACKS_PER_YEAR]
        source = f"catalog years with at least {MIN_TRACKS_PER_YEAR} tracks"
    written.append(trends_figure(years, out_dir / TRENDS, source))

    say("Correlation of each feature with popularity")
    present = [f for f in CORRELATION_FEATURES
               if f in catalog.tracks and catalog.tracks[f].notna().any()]
    frame = pd.DataFrame(feature_matrix(catalog.tracks, present), columns=present)
    popularity = catalog.numeric("popularity")
    frame = frame[~np.isnan(popularity)]
    correlations = frame.corrwith(pd.Series(popularity[~np.isnan(popularity)],
                                            index=frame.index)).dropna()
    written.append(correlation_figure(correlations, out_dir / CORRELATION, "popularity",
                                      len(frame)))

    if genre_table is not None:
        genre_features = [f for f in features if f in genre_table.columns]
        genre_raw = genre_table[genre_features].to_numpy(dtype=np.float64)
        names = genre_table["genres"].astype(str).tolist()
        say(f"Clustering {len(names):,} genres into {GENRE_CLUSTERS}")
        genre_clusters = fit_clusters(genre_raw, genre_features,
                                      min(GENRE_CLUSTERS, len(names) - 1), seed)
        source = "data_by_genres.csv"
    else:
        profiles = genre_profiles(catalog, features)
        names = profiles["genres"].tolist()
        genre_raw = profiles[list(features)].to_numpy(dtype=np.float64)
        genre_clusters = clusters.genres
        source = "the catalog's genres"
    if genre_clusters is None:
        say("Too few genres in the catalog for a genre map; give --genres-file "
            "(data_by_genres.csv) to draw one")
    else:
        say(f"t-SNE of {len(names):,} genres")
        genre_xy = tsne_2d(standardised(genre_clusters, genre_raw), seed)
        genre_map = ClusterMap(
            genre_xy, genre_clusters.labels, names,
            f"{len(names):,} genres in 2-D (t-SNE of standardised mean features, {source}), "
            f"{genre_clusters.k} KMeans clusters",
            ("t-SNE 1 (no units)", "t-SNE 2 (no units)"),
        )
        written.append(map_figure(genre_map, out_dir / GENRE_MAP, 14, label_clusters=True,
                                  name_clusters=True))
        written.append(map_html(genre_map, out_dir / GENRE_HTML, names))

    say(f"PCA of {len(catalog):,} songs")
    from musicrec.analysis.clusters import summarize

    songs = clusters.songs
    song_raw = feature_matrix(catalog.tracks, features)
    song_xy, explained = song_coordinates(catalog, songs, seed)
    labels = catalog.labels(range(len(catalog)))
    summaries = summarize(songs, song_raw, catalog.column("genres"), catalog.label,
                          examples=0)
    descriptions = [describe(c.distinctive) for c in summaries]
    song_map = ClusterMap(
        song_xy, songs.labels, labels,
        f"{len(catalog):,} songs in {songs.k} KMeans clusters of {len(features)} standardised "
        "features, on the two principal axes of the cluster centroids",
        (f"PC 1 ({explained[0]:.0%} of the centroids' variance)",
         f"PC 2 ({explained[1]:.0%} of the centroids' variance)"),
    )
    written.append(panels_figure(song_map, descriptions, out_dir / SONG_MAP, seed))
    hover = [f"{name}<br>{descriptions[c]}" for name, c in zip(labels, songs.labels.tolist(),
                                                               strict=True)]
    written.append(map_html(song_map, out_dir / SONG_HTML, hover))
    return written
