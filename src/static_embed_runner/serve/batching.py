"""Micro-batching: requests for one model queue up and a compute thread merges them into as few
``encode`` calls as their options allow, off the event loop.

The thread takes every waiting request (after ``batch_wait_ms`` for more to arrive, if set) until
the batch holds ``max_batch_texts`` texts or ``max_batch_tokens`` tokens; a request that would
overflow either waits for the next batch, and one larger than both runs alone. Each request is
tokenized as it joins (so token counts are exact), requests with equal options are pooled in one
call, and results go back to the event loop. A request whose client has gone is skipped. The
queue holds at most as many requests as the server admits (see ``max_concurrent_requests``).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque
from dataclasses import dataclass, field

import numpy as np

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
    job: EmbedJob
    future: asyncio.Future
    loop: asyncio.AbstractEventLoop
    enqueued: float
    ids: list[list[int]] | None = None
    timings: Timings = field(default_factory=Timings)

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
        name: str = "model",
    ) -> None:
        self.runner = runner
        self._max_texts = max_batch_texts
        self._max_tokens = max_batch_tokens
        self._wait = batch_wait_ms / 1000.0
        self._observer = observer or BatchObserver()
        self._queue: deque[_Pending] = deque()
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
            self._ready.notify()
        return pending.future

    def queued(self) -> int:
        return len(self._queue)

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
                time.sleep(self._wait)
            batch, carried = self._collect(carried)
            if batch:
                self._compute(batch)

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
        try:
            pending.ids = _token_ids(self.runner, pending.job)
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
        self._observer.batch(
            sum(len(p.ids) for p in batch), sum(sum(map(len, p.ids)) for p in batch)
        )
        groups: dict[Options, list[_Pending]] = {}
        for pending in batch:
            groups.setdefault(pending.job.options, []).append(pending)
        for options, members in groups.items():
            started = time.perf_counter()
            try:
                ids = [seq for p in members for seq in p.ids]
                vectors = self.runner.embed_ids(
                    ids, normalize=options.normalize, truncate_dim=options.dimensions
                )
            except Exception as exc:
                for pending in members:
                    pending.resolve(exc)
                continue
            elapsed = time.perf_counter() - started
            start = 0
            for pending in members:
                count = len(pending.ids)
                pending.timings.pool = elapsed
                tokens = sum(map(len, pending.ids))
                pending.resolve(Result(vectors[start : start + count], tokens, pending.timings))
                start += count


def _token_ids(runner: StaticEmbedRunner, job: EmbedJob) -> list[list[int]]:
    """Each item's ids: a text through ``runner.token_ids`` with the job's options, a token-id
    list as given (checked against the vocabulary and, where asked, the model's limit)."""
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
                raise invalid(
                    f"`input[{index}]` holds token id {max(item)}, outside the model's ids "
                    f"0..{vocab - 1}",
                    f"input[{index}]",
                )
    limit = runner.max_tokens
    if options.limit_check and limit is not None:
        for index, seq in enumerate(ids):
            if len(seq) > limit:
                raise invalid(
                    f"Input validation error: `inputs[{index}]` must have less than {limit} "
                    f"tokens. Given: {len(seq)} (send truncate: true to keep the first {limit})",
                    f"inputs[{index}]",
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
