"""The model an adapter holds: a loaded runner, or a folder / Hub id loaded once, and what travels
with the adapter when its framework serialises it (where the model is, never its table): the
fields of the runner's :class:`~static_embed_runner.source.ModelSource`.

:func:`adapter_model` is what every adapter's constructor does: check the encode options, load
the model (or, for a component that loads in ``warm_up``, only name it), check ``truncate_dim``
against it, and adopt a ``truncate_dim`` set on a given runner, so the adapter's dimension, its
serialised settings and its vectors agree."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from typing import Any, Union

from ..runner import TABLES, StaticEmbedRunner
from ..source import ModelSource
from ..tokenizer.backend import BACKENDS

# A loaded runner, a model folder, a Hub id ("org/name"), or None for the embedded default model.
ModelArg = Union[StaticEmbedRunner, str, "os.PathLike[str]", None]


@dataclass(frozen=True)
class AdapterModel:
    """An adapter's model and encode options. ``reference``, ``revision``, ``table`` and
    ``tokenizer_backend`` are :class:`~static_embed_runner.source.ModelSource`'s (before the
    model is loaded, what it will be loaded from); ``runner`` is None until :meth:`loaded`."""

    reference: str | None
    revision: str | None
    table: str
    tokenizer_backend: str
    truncate_dim: int | None
    runner: StaticEmbedRunner | None = None

    def loaded(self) -> AdapterModel:
        """This model with its runner loaded (itself when it already has one)."""
        if self.runner is not None:
            return self
        runner = StaticEmbedRunner.load(
            self.reference,
            revision=self.revision,
            table=self.table,
            tokenizer_backend=self.tokenizer_backend,  # type: ignore[arg-type]
        )
        return _bind(self, runner)

    @property
    def model_source(self) -> ModelSource | None:
        """The loaded runner's record of its model (None before it is loaded)."""
        return None if self.runner is None else self.runner.model_source


def adapter_model(
    model: ModelArg,
    *,
    revision: str | None = None,
    truncate_dim: Any = None,
    normalize: Any = True,
    normalize_name: str = "normalize",
    table: str = "q4",
    tokenizer_backend: str = "auto",
    load: bool = True,
) -> AdapterModel:
    """The checks and loading every adapter's constructor does (``load=False``: name the model
    only; :meth:`AdapterModel.loaded` loads it later)."""
    check_options(truncate_dim, normalize, normalize_name=normalize_name)
    if table not in TABLES:
        raise ValueError(f"table must be one of {TABLES}, got {table!r}")
    if tokenizer_backend not in BACKENDS:
        raise ValueError(f"tokenizer_backend must be one of {BACKENDS}, got {tokenizer_backend!r}")
    if isinstance(model, StaticEmbedRunner):
        if revision is not None:
            raise ValueError(
                "revision applies to a model path or Hub id; a loaded StaticEmbedRunner already "
                f"has its revision ({model.revision!r})"
            )
        source = model.model_source
        named = AdapterModel(
            None if source is None else source.reference,
            None if source is None else source.revision,
            table if source is None else source.table,
            tokenizer_backend if source is None else source.tokenizer_backend,
            truncate_dim,
        )
        return _bind(named, model)
    if model is not None and not isinstance(model, (str, os.PathLike)):
        raise TypeError(
            "model must be a StaticEmbedRunner, a model folder, a Hub id or None (the embedded "
            f"default model), got {type(model).__name__}"
        )
    if revision is not None and not isinstance(revision, str):
        raise TypeError(f"revision must be a str or None, got {type(revision).__name__}")
    reference, revision = ModelSource.reference_of(model, revision)
    named = AdapterModel(reference, revision, table, tokenizer_backend, truncate_dim)
    return named.loaded() if load else named


def _bind(named: AdapterModel, runner: StaticEmbedRunner) -> AdapterModel:
    """``named`` holding ``runner``: ``truncate_dim`` checked against it, and a None
    ``truncate_dim`` replaced by the runner's own (the dimension its ``encode`` returns)."""
    return replace(named, runner=runner, truncate_dim=runner_dim(runner, named.truncate_dim))


def runner_dim(runner: StaticEmbedRunner, truncate_dim: int | None) -> int | None:
    """``truncate_dim`` checked against ``runner`` (None: the runner's own ``truncate_dim``)."""
    if truncate_dim is None:
        return runner.truncate_dim
    if truncate_dim > runner.dim:
        raise ValueError(f"truncate_dim {truncate_dim} exceeds the model's dimension {runner.dim}")
    return truncate_dim


def check_options(truncate_dim: Any, normalize: Any, *, normalize_name: str = "normalize") -> None:
    """The encode options every adapter takes, checked when the adapter is built."""
    if truncate_dim is not None and type(truncate_dim) is not int:
        raise TypeError(f"truncate_dim must be an int or None, got {truncate_dim!r}")
    if truncate_dim is not None and truncate_dim < 1:
        raise ValueError(f"truncate_dim must be positive, got {truncate_dim}")
    if not isinstance(normalize, bool):
        raise TypeError(f"{normalize_name} must be True or False, got {normalize!r}")


def missing_extra(package: str, extra: str) -> ImportError:
    """The error raised when an adapter's framework is not installed."""
    return ImportError(
        f"this adapter needs {package}, which is not installed: "
        f'pip install "static-embed-runner[{extra}]"'
    )
