"""Encoding on several processes (:class:`EncodePool`) and batch by batch (:func:`iter_batches`).

The pure-Python tokenizer holds the GIL, so one process tokenizes on one core. A pool starts
worker processes that each load the model again from its files (:class:`~.source.ModelSource`):
memory-mapped tables are then shared through the page cache, not pickled or copied. The parent
cuts the texts into chunks, keeps every worker busy with one chunk at a time, and puts the
results back in input order; each worker runs the same ``encode`` on its chunk, and a text gets
the same bits alone or in any batch, so the output is bit-identical to one process.

Failures never hang the caller: the parent waits on each busy worker's pipe *and* its process
sentinel, so a worker that dies (killed, out of memory) is noticed at once and reported as a
:class:`~.errors.WorkerError` naming its exit status; the pool then closes. An exception raised
inside a worker (a text the tokenizer rejects, for example) is raised again in the caller with
the worker's traceback attached, and the pool stays usable. Works with the ``fork``, ``spawn``
and ``forkserver`` start methods.

>>> with runner.pool(2) as pool:  # doctest: +SKIP
...     vectors = pool.encode(texts)
"""

from __future__ import annotations

import contextlib
import math
import multiprocessing
import os
import signal
import traceback
import weakref
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from multiprocessing.connection import Connection, wait
from typing import TYPE_CHECKING, Any

import numpy as np

from .errors import WorkerError
from .progress import Progress

if TYPE_CHECKING:
    from multiprocessing.process import BaseProcess

    from .runner import StaticEmbedRunner
    from .source import ModelSource
    from .store import EmbeddingStore

DEFAULT_BATCH_SIZE = 1024
_CHUNKS_PER_WORKER = 4  # chunks a list is cut into per worker, so the last ones end together
_STOP_SECONDS = 5.0


@dataclass
class _Worker:
    index: int
    process: BaseProcess
    conn: Connection


@dataclass
class _Job:
    """Texts to compute and how to turn their vectors into the batch's result (a store fills in
    the vectors it already holds; without one, the result is the computed array itself)."""

    texts: list[str]
    complete: Callable[[np.ndarray], np.ndarray]


def _identity(vectors: np.ndarray) -> np.ndarray:
    return vectors


class _RemoteTraceback(Exception):
    """The traceback of an exception raised in a worker, attached as its ``__cause__``."""

    def __str__(self) -> str:
        return str(self.args[0])


class EncodePool:
    """``workers`` processes encoding for ``runner`` (built by :meth:`StaticEmbedRunner.load`).

    Use it as a context manager, or call :meth:`close`. One call at a time: a pool is not shared
    between threads. ``start_method``: ``"fork"``, ``"spawn"``, ``"forkserver"`` or None (the
    platform's default). ``worker_pids`` lists the workers' process ids (to watch their memory).
    """

    def __init__(
        self, runner: StaticEmbedRunner, workers: int, *, start_method: str | None = None
    ) -> None:
        check_workers(workers)
        source = runner.model_source
        if source is None:
            raise ValueError(
                "an encode pool reloads the model from its files in every worker: build the "
                "runner with StaticEmbedRunner.load"
            )
        context = multiprocessing.get_context(start_method)
        self.runner = runner
        self._workers: list[_Worker] = []
        self._closed: str | None = None
        self._busy = False
        self._finalizer = weakref.finalize(self, _stop, self._workers)
        try:
            for index in range(workers):
                parent, child = context.Pipe()
                process = context.Process(
                    target=_serve,
                    args=(child, source),
                    name=f"static-embed-runner-worker-{index}",
                    daemon=True,
                )
                process.start()
                child.close()
                self._workers.append(_Worker(index, process, parent))
            for worker in self._workers:
                self._receive(worker, "while loading the model")
        except BaseException:
            self.close()
            raise

    @property
    def workers(self) -> int:
        return len(self._workers)

    @property
    def worker_pids(self) -> list[int]:
        return [worker.process.pid for worker in self._workers if worker.process.pid]

    def __enter__(self) -> EncodePool:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the workers (they finish nothing more) and wait for them to exit."""
        if self._closed is None:
            self._closed = "it was closed"
        self._finalizer()

    def encode(
        self, texts: str | Iterable[str], *, store: EmbeddingStore | None = None, **options: Any
    ) -> np.ndarray:
        """:meth:`StaticEmbedRunner.encode` on the workers: the same arguments, the same bits.
        ``store``: return the vectors it holds and compute only the others (see
        :class:`~.store.EmbeddingStore`)."""
        from .runner import _check_texts

        _refuse_workers(options)
        batch = _check_texts(texts)
        show_progress_bar = options.pop("show_progress_bar", None)
        self.runner.encode([], **options)  # checks every option before any work
        if isinstance(texts, str) and store is None:
            return self.runner.encode(texts, **options)
        progress = Progress(enabled=bool(show_progress_bar), total=len(batch), delay=0.0)
        options, finish = _split_options(self.runner, options)
        empty = self.runner.encode([], **options)
        job = _plan(self.runner, batch, options, store)
        progress.update(len(batch) - len(job.texts))  # the vectors the store holds
        vectors = job.complete(self._encode_list(job.texts, options, empty, progress))
        progress.close()
        return finish(vectors[0] if isinstance(texts, str) else vectors)

    def encode_query(self, texts: str | Iterable[str], **options: Any) -> np.ndarray:
        """:meth:`StaticEmbedRunner.encode_query` on the workers."""
        from .runner import _for_role

        return self.encode(texts, **_for_role("query", options, self.runner.prompts))

    def encode_document(self, texts: str | Iterable[str], **options: Any) -> np.ndarray:
        """:meth:`StaticEmbedRunner.encode_document` on the workers."""
        from .runner import _for_role

        return self.encode(texts, **_for_role("document", options, self.runner.prompts))

    def encode_iter(
        self,
        texts: Iterable[str],
        *,
        batch_size: int = DEFAULT_BATCH_SIZE,
        store: EmbeddingStore | None = None,
        **options: Any,
    ) -> Iterator[np.ndarray]:
        """:func:`iter_batches` on the workers: one ``(batch_size, dim)`` array per
        ``batch_size`` texts (the last one shorter), in order; at most two batches per worker
        are read ahead, so memory stays bounded for an input of any length."""
        _refuse_workers(options)
        self.runner.encode([], batch_size=batch_size, **options)
        options, finish = _split_options(self.runner, options)
        jobs = _jobs(self.runner, texts, batch_size, options, store)
        return _mapped(finish, self._ordered(jobs, {**options, "batch_size": batch_size}))

    def encode_batches(
        self,
        batches: Iterable[list[str]],
        *,
        store: EmbeddingStore | None = None,
        **options: Any,
    ) -> Iterator[np.ndarray]:
        """One array per list of texts in ``batches``, in order (the batches as the caller cut
        them; at most two per worker are read ahead)."""
        _refuse_workers(options)
        self.runner.encode([], **options)
        options, finish = _split_options(self.runner, options)
        jobs = (_plan(self.runner, list(batch), options, store) for batch in batches)
        return _mapped(finish, self._ordered(jobs, options))

    def _encode_list(
        self, texts: list[str], options: dict, empty: np.ndarray, progress: Progress
    ) -> np.ndarray:
        if not texts:
            return empty
        batch_size = options.get("batch_size", DEFAULT_BATCH_SIZE)
        size = max(1, min(batch_size, math.ceil(len(texts) / (_CHUNKS_PER_WORKER * self.workers))))
        starts = range(0, len(texts), size)
        jobs = (_Job(texts[start : start + size], _identity) for start in starts)
        out = np.empty((len(texts), empty.shape[1]), dtype=np.float32)
        for start, vectors in zip(starts, self._ordered(jobs, options), strict=True):
            out[start : start + len(vectors)] = vectors
            progress.update(len(vectors))
        return out

    def _ordered(self, jobs: Iterator[_Job], options: dict) -> Iterator[np.ndarray]:
        """Each job's result, in order: every idle worker gets the next job while fewer than two
        jobs per worker are unfinished or waiting to be yielded."""
        self._check_open()
        if self._busy:
            raise RuntimeError("this encode pool is already running a call (one at a time)")
        self._busy = True
        window = 2 * self.workers
        idle = list(reversed(self._workers))
        busy: dict[int, tuple[_Worker, int, _Job]] = {}
        done: dict[int, np.ndarray] = {}
        sent = yielded = 0
        more = True
        waiting: _Job | None = None  # read, but no worker was idle
        try:
            while True:
                while more and sent - yielded < window:
                    job = waiting or next(jobs, None)
                    waiting = None
                    if job is None:
                        more = False
                    elif not job.texts:
                        done[sent] = job.complete(np.empty((0, 0), dtype=np.float32))
                        sent += 1
                    elif idle:
                        worker = idle.pop()
                        self._send(worker, (job.texts, options))
                        busy[worker.index] = (worker, sent, job)
                        sent += 1
                    else:
                        waiting = job
                        break
                while yielded in done:
                    yield done.pop(yielded)
                    yielded += 1
                if not busy:
                    if not more:
                        return
                    continue
                for worker in self._ready([entry[0] for entry in busy.values()]):
                    _, seq, job = busy.pop(worker.index)
                    idle.append(worker)
                    done[seq] = job.complete(self._receive(worker, "while encoding"))
        finally:
            self._drain([entry[0] for entry in busy.values()])
            self._busy = False

    def _check_open(self) -> None:
        if self._closed is not None:
            raise WorkerError(f"this encode pool is closed: {self._closed}")

    def _send(self, worker: _Worker, message: object) -> None:
        try:
            worker.conn.send(message)
        except (BrokenPipeError, ConnectionResetError, EOFError):
            self._fail(worker, "while encoding")

    def _ready(self, workers: list[_Worker]) -> list[_Worker]:
        """The busy workers that answered or died, waiting until at least one did."""
        by_handle: dict[object, _Worker] = {}
        for worker in workers:
            by_handle[worker.conn] = worker
            by_handle[worker.process.sentinel] = worker
        ready = wait(list(by_handle))
        seen: dict[int, _Worker] = {}
        for handle in ready:
            worker = by_handle[handle]
            seen[worker.index] = worker
        return list(seen.values())

    def _receive(self, worker: _Worker, doing: str) -> Any:
        """The worker's answer: a result, or the exception it raised, raised here."""
        while True:
            try:
                if worker.conn.poll():
                    status, value, remote = worker.conn.recv()
                    break
            except (EOFError, OSError):
                self._fail(worker, doing)
            if not worker.process.is_alive():
                self._fail(worker, doing)
            wait([worker.conn, worker.process.sentinel])
        if status == "error":
            if doing == "while loading the model":
                self._closed = f"worker {worker.index} could not load the model"
            value.__cause__ = _RemoteTraceback(f"in worker process {worker.process.pid}:\n{remote}")
            raise value
        return value

    def _fail(self, worker: _Worker, doing: str) -> None:
        worker.process.join(_STOP_SECONDS)
        for other in self._workers:
            if other.process.is_alive():
                other.process.terminate()
        how = _describe_exit(worker.process.exitcode)
        self._closed = f"worker {worker.index} (pid {worker.process.pid}) {how}"
        self._finalizer()
        raise WorkerError(
            f"worker {worker.index} (pid {worker.process.pid}) of the encode pool {how} {doing}; "
            f"the pool is closed"
        )

    def _drain(self, workers: list[_Worker]) -> None:
        """Wait for the answers still owed by ``workers`` (after an error or an abandoned
        :meth:`encode_iter`) and drop them, so the next call starts clean."""
        for worker in workers:
            if self._closed is not None:
                return
            try:
                self._receive(worker, "while finishing an interrupted call")
            except WorkerError:
                return
            except Exception:  # the first error was already raised
                continue


def check_workers(workers: object) -> int:
    """``workers`` checked to be a positive int (TypeError for another type)."""
    if isinstance(workers, bool) or not isinstance(workers, int):
        raise TypeError(f"workers must be a positive int, got {workers!r}")
    if workers < 1:
        raise ValueError(f"workers must be a positive int, got {workers}")
    return workers


def _refuse_workers(options: dict) -> None:
    if "workers" in options:
        raise TypeError(
            "a pool's methods take no workers argument: the pool already has its processes "
            "(start another pool for another number)"
        )


def _describe_exit(code: int | None) -> str:
    if code is None:
        return "stopped answering"
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"was killed by {name}"
    return f"exited with status {code}"


def _stop(workers: list[_Worker]) -> None:
    """Ask every worker to exit, wait a little, then terminate the ones still running."""
    for worker in workers:
        with contextlib.suppress(OSError, EOFError):
            worker.conn.send(None)
    for worker in workers:
        worker.process.join(_STOP_SECONDS)
        if worker.process.is_alive():
            worker.process.terminate()
            worker.process.join(_STOP_SECONDS)
        worker.conn.close()


def _serve(conn: Connection, source: ModelSource) -> None:
    """A worker's life: load the model, then encode every chunk received until told to stop
    (``None``) or the parent goes away."""
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")  # the pool is the parallelism
    try:
        runner = source.load()
    except Exception as exc:  # sent to the parent, which raises it
        _answer(conn, "error", exc)
        return
    _answer(conn, "ready", os.getpid())
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        texts, options = message
        try:
            vectors = runner.encode(texts, **options)
        except Exception as exc:  # sent to the parent, which raises it
            _answer(conn, "error", exc)
        else:
            _answer(conn, "ok", vectors)


def _answer(conn: Connection, status: str, value: object) -> None:
    remote = traceback.format_exc() if status == "error" else ""
    try:
        conn.send((status, value, remote))
    except (BrokenPipeError, ConnectionResetError):
        return
    except Exception:  # an exception that cannot be pickled
        conn.send((status, RuntimeError(f"{type(value).__name__}: {value}"), remote))


def iter_batches(
    runner: StaticEmbedRunner,
    texts: Iterable[str],
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    store: EmbeddingStore | None = None,
    **options: Any,
) -> Iterator[np.ndarray]:
    """One ``(batch_size, dim)`` array per ``batch_size`` texts of ``texts`` (the last one
    shorter), in one process; only one batch is held at a time. Arguments are checked now,
    texts as they are read."""
    runner.encode([], batch_size=batch_size, **options)
    options, finish = _split_options(runner, options)
    jobs = _jobs(runner, texts, batch_size, options, store)
    options = {**options, "batch_size": batch_size}
    return (finish(job.complete(runner.encode(job.texts, **options))) for job in jobs)


def _jobs(
    runner: StaticEmbedRunner,
    texts: Iterable[str],
    batch_size: int,
    options: dict,
    store: EmbeddingStore | None,
) -> Iterator[_Job]:
    """Batches of ``batch_size`` texts as jobs (``texts`` checked now, its items as read)."""
    if isinstance(texts, (str, bytes, bytearray)) or not isinstance(texts, Iterable):
        raise TypeError(f"texts must be an iterable of str, got {type(texts).__name__}")
    return _job_stream(runner, iter(texts), batch_size, options, store)


def _job_stream(
    runner: StaticEmbedRunner,
    iterator: Iterator[object],
    batch_size: int,
    options: dict,
    store: EmbeddingStore | None,
) -> Iterator[_Job]:
    offset = 0
    while batch := list(islice(iterator, batch_size)):
        for index, text in enumerate(batch):
            if not isinstance(text, str):
                kind = type(text).__name__
                raise TypeError(f"texts[{offset + index}] must be a str, got {kind}")
        offset += len(batch)
        yield _plan(runner, batch, {**options, "batch_size": batch_size}, store)


def _mapped(finish: Callable[[np.ndarray], Any], stream: Iterator[np.ndarray]) -> Iterator[Any]:
    """``finish`` of each array of ``stream``; closing this closes ``stream``."""
    try:
        for vectors in stream:
            yield finish(vectors)
    finally:
        stream.close()  # type: ignore[attr-defined]


_OUTPUT_OPTIONS = ("precision", "convert_to_numpy", "convert_to_tensor", "show_progress_bar")


def _split_options(
    runner: StaticEmbedRunner, options: dict
) -> tuple[dict, Callable[[np.ndarray], Any]]:
    """(the options workers compute float32 vectors with, the step that turns those into what
    ``encode`` returns: quantized or converted to torch in the caller, over the whole result).
    The runner's own ``truncate_dim`` default is made explicit, since workers load the model
    afresh."""
    from .quantize import quantize_embeddings
    from .runner import _to_torch

    compute = {name: value for name, value in options.items() if name not in _OUTPUT_OPTIONS}
    compute["truncate_dim"] = runner._check_truncate_dim(compute.get("truncate_dim"))
    precision = options.get("precision", "float32")
    tensor = options.get("convert_to_tensor", False)
    numpy = options.get("convert_to_numpy", True)

    def finish(vectors: np.ndarray) -> Any:
        if precision != "float32":
            vectors = quantize_embeddings(vectors, precision)
        if tensor or not numpy:
            return _to_torch(vectors, as_list=not tensor)
        return vectors

    return compute, finish


def _plan(
    runner: StaticEmbedRunner, batch: list[str], options: dict, store: EmbeddingStore | None
) -> _Job:
    if store is None:
        return _Job(batch, _identity)
    return _Job(*store.plan(runner, batch, options))


def _encode_showing(
    runner: StaticEmbedRunner, batch: list[str], texts: list[str], options: dict
) -> np.ndarray:
    """``runner.encode(texts, **options)``, a batch at a time, with a progress bar over all of
    ``batch`` (the texts not in ``texts`` came from the store: done at once)."""
    progress = Progress(enabled=True, total=len(batch), delay=0.0)
    progress.update(len(batch) - len(texts))
    step = options.get("batch_size", DEFAULT_BATCH_SIZE)
    parts = [runner.encode([], **options)]
    for start in range(0, len(texts), step):
        parts.append(runner.encode(texts[start : start + step], **options))
        progress.update(len(parts[-1]))
    progress.close()
    return np.concatenate(parts)


def iter_batches_on_pool(
    runner: StaticEmbedRunner,
    workers: int,
    texts: Iterable[str],
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    store: EmbeddingStore | None = None,
    **options: Any,
) -> Iterator[np.ndarray]:
    """:func:`iter_batches` on a pool of ``workers`` processes started when iteration starts and
    closed when it ends (or is abandoned). Arguments are checked now."""
    check_workers(workers)
    runner.encode([], batch_size=batch_size, **options)
    options, finish = _split_options(runner, options)
    jobs = _jobs(runner, texts, batch_size, options, store)
    stream = _on_new_pool(runner, workers, jobs, {**options, "batch_size": batch_size})
    return _mapped(finish, stream)


def _on_new_pool(
    runner: StaticEmbedRunner, workers: int, jobs: Iterator[_Job], options: dict
) -> Iterator[np.ndarray]:
    with EncodePool(runner, workers) as pool:
        yield from pool._ordered(jobs, options)


def encode_once(
    runner: StaticEmbedRunner,
    texts: str | Iterable[str],
    workers: int | None,
    store: EmbeddingStore | None,
    options: dict,
) -> np.ndarray:
    """``runner.encode(texts, workers=..., store=...)``: through a pool started for this call
    (``workers`` > 1) and/or a store."""
    from .runner import _check_texts

    if workers is not None:
        check_workers(workers)
    show_progress_bar = options.pop("show_progress_bar", None)
    runner.encode([], **options)
    if workers is None or workers == 1:
        batch = _check_texts(texts)
        job = _plan(runner, batch, options, store)
        if show_progress_bar:
            computed = _encode_showing(runner, batch, job.texts, options)
        else:
            computed = runner.encode(job.texts, **options)
        vectors = job.complete(computed)
        return vectors[0] if isinstance(texts, str) else vectors
    if isinstance(texts, str) and store is None:
        return runner.encode(texts, **options)
    batch = _check_texts(texts)
    if not batch:  # nothing to encode: no processes to start
        return runner.encode(batch, **options)
    with EncodePool(runner, workers) as pool:
        one = batch[0] if isinstance(texts, str) else batch
        return pool.encode(one, store=store, show_progress_bar=show_progress_bar, **options)
