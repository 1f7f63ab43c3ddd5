"""What a server is started with: the models it serves and its limits, with their defaults."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_MODEL_NAME = "static-embed-runner/default"
API_KEY_ENV = "STATIC_EMBED_RUNNER_API_KEY"
ADMIN_KEY_ENV = "STATIC_EMBED_RUNNER_ADMIN_KEY"
_NAME = re.compile(r"^[A-Za-z0-9][\w.:/-]*$")


@dataclass(frozen=True)
class ModelSpec:
    """One served model: the name clients ask for and where it loads from (a folder, a Hub id,
    or None for the embedded default model)."""

    name: str
    source: str | None

    @classmethod
    def parse(cls, text: str) -> ModelSpec:
        """``name=path`` serves ``path`` as ``name``; a bare folder is served under its folder
        name, a Hub id (``org/name``) under the id."""
        if "=" in text:
            name, _, source = text.partition("=")
            check_name(name)
            if not source:
                raise ValueError(f"{text!r}: nothing after '=' (expected name=path)")
            return cls(name, source)
        path = Path(text).expanduser()
        if path.is_dir():
            return cls(path.resolve().name, text)
        return cls(text, text)


def check_name(name: str) -> None:
    """A served model's name: a letter or digit, then letters, digits and ``. _ - : /``."""
    if not _NAME.match(name):
        raise ValueError(
            f"model name {name!r} must start with a letter or digit and hold only letters, "
            f"digits and . _ - : /"
        )


@dataclass(frozen=True)
class ServeSettings:
    """A server's models and limits. Every limit is enforced per request before any work is
    queued; the queue itself holds at most ``max_concurrent_requests`` requests."""

    models: list[str | ModelSpec] = field(default_factory=list)
    table: str = "q4"
    tokenizer_backend: str = "auto"
    # micro-batching
    max_batch_texts: int = 1024
    max_batch_tokens: int = 65536
    batch_wait_ms: float = 0.0
    # limits
    max_concurrent_requests: int = 512
    max_body_bytes: int = 2_000_000
    max_inputs: int = 2048
    max_input_chars: int = 100_000
    api_key: str | None = None
    # embedding cache shared by the models, in bytes (0: no cache)
    cache_bytes: int = 0
    # model management: unload a model idle this many seconds (None: never); the admin routes'
    # key (None: admin routes disabled); the folder where workers share the offered models
    keep_alive: float | None = None
    admin_key: str | None = None
    state_dir: str | None = None

    def __post_init__(self) -> None:
        for name in (
            "max_batch_texts",
            "max_batch_tokens",
            "max_concurrent_requests",
            "max_body_bytes",
            "max_inputs",
            "max_input_chars",
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        if (
            isinstance(self.cache_bytes, bool)
            or not isinstance(self.cache_bytes, int)
            or (self.cache_bytes < 0)
        ):
            raise ValueError(f"cache_bytes must be an integer >= 0, got {self.cache_bytes!r}")
        if not self.batch_wait_ms >= 0:
            raise ValueError(f"batch_wait_ms must be >= 0, got {self.batch_wait_ms!r}")
        if self.api_key == "" or self.admin_key == "":
            raise ValueError("api_key and admin_key must not be empty (leave them unset)")
        if self.keep_alive is not None and not self.keep_alive >= 0:
            raise ValueError(f"keep_alive must be >= 0 seconds or None, got {self.keep_alive!r}")

    def model_specs(self) -> list[ModelSpec]:
        """The served models in order (the first is the default); the embedded default model
        when none is given. Two models with one name are an error."""
        specs = [m if isinstance(m, ModelSpec) else ModelSpec.parse(m) for m in self.models]
        if not specs:
            specs = [ModelSpec(DEFAULT_MODEL_NAME, None)]
        seen: set[str] = set()
        for spec in specs:
            if spec.name in seen:
                raise ValueError(
                    f"two models are served as {spec.name!r}: give one of them another name "
                    f"with name=path"
                )
            seen.add(spec.name)
        return specs

    def resolved_api_key(self) -> str | None:
        """The key clients must send: the setting, else ``$STATIC_EMBED_RUNNER_API_KEY``."""
        return self.api_key or os.environ.get(API_KEY_ENV) or None

    def resolved_admin_key(self) -> str | None:
        """The admin routes' key: the setting, else ``$STATIC_EMBED_RUNNER_ADMIN_KEY``."""
        return self.admin_key or os.environ.get(ADMIN_KEY_ENV) or None
