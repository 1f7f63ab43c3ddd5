"""The model an adapter holds: a loaded runner, or a folder / Hub id loaded once, and what travels
with the adapter when its framework serialises it (where the model is, never its table)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Union

from ..runner import StaticEmbedRunner

# A loaded runner, a model folder, a Hub id ("org/name"), or None for the embedded default model.
ModelArg = Union[StaticEmbedRunner, str, "os.PathLike[str]", None]


@dataclass(frozen=True)
class ModelRef:
    """A model by reference: ``path`` is a folder or Hub id (None: the embedded default model),
    ``revision`` the Hub revision (None: the default branch, or not a Hub model)."""

    path: str | None
    revision: str | None

    def load(self) -> StaticEmbedRunner:
        return StaticEmbedRunner.load(self.path, revision=self.revision)


def resolve(
    model: ModelArg, revision: str | None = None
) -> tuple[ModelRef, StaticEmbedRunner | None]:
    """The reference to ``model`` and, when ``model`` is already a loaded runner, that runner."""
    if isinstance(model, StaticEmbedRunner):
        if revision is not None:
            raise ValueError(
                "revision applies to a model path or Hub id; a loaded StaticEmbedRunner already "
                f"has its revision ({model.revision!r})"
            )
        return ModelRef(model.source, model.revision), model
    if model is not None and not isinstance(model, (str, os.PathLike)):
        raise TypeError(
            "model must be a StaticEmbedRunner, a model folder, a Hub id or None (the embedded "
            f"default model), got {type(model).__name__}"
        )
    if revision is not None and not isinstance(revision, str):
        raise TypeError(f"revision must be a str or None, got {type(revision).__name__}")
    if model is None:
        return ModelRef(None, revision), None
    # As StaticEmbedRunner.load records it: a folder absolute (a revision means nothing for it),
    # anything else as a Hub id.
    folder = Path(model).expanduser()
    if folder.is_dir():
        return ModelRef(str(folder.resolve()), None), None
    return ModelRef(os.fspath(model), revision), None


def load(model: ModelArg, revision: str | None = None) -> tuple[ModelRef, StaticEmbedRunner]:
    """:func:`resolve`, loading the model when it was given by reference."""
    ref, runner = resolve(model, revision)
    return ref, ref.load() if runner is None else runner


def check_options(truncate_dim: Any, normalize: Any, *, normalize_name: str = "normalize") -> None:
    """The encode options every adapter takes, checked when the adapter is built."""
    if truncate_dim is not None and type(truncate_dim) is not int:
        raise TypeError(f"truncate_dim must be an int or None, got {truncate_dim!r}")
    if truncate_dim is not None and truncate_dim < 1:
        raise ValueError(f"truncate_dim must be positive, got {truncate_dim}")
    if not isinstance(normalize, bool):
        raise TypeError(f"{normalize_name} must be True or False, got {normalize!r}")


def check_dim(runner: StaticEmbedRunner, truncate_dim: int | None) -> None:
    """``truncate_dim`` against the loaded model, before the first text is embedded."""
    if truncate_dim is not None and truncate_dim > runner.dim:
        raise ValueError(f"truncate_dim {truncate_dim} exceeds the model's dimension {runner.dim}")


def missing_extra(package: str, extra: str) -> ImportError:
    """The error raised when an adapter's framework is not installed."""
    return ImportError(
        f"this adapter needs {package}, which is not installed: "
        f'pip install "static-embed-runner[{extra}]"'
    )
