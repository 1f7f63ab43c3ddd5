"""Which layout a model folder (or a Hub repository's file listing) is in.

Checked in this order, first match wins: SSE 4-bit (``embedding.q4_k_m.bin``), Model2Vec
(``config.json`` + ``model.safetensors``, or model2vec's own sentence-transformers-style folder
without ``modules.json``), sentence-transformers (``modules.json`` + ``model.safetensors`` at the
root or in ``0_StaticEmbedding/``). A Model2Vec folder that also carries ``modules.json`` (as
``save_pretrained`` writes it) is loaded with Model2Vec semantics: that is the library that made it.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from ..errors import ModelFileNotFoundError, UnknownModelLayoutError
from . import model2vec, sentence_transformers, sse
from .base import Layout, list_files

LAYOUTS: tuple[Layout, ...] = (sse.LAYOUT, model2vec.LAYOUT, sentence_transformers.LAYOUT)


def detect_layout(directory: str | Path) -> Layout:
    """The layout of the local model folder ``directory``."""
    directory = Path(directory)
    if not directory.is_dir():
        raise ModelFileNotFoundError(f"{directory}: model folder does not exist")
    files = list_files(directory)
    return _match(files, str(directory))


def model_files(directory: str | Path) -> list[str]:
    """The files of the local model folder ``directory`` that its layout reads, present ones only,
    as sorted relative POSIX paths (what identifies the model; other files, such as ``.git/``
    or a download cache's metadata, do not)."""
    directory = Path(directory)
    if not directory.is_dir():
        raise ModelFileNotFoundError(f"{directory}: model folder does not exist")
    files = list_files(directory)
    return sorted(
        name for name in _match(files, str(directory)).needed_files(files) if name in files
    )


def files_to_download(available: Iterable[str]) -> list[str]:
    """Given a Hub repository's file listing, the files the detected layout needs."""
    files = frozenset(available)
    return _match(files, "the repository").needed_files(files)


def _match(files: frozenset[str], where: str) -> Layout:
    for layout in LAYOUTS:
        if layout.matches(files):
            return layout
    needs = "; ".join(f"{layout.name}: {layout.needs}" for layout in LAYOUTS)
    shown = sorted(files)
    listing = ", ".join(shown[:30]) + (f", ... ({len(shown)} files)" if len(shown) > 30 else "")
    raise UnknownModelLayoutError(
        f"{where}: no supported model layout; found [{listing}]. Supported layouts need - {needs}"
    )
