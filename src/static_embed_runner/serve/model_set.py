"""The set of models a server offers, shared by its worker processes through one JSON file.

An admin route in any worker rewrites the file (under an exclusive ``flock``, replaced
atomically); every worker compares the file's inode, time and size before it answers a request
and re-reads it when they changed, so all workers offer the same names. Without a file (one process)
the set lives in memory only.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

from .settings import ModelSpec


class ModelSet:
    """Ordered model specs by name (the first is the default), optionally backed by a file."""

    def __init__(self, specs: list[ModelSpec], path: Path | None = None) -> None:
        self._specs = {spec.name: spec for spec in specs}
        self._path = path
        self._seen: tuple[int, int, int] | None = None
        if path is not None:
            with self._locked():
                if path.exists():
                    self._read()
                else:
                    self._write()

    def specs(self) -> list[ModelSpec]:
        self.refresh()
        return list(self._specs.values())

    def get(self, name: str) -> ModelSpec | None:
        self.refresh()
        return self._specs.get(name)

    def first(self) -> ModelSpec | None:
        self.refresh()
        return next(iter(self._specs.values()), None)

    def update(self, change: Callable[[dict[str, ModelSpec]], None]) -> None:
        """Apply ``change`` to the name -> spec mapping, for every worker."""
        with self._locked():
            if self._path is not None:
                self._read()
            change(self._specs)
            if self._path is not None:
                self._write()

    def refresh(self) -> None:
        """Re-read the file if another worker changed it (one ``stat`` otherwise)."""
        if self._path is None:
            return
        if _signature(self._path) != self._seen:
            with self._locked(shared=True):
                self._read()

    @contextmanager
    def _locked(self, shared: bool = False):
        """An flock on a side file where the system has one (not Windows: there, writes are
        only atomic replacements, and two admin changes at once may lose one)."""
        try:
            import fcntl
        except ImportError:
            fcntl = None
        if self._path is None or fcntl is None:
            yield
            return
        with open(self._path.with_suffix(".lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_SH if shared else fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _read(self) -> None:
        self._seen = _signature(self._path)
        entries = json.loads(self._path.read_text(encoding="utf-8"))
        self._specs = {name: ModelSpec(name, source) for name, source in entries}

    def _write(self) -> None:
        temporary = self._path.with_suffix(".tmp")
        entries = [[spec.name, spec.source] for spec in self._specs.values()]
        temporary.write_text(json.dumps(entries), encoding="utf-8")
        os.replace(temporary, self._path)
        self._seen = _signature(self._path)


def _signature(path: Path) -> tuple[int, int, int]:
    """What changes with every write: each one replaces the file by a new inode."""
    stat = os.stat(path)
    return stat.st_ino, stat.st_mtime_ns, stat.st_size
