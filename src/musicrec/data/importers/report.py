"""What an import met: bad cells, skipped rows, duplicates, unit warnings, in counts.

Real track tables are messy (a cell that is not a number, a year 0 meaning "unknown",
the same track listed twice), and one such cell must not stop an import of 100,000
rows. An importer reports each problem here: the value goes missing (or the row is
skipped) and the problem is counted, with the first few cells kept verbatim (file,
row, column, raw value) so the user can find them. In strict mode the first problem
raises :class:`~musicrec.errors.DataFileError` instead, as imports used to.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from musicrec.errors import DataFileError

#: Cells shown per kind of problem in the summary.
EXAMPLES = 3


@dataclass(frozen=True)
class BadCell:
    """One problem cell: the file's row (header = row 1), column, raw value, problem."""

    row: int
    column: str
    value: str
    problem: str


@dataclass
class ImportReport:
    """Counts of everything an import changed or dropped (see the module doc)."""

    path: Path
    strict: bool = False
    rows_read: int = 0
    rows_kept: int = 0
    #: canonical column -> (file column, "given" or "by name")
    columns: dict[str, tuple[str, str]] = field(default_factory=dict)
    left_out: list[str] = field(default_factory=list)
    skipped: Counter = field(default_factory=Counter)
    missing: Counter = field(default_factory=Counter)  # (column, problem) -> cells
    examples: dict[tuple[str, str], list[BadCell]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def bad_cells(self, column: str, problem: str, rows, values, *, skip_row: bool = False
                  ) -> None:
        """Cells of ``column`` at file ``rows`` with raw ``values`` that have ``problem``:
        counted as missing (or their rows as skipped); in strict mode, raise for the first."""
        rows, values = list(rows), list(values)
        if not rows:
            return
        if self.strict:
            raise DataFileError(self.path, f"{problem}: {_shown(values[0])}", row=rows[0],
                                column=column)
        key = (column, problem)
        if skip_row:
            self.skipped[f"{problem} ({column})"] += len(rows)
        else:
            self.missing[key] += len(rows)
        kept = self.examples.setdefault(key, [])
        for row, value in zip(rows, values, strict=True):
            if len(kept) >= EXAMPLES:
                break
            kept.append(BadCell(row, column, _shown(value), problem))

    def skip(self, reason: str, count: int) -> None:
        """``count`` rows left out for ``reason`` (not an error: duplicates and the like)."""
        if count:
            self.skipped[reason] += count

    def note(self, text: str) -> None:
        self.notes.append(text)

    def warn(self, text: str) -> None:
        self.warnings.append(text)

    @property
    def problems(self) -> int:
        """Cells set missing plus rows skipped for a bad cell."""
        return sum(self.missing.values()) + sum(
            n for reason, n in self.skipped.items() if "(" in reason)

    def summary(self) -> list[str]:
        """The report as lines for a terminal (plain text: values are shown verbatim)."""
        lines = [f"{self.path}: {self.rows_read:,} rows read, {self.rows_kept:,} tracks kept"]
        mapped = ", ".join(f"{canonical} <- {column}" + ("" if how == "given" else " (by name)")
                           for canonical, (column, how) in self.columns.items())
        lines.append(f"  columns: {mapped}")
        if self.left_out:
            lines.append(f"  left out: {', '.join(self.left_out)}")
        for reason, count in sorted(self.skipped.items(), key=lambda kv: (-kv[1], kv[0])):
            lines.append(f"  skipped {count:,} rows: {reason}")
        # orders that do not depend on how the file was read (whole or in chunks)
        for (column, problem), count in sorted(self.missing.items(),
                                               key=lambda kv: (-kv[1], kv[0])):
            lines.append(f"  {count:,} cells of '{column}' set missing: {problem}")
        for (_column, problem), cells in sorted(self.examples.items(),
                                                key=lambda kv: kv[1][0].row):
            for cell in cells:
                lines.append(f"    row {cell.row}, column '{cell.column}': {cell.value} "
                             f"({problem})")
        lines += [f"  note: {n}" for n in self.notes]
        lines += [f"  warning: {w}" for w in self.warnings]
        return lines

    def to_dict(self) -> dict:
        """The report as JSON-able data (kept with the imported dataset)."""
        return {
            "path": str(self.path), "rows_read": self.rows_read, "rows_kept": self.rows_kept,
            "columns": {k: list(v) for k, v in self.columns.items()},
            "left_out": list(self.left_out), "skipped": dict(self.skipped),
            "missing": {f"{c}: {p}": n for (c, p), n in self.missing.items()},
            "notes": list(self.notes), "warnings": list(self.warnings),
        }


def _shown(value: object) -> str:
    """A raw cell as the user wrote it, quoted, cut at 80 characters."""
    text = str(value)
    text = text if len(text) <= 80 else text[:79] + "…"
    return repr(text)
