"""A runner wrapper for the async tests: it forwards every call to the real runner and records
the thread each ``encode*`` call ran in."""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from static_embed_runner.runner import StaticEmbedRunner


class ThreadRecordingRunner:
    def __init__(self, runner: StaticEmbedRunner) -> None:
        self.runner = runner
        self.threads: list[int] = []

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self.runner, name)
        if not name.startswith("encode"):
            return attribute

        def encode(*args: Any, **kwargs: Any) -> np.ndarray:
            self.threads.append(threading.get_ident())
            return attribute(*args, **kwargs)

        return encode


def as_float32(vectors: list) -> np.ndarray:
    """What a framework got (Python floats) back as float32, for byte-for-byte comparisons."""
    return np.asarray(vectors, dtype=np.float32)
