"""Rows of (id, text) from .txt, .jsonl, .csv and Parquet files, with bad rows named by line.

Every format yields, in file order, either a :class:`Row` or a :class:`BadRow` (which the job
reports, then stops or skips). A row's id is the value of the id column when the input has one,
else its position among the input's rows (0, 1, ...). Text files are read line by line as
:mod:`..textlines` says, the CLI's rule: invalid UTF-8 is reported with its line, and in a
.jsonl file a blank line is a bad row like any other (it counts as a row, so positions stay
line numbers minus one). Parquet needs pyarrow (the ``parquet`` extra).
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from ..errors import StaticEmbedRunnerError
from ..textlines import BadLine, decoded_lines, json_record

FORMATS = {".txt": "txt", ".jsonl": "jsonl", ".csv": "csv", ".parquet": "parquet"}
_COUNT_BYTES = 1 << 20


class BulkInputError(StaticEmbedRunnerError, ValueError):
    """An input file cannot be read as its format (missing column, unreadable file)."""


@dataclass(frozen=True)
class Row:
    id: object
    text: str


@dataclass(frozen=True)
class BadRow:
    where: str  # "file:line" or "file: row N"
    reason: str

    def __str__(self) -> str:
        return f"{self.where}: {self.reason}"


def require_pyarrow(purpose: str) -> ModuleType:
    """pyarrow.parquet, or an error naming the extra to install."""
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise ImportError(
            f"{purpose} needs pyarrow: pip install 'static-embed-runner[parquet]'"
        ) from None
    return pq


class Reader:
    """One input file: ``rows()`` yields its rows in order; ``total`` estimates their number
    (for the progress bar) and ``id_column`` is the id column used, if any."""

    def __init__(self, path: str | os.PathLike[str], text_column: str, id_column: str | None):
        self.path = Path(path)
        suffix = self.path.suffix.lower()
        if suffix not in FORMATS:
            raise BulkInputError(
                f"{self.path}: unknown input format {suffix or '(no suffix)'!r}; expected one "
                f"of {', '.join(FORMATS)}"
            )
        if not self.path.is_file():
            raise BulkInputError(f"{self.path}: no such file")
        self.format = FORMATS[suffix]
        self.text_column = text_column
        self.requested_id = id_column
        self.id_column = self._choose_id_column(id_column)

    def _choose_id_column(self, requested: str | None) -> str | None:
        columns = self._columns()
        if columns is None:  # .txt: no columns, and .jsonl: decided per record
            if self.format == "txt" and requested is not None:
                raise BulkInputError(f"{self.path}: a .txt file has no id column ({requested!r})")
            return requested if self.format == "txt" else (requested or "id")
        if self.text_column not in columns:
            raise BulkInputError(
                f"{self.path}: no text column {self.text_column!r}; columns: "
                f"{', '.join(map(str, columns))}"
            )
        if requested is not None and requested not in columns:
            raise BulkInputError(
                f"{self.path}: no id column {requested!r}; columns: {', '.join(map(str, columns))}"
            )
        if requested is None and "id" in columns:
            return "id"
        return requested

    def _columns(self) -> list[str] | None:
        if self.format == "csv":
            with open(self.path, "rb") as stream:
                header = next(_lines(stream, self.path), (1, ""))[1]
            return next(csv.reader([header]), [])
        if self.format == "parquet":
            pq = require_pyarrow("reading Parquet")
            return list(pq.ParquetFile(self.path).schema_arrow.names)
        return None

    @property
    def total(self) -> int:
        """Rows in the file (Parquet), or its line count (an estimate for the other formats)."""
        if self.format == "parquet":
            return require_pyarrow("reading Parquet").ParquetFile(self.path).metadata.num_rows
        lines = 0
        with open(self.path, "rb") as stream:
            while block := stream.read(_COUNT_BYTES):
                lines += block.count(b"\n")
        return max(lines - (self.format == "csv"), 0)

    def rows(self) -> Iterator[Row | BadRow]:
        return getattr(self, f"_{self.format}")()

    def _txt(self) -> Iterator[Row | BadRow]:
        with open(self.path, "rb") as stream:
            for index, (_, line) in enumerate(_lines(stream, self.path)):
                yield line if isinstance(line, BadRow) else Row(index, line)

    def _jsonl(self) -> Iterator[Row | BadRow]:
        index = 0
        field, id_field = self.text_column, self.id_column
        with open(self.path, "rb") as stream:
            for number, line in _lines(stream, self.path):
                where = f"{self.path}:{number}"
                if isinstance(line, BadRow):
                    yield line
                else:
                    yield _json_row(line, where, field, id_field, self.requested_id, index)
                index += 1

    def _csv(self) -> Iterator[Row | BadRow]:
        with open(self.path, "rb") as stream:
            numbered = _lines(stream, self.path)
            bad: list[BadRow] = []

            def lines() -> Iterator[str]:
                for _, line in numbered:
                    if isinstance(line, BadRow):
                        bad.append(line)
                        yield ""
                    else:
                        yield line + "\n"

            reader = csv.reader(lines())
            header = next(reader, [])
            text_at = header.index(self.text_column)
            id_at = None if self.id_column is None else header.index(self.id_column)
            index = 0
            for record in reader:
                where = f"{self.path}:{reader.line_num}"
                if bad:
                    yield bad.pop()
                elif not record:
                    continue  # a blank line
                elif len(record) != len(header):
                    yield BadRow(where, f"expected {len(header)} fields, found {len(record)}")
                else:
                    yield Row(index if id_at is None else record[id_at], record[text_at])
                index += 1

    def _parquet(self) -> Iterator[Row | BadRow]:
        pq = require_pyarrow("reading Parquet")
        import pyarrow as pa

        file = pq.ParquetFile(self.path)
        kind = file.schema_arrow.field(self.text_column).type
        if not (pa.types.is_string(kind) or pa.types.is_large_string(kind)):
            raise BulkInputError(
                f"{self.path}: text column {self.text_column!r} holds {kind}, expected strings"
            )
        columns = [self.text_column] + ([self.id_column] if self.id_column else [])
        index = 0
        for batch in file.iter_batches(batch_size=8192, columns=columns):
            texts = batch.column(0).to_pylist()
            ids = batch.column(1).to_pylist() if self.id_column else None
            for offset, text in enumerate(texts):
                row_id = index if ids is None else ids[offset]
                if text is None:
                    yield BadRow(f"{self.path}: row {index + 1}", "the text is null")
                else:
                    yield Row(row_id, text)
                index += 1


def _json_row(
    line: str, where: str, field: str, id_field: str | None, requested: str | None, index: int
) -> Row | BadRow:
    try:
        record, text = json_record(line, field)
    except BadLine as exc:
        return BadRow(where, str(exc))
    if id_field is not None and id_field in record:
        return Row(record[id_field], text)
    if requested is not None:
        return BadRow(where, f"no id field {requested!r}")
    return Row(index, text)


def _lines(stream: Iterable[bytes], path: Path) -> Iterator[tuple[int, str | BadRow]]:
    """(line number, text without its line end, or a BadRow naming the file and line)."""
    for number, line in decoded_lines(stream):
        yield number, BadRow(f"{path}:{number}", str(line)) if isinstance(line, BadLine) else line
