"""Where a loaded model came from, so another process can load the same model again.

:meth:`StaticEmbedRunner.load` records a :class:`ModelSource` on the runner it returns: the folder
it read, what the caller passed (a path, a Hub id, or None for the embedded default) and the load
options that matter in another process (table mode, tokenizer backend, revision). Worker processes,
Ray actors and Spark executors rebuild the runner from it instead of receiving the table itself:
the table stays memory-mapped and shared through the operating system's page cache.

:func:`content_fingerprint` identifies a model by the bytes of its files, not by their path, so a
persistent store keyed by it is shared by every copy of the same model and never hands out vectors
of a model whose table, tokenizer or config changed.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .runner import StaticEmbedRunner

_READ_BYTES = 1 << 20
_FINGERPRINTS: dict[tuple[str, str], str] = {}
_FINGERPRINTS_LOCK = threading.Lock()


@dataclass(frozen=True)
class ModelSource:
    """How to load a model again: ``directory`` is the local folder that was read; ``reference``
    is what ``load`` was given (a folder, a Hub id, or None for the embedded default model),
    used where ``directory`` does not exist (another machine)."""

    directory: str
    reference: str | None
    revision: str | None
    table: str
    tokenizer_backend: str

    def load(self, *, prefetch: bool | None = None) -> StaticEmbedRunner:
        """The same model, loaded in this process."""
        from .runner import StaticEmbedRunner

        here = Path(self.directory).is_dir()
        return StaticEmbedRunner.load(
            self.directory if here else self.reference,
            table=self.table,
            tokenizer_backend=self.tokenizer_backend,  # type: ignore[arg-type]
            revision=None if here else self.revision,
            prefetch=prefetch,
        )


def content_fingerprint(directory: str | Path, quick: str) -> str:
    """BLAKE2b-128 of every file under ``directory`` (relative path, size and bytes, in path
    order): equal for two copies of a model wherever they are, different when one byte differs.

    ``quick`` is the runner's path/size/mtime fingerprint: a folder whose files did not change
    (same sizes and modification times) is hashed once per process."""
    root = Path(directory)
    memo = (str(root.resolve()), quick)
    with _FINGERPRINTS_LOCK:
        known = _FINGERPRINTS.get(memo)
    if known is not None:
        return known
    digest = hashlib.blake2b(digest_size=16)
    for file in sorted(path for path in root.rglob("*") if path.is_file()):
        relative = file.relative_to(root).as_posix()
        digest.update(f"{relative}\0{file.stat().st_size}\0".encode())
        with open(file, "rb") as stream:
            while block := stream.read(_READ_BYTES):
                digest.update(block)
    value = digest.hexdigest()
    with _FINGERPRINTS_LOCK:
        _FINGERPRINTS[memo] = value
    return value
