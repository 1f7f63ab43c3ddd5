"""The finished chunks of a bulk job on disk, and the output file assembled from them.

Beside the output ``OUT`` the job keeps a folder ``OUT.parts/``: ``manifest.json`` (what the
job is: input file, its size and modification time, model content fingerprint, options,
columns) and one part per finished chunk: the chunk's output (vectors as ``.npy``, or JSON lines
already formatted) and then, as the commit mark, ``<start>.json`` with the input rows it covers
and the ids of its vectors. Each file is written under a temporary name and renamed, so a run
killed at any moment leaves only whole parts; a run started again reads the marks, skips the
input rows they cover and continues. When every row is done the parts are joined into ``OUT``
(written under a temporary name, flushed to disk, then renamed) and the folder is removed.

Outputs: ``.npy`` (float32 ``(rows, dim)``; the ids go beside it, ``emb.ids.jsonl`` for
``emb.npy``, one JSON value a line), ``.parquet`` (columns ``id`` and ``embedding``, a
fixed-size list of float32; needs pyarrow) and ``.jsonl`` (``{"id": ..., "embedding": [...]}``
a line).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import numpy as np

from ..jsonfloat import json_arrays
from .readers import BulkInputError, require_pyarrow

OUTPUTS = (".npy", ".parquet", ".jsonl")
_NPY_HEADER_BYTES = 128


def ids_path(out: Path) -> Path:
    """Where a ``.npy`` output's ids go: ``emb.npy`` -> ``emb.ids.jsonl``."""
    return out.with_name(out.stem + ".ids.jsonl")


def _dump_id(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False, default=str).encode("utf-8", "surrogatepass")


def _atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` under a temporary name, flush it to disk, then rename it to ``path`` and
    flush the directory, so that after a crash ``path`` is either absent or whole."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    _durable_replace(tmp, path)


def _durable_replace(tmp: Path, path: Path) -> None:
    """Flush ``tmp`` to disk, rename it to ``path``, then flush the directory's entry."""
    with open(tmp, "rb+") as stream:
        os.fsync(stream.fileno())
    os.replace(tmp, path)
    _fsync_directory(path.parent)


def _fsync_directory(folder: Path) -> None:
    if os.name == "nt":  # Windows cannot open a directory; NTFS journals renames itself
        return
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


class Checkpoint:
    """The parts folder of output ``out`` for the job described by ``manifest``."""

    def __init__(self, out: Path, manifest: dict[str, Any], *, restart: bool) -> None:
        if out.suffix not in OUTPUTS:
            raise BulkInputError(f"{out}: the output must end in {', '.join(OUTPUTS)}")
        if not out.parent.is_dir():
            raise BulkInputError(f"cannot write {out}: the directory {out.parent} does not exist")
        if out.suffix == ".parquet":
            require_pyarrow("writing Parquet")
        self.out = out
        self.folder = out.with_name(out.name + ".parts")
        self.manifest = manifest
        manifest_file = self.folder / "manifest.json"
        if self.folder.is_dir():
            try:
                found = json.loads(manifest_file.read_text())
            except (OSError, ValueError):
                found = None
            if found != manifest:
                if not restart:
                    raise BulkInputError(
                        f"{self.folder} holds the parts of another job (a different input file, "
                        f"model or options); pass --restart to discard them"
                    )
                shutil.rmtree(self.folder)
        self.folder.mkdir(exist_ok=True)
        if not manifest_file.exists():
            _atomic_write(manifest_file, json.dumps(manifest, indent=1).encode())
        self.marks = self._read_marks()

    def _read_marks(self) -> list[dict[str, Any]]:
        marks = []
        for path in sorted(self.folder.glob("*.json")):
            if path.name == "manifest.json":
                continue
            try:
                mark = json.loads(path.read_text())
                if not isinstance(mark, dict) or not {"start", "stop", "ids"} <= mark.keys():
                    raise ValueError("expected an object with start, stop and ids")
            except ValueError as exc:
                raise BulkInputError(
                    f"{path}: damaged part mark ({exc}); pass --restart to discard the parts "
                    f"and start over"
                ) from None
            marks.append(mark)
        expected = 0
        for mark in marks:
            if mark["start"] != expected:
                raise BulkInputError(
                    f"{self.folder}: parts do not follow each other (rows from {expected} are "
                    f"missing); pass --restart to start over"
                )
            expected = mark["stop"]
        return marks

    @property
    def consumed(self) -> int:
        """Input rows covered by the finished parts."""
        return self.marks[-1]["stop"] if self.marks else 0

    @property
    def rows_written(self) -> int:
        return sum(len(mark["ids"]) for mark in self.marks)

    def commit(self, start: int, stop: int, ids: list[object], vectors: np.ndarray) -> None:
        """Keep one finished chunk: input rows ``start:stop``, its vectors and their ids."""
        name = f"{start:012d}"
        if self.out.suffix == ".jsonl":
            lines = [
                b'{"id":' + _dump_id(row_id) + b',"embedding":' + array + b"}\n"
                for row_id, array in zip(ids, json_arrays(vectors), strict=True)
            ]
            _atomic_write(self.folder / f"{name}.jsonl", b"".join(lines))
        else:
            data = np.ascontiguousarray(vectors, dtype="<f4")
            _atomic_write(self.folder / f"{name}.f32", data.tobytes())
        mark = {"start": start, "stop": stop, "ids": ids}
        _atomic_write(self.folder / f"{name}.json", json.dumps(mark, default=str).encode())
        self.marks.append(mark)

    def finish(self, dim: int) -> None:
        """Join the parts into the output file, then remove the parts folder."""
        tmp = self.out.with_name(f".{self.out.name}.tmp")
        suffix = self.out.suffix
        if suffix == ".jsonl":
            with open(tmp, "wb") as target:
                for mark in self.marks:
                    with open(self.folder / f"{mark['start']:012d}.jsonl", "rb") as part:
                        shutil.copyfileobj(part, target)
        elif suffix == ".npy":
            self._write_npy(tmp, dim)
        else:
            self._write_parquet(tmp, dim)
        _durable_replace(tmp, self.out)  # before the parts go
        shutil.rmtree(self.folder)

    def _vectors(self, mark: dict[str, Any], dim: int) -> np.ndarray:
        data = (self.folder / f"{mark['start']:012d}.f32").read_bytes()
        return np.frombuffer(data, dtype="<f4").reshape(len(mark["ids"]), dim)

    def _write_npy(self, tmp: Path, dim: int) -> None:
        from ..cli import npy_header

        ids_file = ids_path(self.out)
        ids_tmp = ids_file.with_name(f".{ids_file.name}.tmp")
        with open(ids_tmp, "wb") as ids_out:
            for mark in self.marks:
                ids_out.write(b"".join(_dump_id(row_id) + b"\n" for row_id in mark["ids"]))
        with open(tmp, "wb") as target:
            target.write(npy_header(self.rows_written, dim))
            for mark in self.marks:
                target.write(self._vectors(mark, dim).tobytes())
        _durable_replace(ids_tmp, ids_file)

    def _write_parquet(self, tmp: Path, dim: int) -> None:
        pq = require_pyarrow("writing Parquet")
        import pyarrow as pa

        writer = None
        try:
            for mark in self.marks:
                vectors = self._vectors(mark, dim)
                embedding = pa.FixedSizeListArray.from_arrays(pa.array(vectors.ravel()), dim)
                table = pa.table({"id": pa.array(mark["ids"]), "embedding": embedding})
                if writer is None:
                    writer = pq.ParquetWriter(tmp, table.schema)
                writer.write_table(table.cast(writer.schema))
            if writer is None:
                empty = pa.FixedSizeListArray.from_arrays(pa.array([], pa.float32()), dim)
                pq.write_table(pa.table({"id": pa.array([]), "embedding": empty}), tmp)
        finally:
            if writer is not None:
                writer.close()
