"""``musicrec spark import``: any CSV or Parquet table Spark reads, mapped onto the
canonical track table by the rules of ``musicrec import`` (one set of rules:
:mod:`musicrec.data.importers.mapped`), each partition on its own executor.

Steps: the columns are resolved on the table's first rows (on the driver); every
partition turns its rows into canonical columns, counts its bad cells (with their file
rows: a row number is given to every row from the partition sizes, as in the file) and
makes missing ids; the reports are merged on the driver; duplicates keep the first row
(their genres joined) or stop the import; the table is written as Parquet in file
order. Everything is staged and renamed into place, so a failed job or Ctrl-C leaves
the previous dataset as it was.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from collections import Counter
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from musicrec.data.importers.common import CHUNK_ROWS
from musicrec.data.importers.mapped import (
    canonical_chunk,
    canonical_mapping,
    canonical_tracks,
    canonical_units,
    finish_report,
    resolve_columns,
    with_content_ids,
)
from musicrec.data.importers.report import EXAMPLES, BadCell, ImportReport
from musicrec.data.registry import DATASETS, default_cache_dir
from musicrec.data.schema import (
    AUDIO_FEATURES,
    INTEGER_COLUMNS,
    LIST_COLUMNS,
    STRING_COLUMNS,
    TRACK_COLUMNS,
)
from musicrec.errors import DataFileError, InvalidArgumentError
from musicrec.progress import SILENT, Progress

#: Cells pandas reads as missing in a CSV (its default NA strings); Spark's reader
#: knows only the empty cell, so partitions apply pandas' list to match ``import``.
NA_STRINGS = frozenset({"", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan",
                        "1.#IND", "1.#QNAN", "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a",
                        "nan", "null"})
#: Values kept per partition for the unit checks (a median and a maximum)
UNIT_SAMPLE = 20_000
_ROW_BITS = 33  # monotonically_increasing_id: partition id above bit 33, row below


def spark_type(column: str) -> str:
    """The Spark SQL type of a canonical column."""
    if column in LIST_COLUMNS:
        return "array<string>"
    if column in STRING_COLUMNS:
        return "string"
    if column in INTEGER_COLUMNS:
        return "bigint"
    if column == "explicit":
        return "boolean"
    return "double"


TRACK_SCHEMA = ", ".join(f"`{c}` {spark_type(c)}" for c in TRACK_COLUMNS)
_PARTITION_SCHEMA = TRACK_SCHEMA + ", `_row` bigint, `_made` boolean, `_report` string"


def _is_parquet(path: str) -> bool:
    lowered = path.rstrip("/").lower()
    return lowered.endswith((".parquet", ".pq")) or (
        Path(path).is_dir() and any(Path(path).glob("*.parquet")))


def read_table(spark, path: str):
    """The table at ``path`` (any URI Spark reads): a CSV with a header, all cells as
    text (quoted cells may span lines), or Parquet; and whether it is a CSV."""
    from pyspark.errors import AnalysisException

    csv = not _is_parquet(path)
    try:
        if csv:
            frame = (spark.read.option("header", True).option("multiLine", True)
                     .option("escape", '"').option("encoding", "UTF-8")
                     .option("mode", "PERMISSIVE").csv(path))
        else:
            frame = spark.read.parquet(path)
    except AnalysisException as exc:
        text = str(exc)
        problem = ("file not found" if "PATH_NOT_FOUND" in text or "does not exist" in text
                   else f"cannot be read by Spark ({text.splitlines()[0][:200]})")
        raise DataFileError(path, problem) from None
    if not frame.columns:
        raise DataFileError(path, "is empty")
    return frame, csv


def with_file_rows(frame, first_row: int):
    """``frame`` with ``_row``: each row's row in the file (header = row 1), from the
    partition sizes, so that every bad cell is named by its row as ``import`` names it."""
    from pyspark.sql import functions as F

    tagged = frame.withColumn("_id", F.monotonically_increasing_id())
    part = F.shiftrightunsigned(F.col("_id"), _ROW_BITS)
    sizes = (tagged.groupBy(part.alias("p")).count()
             .orderBy("p").collect())
    starts, at = {}, first_row
    for entry in sizes:
        starts[int(entry["p"])] = at
        at += int(entry["count"])
    start = F.element_at(F.create_map(*[F.lit(x) for kv in starts.items() for x in kv]),
                         part) if starts else F.lit(first_row)
    mask = (1 << _ROW_BITS) - 1
    return tagged.withColumn("_row", (start + (F.col("_id").bitwiseAND(F.lit(mask))))
                             .cast("bigint")).drop("_id")


def _partition(batches, *, columns: list[str], mapping: dict[str, str],
               factors: dict[str, float], source: str, path: str, strict: bool, csv: bool):
    """One partition through the import's rules: canonical rows, then one row holding
    the partition's report (``_report``)."""
    report = ImportReport(Path(path), strict=strict)
    tallies: Counter = Counter()
    unit_values: dict[str, list[np.ndarray]] = {}
    read, fatal = 0, None
    try:
        for batch in batches:
            rows = batch["_row"].to_numpy(dtype=np.int64)
            raw = batch[columns]
            if csv:
                raw = raw.astype(object).where(~raw.isin(NA_STRINGS), None)
            read += len(raw)
            frame, kept = canonical_chunk(raw, mapping, rows, factors, report, tallies,
                                          unit_values)
            frame, made = with_content_ids(frame.reset_index(drop=True))
            tracks = canonical_tracks(frame, source)
            for column in INTEGER_COLUMNS:  # Arrow: whole numbers as int64 with nulls
                tracks[column] = tracks[column].astype("Int64")
            tracks["_row"], tracks["_made"], tracks["_report"] = kept, made, None
            yield tracks
    except DataFileError as exc:  # strict: the first bad cell stops the import
        fatal = {"problem": exc.problem, "row": exc.row, "column": exc.column}
    samples = {}
    rng = np.random.default_rng(0)
    for column, values in unit_values.items():
        joined = np.concatenate(values) if values else np.zeros(0)
        if len(joined) > UNIT_SAMPLE:
            joined = rng.choice(joined, UNIT_SAMPLE, replace=False)
        samples[column] = joined.tolist()
    summary = {
        "read": read, "skipped": dict(report.skipped),
        "missing": [[c, p, n] for (c, p), n in report.missing.items()],
        "examples": [[c.row, c.column, c.value, c.problem] for cells in
                     report.examples.values() for c in cells],
        "tallies": dict(tallies), "units": samples, "fatal": fatal,
    }
    empty = pd.DataFrame({c: pd.Series([None], dtype=object) for c in
                          (*TRACK_COLUMNS, "_row", "_made")})
    empty["_report"] = json.dumps(summary, default=_plain)
    yield empty


def _plain(value):
    """NumPy scalars (file rows, counts) as plain JSON numbers."""
    return value.item() if hasattr(value, "item") else str(value)


def _merged(report: ImportReport, summaries: list[dict]) -> tuple[Counter, dict, int]:
    """Partition summaries merged into ``report``; returns the tallies, the unit values
    and the rows read."""
    tallies: Counter = Counter()
    units: dict[str, list[np.ndarray]] = {}
    examples: list[BadCell] = []
    read = 0
    for summary in summaries:
        read += summary["read"]
        report.skipped.update(summary["skipped"])
        for column, problem, n in summary["missing"]:
            report.missing[(column, problem)] += n
        examples += [BadCell(*e) for e in summary["examples"]]
        tallies.update(summary["tallies"])
        for column, values in summary["units"].items():
            units.setdefault(column, []).append(np.asarray(values, dtype=np.float64))
    for cell in sorted(examples, key=lambda c: c.row):  # the first rows of the file
        kept = report.examples.setdefault((cell.column, cell.problem), [])
        if len(kept) < EXAMPLES:
            kept.append(cell)
    return tallies, units, read


def spark_import(
    path: str,
    name: str,
    mapping: dict[str, str] | None = None,
    *,
    units: dict[str, str] | None = None,
    on_duplicate: str = "first",
    strict: bool = False,
    cache_dir: Path | None = None,
    master: str | None = None,
    progress: Progress | None = None,
):
    """Import the table at ``path`` (a path or URI Spark reads) as the dataset ``name``;
    returns the imported dataset and its report (the same counts as ``musicrec
    import`` of the same file)."""
    from pyspark.sql import functions as F

    from musicrec.data.imported import imported_dir
    from musicrec.io import staged_directory
    from musicrec.spark.session import spark_session

    progress = progress or SILENT
    if name in DATASETS:
        raise InvalidArgumentError(f"'{name}' is a built-in dataset name; choose another --name")
    from musicrec.workspace.datasets import model_dir

    model_dir(name, cache_dir)  # a name that cannot name a dataset is refused first
    if on_duplicate not in ("first", "error"):
        raise InvalidArgumentError(f"--on-duplicate must be first or error (got '{on_duplicate}')")
    path = str(path)
    factors = canonical_units(units)
    spark = spark_session(master)
    progress.say(f"Reading {path} with Spark ({spark.sparkContext.master})")
    table, csv = read_table(spark, path)
    report = ImportReport(Path(path), strict=strict)
    first = table.limit(CHUNK_ROWS).toPandas()
    if csv:
        first = first.astype(object).where(~first.isin(NA_STRINGS), None)
    resolved = resolve_columns(Path(path), first, canonical_mapping(dict(mapping or {})),
                               report)
    columns = list(table.columns)
    rows = with_file_rows(table, 2 if csv else 1)
    work = partial(_partition, columns=columns, mapping=resolved, factors=factors,
                   source=name, path=path, strict=strict, csv=csv)
    cache = cache_dir or default_cache_dir()
    scratch = Path(tempfile.mkdtemp(prefix=f".{name}.spark-", dir=_scratch_root(cache)))
    try:
        progress.say("Mapping every partition onto the canonical track table")
        rows.mapInPandas(work, _PARTITION_SCHEMA).write.parquet(str(scratch / "mapped"))
        mapped = spark.read.parquet(str(scratch / "mapped"))
        summaries = [json.loads(r["_report"]) for r in
                     mapped.where(F.col("_report").isNotNull()).select("_report").collect()]
        fatal = next((s["fatal"] for s in summaries if s["fatal"]), None)
        if fatal is not None:
            raise DataFileError(path, fatal["problem"], row=fatal["row"],
                                column=fatal["column"])
        tallies, unit_values, report.rows_read = _merged(report, summaries)
        finish_report(report, unit_values, tallies)
        tracks = mapped.where(F.col("_report").isNull()).drop("_report")
        kept = _first_of_each_id(tracks, report, on_duplicate, resolved, path)
        with staged_directory(imported_dir(cache, name)) as staging:
            progress.say("Writing the canonical table as Parquet, in file order")
            (kept.orderBy("_row").drop("_row", "_made")
             .write.parquet(str(staging / "tracks.parquet")))
            written = spark.read.parquet(str(staging / "tracks.parquet"))
            counts = written.select(F.count(F.lit(1)).alias("n"), *[
                F.count(F.col(f)).alias(f) for f in AUDIO_FEATURES]).first()
            report.rows_kept = int(counts["n"])
            if report.rows_kept < 2:
                raise InvalidArgumentError(f"{path} has {report.rows_kept} usable track(s); "
                                           "a catalog needs at least 2")
            description = {
                "format": "musicrec-imported-dataset", "format_version": 1, "name": name,
                "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "source": {"path": path, "spark": spark.sparkContext.master},
                "mapping": dict(mapping or {}), "tracks": report.rows_kept,
                "features": [f for f in AUDIO_FEATURES if counts[f]], "playlists": 0,
                "report": report.to_dict(),
            }
            (staging / "dataset.json").write_text(json.dumps(description, indent=2) + "\n")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    from musicrec.data.imported import find_imported

    return find_imported(cache, name), report


def _scratch_root(cache: Path) -> Path:
    root = Path(cache) / "spark"
    root.mkdir(parents=True, exist_ok=True)
    return root


def _first_of_each_id(tracks, report: ImportReport, on_duplicate: str,
                      mapping: dict[str, str], path: str):
    """One row per track id (the first in the file), counted as ``import`` counts them;
    a kept row of a repeated id gets the genres of all its rows."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    ranked = tracks.withColumn("_rank", F.row_number().over(
        Window.partitionBy("track_id").orderBy("_row")))
    counts = ranked.where(F.col("_rank") > 1).groupBy("_made").count().collect()
    repeated = {bool(r["_made"]): int(r["count"]) for r in counts}
    if not repeated:
        return tracks
    if on_duplicate == "error":
        second = ranked.where(F.col("_rank") > 1).orderBy("_row").first()
        first = ranked.where((F.col("track_id") == second["track_id"]) &
                             (F.col("_rank") == 1)).first()
        what = (f"rows {first['_row']} and {second['_row']} are identical (no id column "
                f"mapped)" if second["_made"] else
                f"track id '{second['track_id']}' appears twice (rows {first['_row']} and "
                f"{second['_row']})")
        raise DataFileError(path, what + "; --on-duplicate first keeps the first",
                            row=int(second["_row"]), column=mapping.get("track_id"))
    report.skip("the same track id as an earlier row (the first is kept)",
                repeated.get(False, 0))
    report.skip("identical to an earlier row (the first is kept)", repeated.get(True, 0))
    kept = ranked.where(F.col("_rank") == 1).drop("_rank")
    if "genres" not in mapping or not repeated.get(False):
        return kept
    joined = (tracks.where(F.col("genres").isNotNull() & (F.size("genres") > 0))
              .groupBy("track_id")
              .agg(F.array_sort(F.collect_list(F.struct("_row", "genres"))).alias("_all"))
              .select("track_id", F.array_distinct(F.flatten(F.transform(
                  "_all", lambda x: x["genres"]))).alias("_joined")))
    merged = kept.join(joined, "track_id", "left")
    changed = merged.where(F.col("_joined").isNotNull() & (
        F.col("genres").isNull() | (F.col("genres") != F.col("_joined")))).count()
    if changed:
        report.note(f"{changed:,} tracks listed more than once keep the genres of all "
                    "their rows")
    return merged.withColumn("genres", F.coalesce("_joined", "genres")).drop("_joined")

