"""Micro-batching: requests for one model queue up and a compute thread merges them into as few
``encode`` calls as their options allow, off the event loop.

The thread takes every waiting request (with ``batch_wait_ms``, once that long has passed since the
first of them arrived, or sooner if they fill a batch) until the batch holds ``max_batch_texts``
texts or ``max_batch_tokens`` tokens; a request that would overflow either waits for the next
batch, and one larger than both runs alone. Each request is
tokenized as it joins (so token counts are exact), requests with equal options are pooled in one
call, and results go back to the event loop. A request whose client has gone is skipped. The
queue holds at most as many requests as the server admits (see ``max_concurrent_requests``).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import astuple, dataclass, field

import numpy as np

from ..cache import EmbeddingCache, cache_keys
from ..runner import StaticEmbedRunner
from .errors import ApiError, invalid
from .requests import EmbedJob, Options


@dataclass
class Timings:
    """Seconds one request spent waiting in the queue, tokenizing and pooling (the pooling of
    its batch group)."""

    queue: float = 0.0
    tokenize: float = 0.0
    pool: float = 0.0


@dataclass
class Result:
    vectors: np.ndarray
    tokens: int
    timings: Timings


@dataclass
class _Pending:
    """A queued job; once tokenized, ``ids`` holds the ids of the items it must compute: all of
    them, or (with a cache) those ``found`` has no entry for, whose cache ``keys`` are kept."""

    job: EmbedJob
    future: asyncio.Future
    loop: asyncio.AbstractEventLoop
    enqueued: float
    ids: list[list[int]] | None = None
    keys: list[bytes] | None = None
    found: list[tuple[np.ndarray, int | None] | None] | None = None
    timings: Timings = field(default_factory=Timings)

    def missing_keys(self) -> list[bytes | None]:
        """The cache key of each item in ``ids`` (None where the job is not cached)."""
        if self.keys is None:
            return [None] * len(self.ids)
        return [key for key, entry in zip(self.keys, self.found, strict=True) if entry is None]

    def resolve(self, value: Result | BaseException) -> None:
        self.loop.call_soon_threadsafe(_settle, self.future, value)


def _settle(future: asyncio.Future, value: Result | BaseException) -> None:
    if future.done():
        return
    if isinstance(value, BaseException):
        future.set_exception(value)
    else:
        future.set_result(value)


class BatchObserver:
    """What the batcher reports (the metrics module implements it)."""

    def batch(self, texts: int, tokens: int) -> None: ...

    def dropped(self) -> None: ...

    def shared(self, inputs: int) -> None:
        """``inputs`` were answered by another request's computation in the same batch."""

    def computing(self, inputs: int) -> None:
        """``inputs`` distinct cached-to-be inputs are being computed now (0: none)."""


class Batcher:
    """One model's queue and compute thread."""

    def __init__(
        self,
        runner: StaticEmbedRunner,
        *,
        max_batch_texts: int,
        max_batch_tokens: int,
        batch_wait_ms: float,
        observer: BatchObserver | None = None,
        cache: EmbeddingCache | None = None,
        name: str = "model",
    ) -> None:
        self.runner = runner
        self._cache = cache
        self._max_texts = max_batch_texts
        self._max_tokens = max_batch_tokens
        self._wait = batch_wait_ms / 1000.0
        self._observer = observer or BatchObserver()
        self._queue: deque[_Pending] = deque()
        self._queued_texts = 0
        self._ready = threading.Condition()
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name=f"batcher-{name}", daemon=True)
        self._thread.start()

    def submit(self, job: EmbedJob) -> asyncio.Future:
        """Queue ``job``; the future resolves to a :class:`Result` or an :class:`ApiError`.
        Cancelling the future (the client went away) drops the job if it has not started."""
        loop = asyncio.get_running_loop()
        pending = _Pending(job, loop.create_future(), loop, time.perf_counter())
        with self._ready:
            if self._stopping:
                raise RuntimeError("the batcher has stopped")
            self._queue.append(pending)
            self._queued_texts += len(job.items)
            self._ready.notify()
        return pending.future

    def cached(self, job: EmbedJob) -> Result | None:
        """The job's answer straight from the cache when it holds every input, else None."""
        keys = self._keys(job)
        if keys is None:
            return None
        entries = self._cache.lookup(keys, all_or_nothing=True)
        if entries is None:
            return None
        vectors = np.stack([vector for vector, _ in entries])
        return Result(vectors, sum(tokens for _, tokens in entries), Timings())

    def _keys(self, job: EmbedJob) -> list[bytes] | None:
        """Cache keys of a job's texts; None without a cache or for token-id inputs."""
        if self._cache is None or not all(isinstance(item, str) for item in job.items):
            return None
        return cache_keys(self.runner.fingerprint, astuple(job.options), job.items)

    def stop(self) -> None:
        """Finish every queued job, then end the thread."""
        with self._ready:
            self._stopping = True
            self._ready.notify()
        self._thread.join()

    def _run(self) -> None:
        carried: _Pending | None = None
        while True:
            with self._ready:
                while not self._queue and carried is None and not self._stopping:
                    self._ready.wait()
                if not self._queue and carried is None:
                    return
                if self._wait and carried is None:
                    self._wait_for_company()
            batch, carried = self._collect(carried)
            if batch:
                self._compute(batch)

    def _wait_for_company(self) -> None:
        """Hold the batch until ``batch_wait_ms`` after its first request arrived (not after
        this thread woke, so a lone request waits no longer than that, plus the system's
        timer wake-up), or until it is full. Called with the condition held."""
        deadline = self._queue[0].enqueued + self._wait
        while not self._stopping and self._queued_texts < self._max_texts:
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                return
            self._ready.wait(remaining)

    def _collect(self, carried: _Pending | None) -> tuple[list[_Pending], _Pending | None]:
        """Take jobs (tokenizing each) until the next one would overflow the batch's bounds."""
        batch: list[_Pending] = []
        texts = tokens = 0
        while True:
            if carried is not None:
                pending, carried = carried, None
            else:
                with self._ready:
                    if not self._queue:
                        return batch, None
                    pending = self._queue.popleft()
                    self._queued_texts -= len(pending.job.items)
                if pending.future.done():  # the client went away (or the request was cancelled)
                    self._observer.dropped()
                    continue
                if not self._tokenize(pending):
                    continue
            count = len(pending.ids)
            size = sum(map(len, pending.ids))
            if batch and (texts + count > self._max_texts or tokens + size > self._max_tokens):
                return batch, pending
            batch.append(pending)
            texts += count
            tokens += size

    def _tokenize(self, pending: _Pending) -> bool:
        """Fill ``pending.ids``; False (and the request answered) when it fails."""
        started = time.perf_counter()
        pending.timings.queue = started - pending.enqueued
        job = pending.job
        try:
            pending.keys = self._keys(job)
            if pending.keys is None:
                pending.ids = _token_ids(self.runner, job, range(len(job.items)))
            else:
                pending.found = self._cache.lookup(pending.keys)
                todo = [i for i, entry in enumerate(pending.found) if entry is None]
                missing = EmbedJob(job.model, [job.items[i] for i in todo], job.options)
                pending.ids = _token_ids(self.runner, missing, todo) if todo else []
        except ApiError as exc:
            pending.resolve(exc)
            return False
        except (ValueError, TypeError) as exc:  # the runner's own checks
            pending.resolve(invalid(str(exc), tei_type="Tokenizer"))
            return False
        except Exception as exc:
            pending.resolve(exc)
            return False
        pending.timings.tokenize = time.perf_counter() - started
        return True

    def _compute(self, batch: list[_Pending]) -> None:
        pooled = pooled_tokens = 0
        groups: dict[Options, list[_Pending]] = {}
        for pending in batch:
            groups.setdefault(pending.job.options, []).append(pending)
        for options, members in groups.items():
            started = time.perf_counter()
            # Each distinct input is pooled once: members sharing a cache key share its row.
            shared = 0
            rows: list[list[int]] = []
            slots: dict[bytes, int] = {}
            member_rows: list[list[int]] = []
            for pending in members:
                mine = []
                for key, seq in zip(pending.missing_keys(), pending.ids, strict=True):
                    if key is not None and key in slots:
                        mine.append(slots[key])
                        shared += 1
                        continue
                    if key is not None:
                        slots[key] = len(rows)
                    mine.append(len(rows))
                    rows.append(seq)
                member_rows.append(mine)
            pooled += len(rows)
            pooled_tokens += sum(map(len, rows))
            if slots:
                self._observer.shared(shared)
                self._observer.computing(len(slots))
            try:
                # ids from the tokenizer, or a client's checked in _token_ids
                vectors = self.runner._embed_known_ids(rows, options.normalize, options.dimensions)
            except Exception as exc:
                for pending in members:
                    pending.resolve(exc)
                continue
            finally:
                if slots:
                    self._observer.computing(0)
            elapsed = time.perf_counter() - started
            for pending, mine in zip(members, member_rows, strict=True):
                pending.timings.pool = elapsed
                pending.resolve(self._result(pending, vectors, mine))
        self._observer.batch(pooled, pooled_tokens)

    def _result(self, pending: _Pending, vectors: np.ndarray, mine: list[int]) -> Result:
        """A job's vectors in input order: its computed rows (stored in the cache) and, with a
        cache, the entries found there."""
        contiguous = bool(mine) and mine[-1] - mine[0] + 1 == len(mine)
        computed = vectors[mine[0] : mine[-1] + 1] if contiguous else vectors[mine]
        tokens = sum(map(len, pending.ids))
        if pending.keys is None:
            return Result(computed, tokens, pending.timings)
        out = np.empty((len(pending.found), vectors.shape[1]), dtype=np.float32)
        rows = iter(zip(pending.missing_keys(), computed, pending.ids, strict=True))
        for index, entry in enumerate(pending.found):
            if entry is None:
                key, row, seq = next(rows)
                self._cache.put(key, row, len(seq))
                out[index] = row
            else:
                out[index] = entry[0]
                tokens += entry[1]
        return Result(out, tokens, pending.timings)


def _token_ids(
    runner: StaticEmbedRunner, job: EmbedJob, positions: Sequence[int]
) -> list[list[int]]:
    """Each item's ids: a text through ``runner.token_ids`` with the job's options, a token-id
    list as given (checked against the vocabulary and, where asked, the model's limit). Errors
    name an item by its position in the request, ``positions[i]`` for ``job.items[i]``."""
    options = job.options
    texts = [item for item in job.items if isinstance(item, str)]
    if len(texts) == len(job.items):
        ids = _text_ids(runner, texts, options)
    else:
        text_ids = iter(_text_ids(runner, texts, options) if texts else [])
        ids = [next(text_ids) if isinstance(item, str) else item for item in job.items]
        vocab = runner.vocab_size
        for index, item in enumerate(job.items):
            if not isinstance(item, str) and max(item) >= vocab:
                where = f"input[{positions[index]}]"
                raise invalid(
                    f"`{where}` holds token id {max(item)}, outside the model's ids 0..{vocab - 1}",
                    where,
                )
    limit = runner.max_tokens
    if options.limit_check and limit is not None:
        for index, seq in enumerate(ids):
            if len(seq) > limit:
                where = f"inputs[{positions[index]}]"
                raise invalid(
                    f"Input validation error: `{where}` must have less than {limit} "
                    f"tokens. Given: {len(seq)} (send truncate: true to keep the first {limit})",
                    where,
                )
    return ids


def _text_ids(runner: StaticEmbedRunner, texts: list[str], options: Options) -> list[list[int]]:
    return runner.token_ids(
        texts,
        prompt_name=options.prompt_name,
        prompt=options.prompt,
        max_length=options.max_length,
        truncation_direction=options.direction,
    )
