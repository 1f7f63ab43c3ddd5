"""Where a loaded model came from, so another process can load the same model again.

:meth:`StaticEmbedRunner.load` records a :class:`ModelSource` on the runner it returns: the folder
it read (absolute), what the caller passed (the folder, a Hub id with its revision, or None for
the embedded default) and the load options that matter in another process (table mode, tokenizer
backend). It is the runner's one record of its model: ``runner.source`` and ``runner.revision``
read it, and the framework adapters store it. Worker processes,
Ray actors and Spark executors rebuild the runner from it instead of receiving the table itself:
the table stays memory-mapped and shared through the operating system's page cache.

:func:`content_fingerprint` identifies a model by the bytes of the files its layout reads (table,
tokenizer, configs), not by their path, so a persistent store keyed by it is shared by every copy
of the same model and never hands out vectors of a model whose table, tokenizer or config changed;
:func:`quick_fingerprint` does the same from the files' sizes and modification times.
"""

from __future__ import annotations

import hashlib
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import ModelFileNotFoundError
from .formats.detect import model_files

if TYPE_CHECKING:
    from .runner import StaticEmbedRunner

_READ_BYTES = 1 << 20
_FINGERPRINTS: dict[tuple[str, str], str] = {}
_FINGERPRINTS_LOCK = threading.Lock()


@dataclass(frozen=True)
class ModelSource:
    """How to load a model again: ``directory`` is the local folder that was read (absolute);
    ``reference`` is the model as given to ``load``: that folder, a Hub id (used, with
    ``revision``, where ``directory`` does not exist: another machine), or None for the
    embedded default model."""

    directory: str
    reference: str | None
    revision: str | None
    table: str = "q4"
    tokenizer_backend: str = "auto"

    @classmethod
    def of(
        cls,
        directory: Path,
        path: str | os.PathLike[str] | None,
        revision: str | None,
        table: str,
        tokenizer_backend: str,
    ) -> ModelSource:
        """The record of a model ``load`` read from ``directory``, given ``path``."""
        reference, revision = cls.reference_of(path, revision)
        return cls(str(directory.resolve()), reference, revision, table, tokenizer_backend)

    @staticmethod
    def reference_of(
        path: str | os.PathLike[str] | None, revision: str | None
    ) -> tuple[str | None, str | None]:
        """(``reference``, ``revision``) for a model given to ``load`` as ``path``: a local
        folder made absolute (a revision means nothing for it), a Hub id as given."""
        if path is None:
            return None, None
        folder = Path(path).expanduser()
        if folder.is_dir():
            return str(folder.resolve()), None
        return os.fspath(path), revision

    def load(self, *, prefetch: bool | None = None) -> StaticEmbedRunner:
        """The same model, loaded in this process."""
        from .runner import StaticEmbedRunner

        here = Path(self.directory).is_dir()
        if not here and (self.reference is None or self.reference == self.directory):
            raise ModelFileNotFoundError(
                f"{self.directory}: the model folder no longer exists (moved or deleted)"
            )
        return StaticEmbedRunner.load(
            self.directory if here else self.reference,
            table=self.table,
            tokenizer_backend=self.tokenizer_backend,  # type: ignore[arg-type]
            revision=None if here else self.revision,
            prefetch=prefetch,
        )


def quick_fingerprint(directory: str | Path) -> str:
    """BLAKE2b-128 of the model's files (see :func:`~.formats.detect.model_files`) by relative
    path, size and modification time: cheap, and changes when a file is rewritten."""
    root = Path(directory)
    digest = hashlib.blake2b(digest_size=16)
    for relative in model_files(root):
        stat = (root / relative).stat()
        digest.update(f"{relative}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def content_fingerprint(directory: str | Path, quick: str) -> str:
    """BLAKE2b-128 of the model's files (see :func:`~.formats.detect.model_files`: relative
    path, size and bytes, in path order): equal for two copies of a model wherever they are,
    different when one byte of them differs. A folder that no longer exists, or no longer
    holds a model, raises :class:`~.errors.ModelFileNotFoundError` /
    :class:`~.errors.UnknownModelLayoutError`.

    ``quick`` is the runner's :func:`quick_fingerprint`: a folder whose files did not change
    (same sizes and modification times) is hashed once per process."""
    root = Path(directory)
    if not root.is_dir():
        raise ModelFileNotFoundError(
            f"{root}: the model folder no longer exists (moved or deleted), so its files cannot "
            f"be fingerprinted"
        )
    memo = (str(root.resolve()), quick)
    with _FINGERPRINTS_LOCK:
        known = _FINGERPRINTS.get(memo)
    if known is not None:
        return known
    digest = hashlib.blake2b(digest_size=16)
    for relative in model_files(root):
        file = root / relative
        digest.update(f"{relative}\0{file.stat().st_size}\0".encode())
        with open(file, "rb") as stream:
            while block := stream.read(_READ_BYTES):
                digest.update(block)
    value = digest.hexdigest()
    with _FINGERPRINTS_LOCK:
        _FINGERPRINTS[memo] = value
    return value
