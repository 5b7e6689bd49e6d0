"""The dataset registry: which datasets musicrec knows, where their files live, how to get them.

A dataset's files sit in a *data root* in a fixed layout (``spotify_songs/spotify_songs.csv``).
The root is a folder the user names (``--data-dir``/``MUSICREC_DATA_DIR``), in which case
nothing is downloaded, or else musicrec's cache, filled by download on first use.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from musicrec.data.download import download_file
from musicrec.data.importers.common import ImportResult
from musicrec.errors import DataFileError, DatasetUnavailableError, InvalidArgumentError
from musicrec.progress import Progress


@dataclass(frozen=True)
class DatasetFile:
    """One file of a dataset: where it sits in the data root and how to check it."""

    relpath: str
    url: str | None = None
    columns: tuple[str, ...] = ()
    min_rows: int = 0
    required: bool = True


@dataclass(frozen=True)
class Dataset:
    """A known dataset: its files and the importer that reads them."""

    name: str
    description: str
    files: tuple[DatasetFile, ...]
    how_to_get: str
    reader: Callable[[dict[str, Path | None]], ImportResult] | None = None


def _read_spotify_songs(paths: dict[str, Path | None]) -> ImportResult:
    from musicrec.data.importers.tidytuesday import read_spotify_songs

    return read_spotify_songs(paths["spotify_songs/spotify_songs.csv"])


def _read_kaggle(paths: dict[str, Path | None]) -> ImportResult:
    from musicrec.data.importers.kaggle import read_kaggle_tracks

    return read_kaggle_tracks(
        paths["kaggle_1921_2020/data.csv"], paths.get("kaggle_1921_2020/data_w_genres.csv")
    )


TIDYTUESDAY_URL = (
    "https://raw.githubusercontent.com/rfordatascience/tidytuesday/master/"
    "data/2020/2020-01-21/spotify_songs.csv"
)

DATASETS: dict[str, Dataset] = {
    "spotify_songs": Dataset(
        name="spotify_songs",
        description="TidyTuesday 2020-01-21 Spotify Songs: 28,356 tracks in 471 playlists",
        files=(
            DatasetFile(
                "spotify_songs/spotify_songs.csv",
                url=TIDYTUESDAY_URL,
                columns=("track_id", "track_name", "track_artist", "playlist_id", "energy"),
                min_rows=32_833,
            ),
        ),
        how_to_get="downloaded automatically from the TidyTuesday repository",
        reader=_read_spotify_songs,
    ),
    "kaggle_1921_2020": Dataset(
        name="kaggle_1921_2020",
        description='Kaggle "Spotify Dataset 1921-2020, 160k+ Tracks" (170,653 tracks)',
        files=(
            DatasetFile("kaggle_1921_2020/data.csv", columns=("id", "name", "artists")),
            DatasetFile(
                "kaggle_1921_2020/data_w_genres.csv", columns=("artists", "genres"),
                required=False,
            ),
            DatasetFile("kaggle_1921_2020/data_by_genres.csv", required=False),
            DatasetFile("kaggle_1921_2020/data_by_year.csv", required=False),
        ),
        how_to_get=(
            "download it from Kaggle (an account is needed) and unpack it into "
            "DATA_DIR/kaggle_1921_2020/"
        ),
        reader=_read_kaggle,
    ),
}

DEFAULT_DATASET = "spotify_songs"
#: Mean features per genre and per year that come with the Kaggle data, used by figures
#: when present in the data folder.
PROFILE_FILES = {"genres": "kaggle_1921_2020/data_by_genres.csv",
                 "years": "kaggle_1921_2020/data_by_year.csv"}


def default_cache_dir() -> Path:
    """musicrec's cache folder (downloads and built models) for this user."""
    return Path(platformdirs.user_cache_dir("musicrec", appauthor=False))


def get_dataset(name: str) -> Dataset:
    """The registered dataset called ``name``."""
    try:
        return DATASETS[name]
    except KeyError:
        known = ", ".join(sorted(DATASETS))
        raise InvalidArgumentError(f"unknown dataset '{name}'; known datasets: {known}") from None


def locate_files(
    dataset: Dataset,
    data_dir: Path | None,
    cache_dir: Path,
    progress: Progress | None = None,
) -> dict[str, Path | None]:
    """Paths of the dataset's files, downloading into the cache when needed and allowed.

    With ``data_dir`` set nothing is downloaded: the files must be there. Optional files
    that are absent map to None.
    """
    found: dict[str, Path | None] = {}
    for spec in dataset.files:
        if data_dir is not None:
            path = Path(data_dir) / spec.relpath
            if not path.is_file():
                if spec.required:
                    hint = (
                        "put the file there, or leave out --data-dir / MUSICREC_DATA_DIR to "
                        "download it into the cache"
                        if spec.url
                        else dataset.how_to_get.replace("DATA_DIR", str(data_dir))
                    )
                    raise DatasetUnavailableError(
                        f"dataset '{dataset.name}' is not in {data_dir}: {path} does not exist; "
                        f"{hint}"
                    )
                path = None
            found[spec.relpath] = path
            continue
        path = Path(cache_dir) / "data" / spec.relpath
        if path.is_file():
            found[spec.relpath] = path
        elif spec.url is not None:
            found[spec.relpath] = download_file(
                spec.url, path, lambda p, s=spec: validate_file(p, s), progress
            )
        elif spec.required:
            raise DatasetUnavailableError(
                f"dataset '{dataset.name}' cannot be downloaded: {dataset.how_to_get}, "
                f"then pass --data-dir DATA_DIR or set MUSICREC_DATA_DIR "
                f"(expected file: DATA_DIR/{spec.relpath})"
            )
        else:
            found[spec.relpath] = None
    return found


def validate_file(path: Path, spec: DatasetFile) -> None:
    """Check a (downloaded) CSV has the expected columns and at least ``min_rows`` rows."""
    import pandas as pd

    try:
        header = pd.read_csv(path, nrows=0).columns
    except Exception as exc:  # any parse failure means the file is not what we expect
        raise DataFileError(path, f"is not a readable CSV file ({exc})") from exc
    missing = [c for c in spec.columns if c not in header]
    if missing:
        raise DataFileError(path, f"missing columns {missing}")
    if spec.min_rows:
        rows = len(pd.read_csv(path, usecols=[spec.columns[0]]))
        if rows < spec.min_rows:
            raise DataFileError(path, f"has {rows} rows, expected at least {spec.min_rows}")
