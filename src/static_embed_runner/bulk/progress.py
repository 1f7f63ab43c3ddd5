"""Progress of a bulk job on stderr: rows done, rate and time left (tqdm when installed)."""

from __future__ import annotations

import sys
import time


class JobProgress:
    """Counts rows against an estimated ``total``; draws at most five times a second."""

    def __init__(self, total: int, done: int, *, enabled: bool) -> None:
        self.total = max(total, done)
        self.done = done
        self.enabled = enabled
        self.started = time.perf_counter()
        self.start_done = done
        self.last_drawn = 0.0
        self.bar = None
        if enabled:
            try:
                from tqdm import tqdm
            except ImportError:
                return
            self.bar = tqdm(
                total=self.total, initial=done, unit=" rows", file=sys.stderr, dynamic_ncols=True
            )

    def update(self, rows: int) -> None:
        self.done += rows
        if not self.enabled:
            return
        if self.bar is not None:
            self.bar.update(rows)
            return
        now = time.perf_counter()
        if now - self.last_drawn >= 0.2:
            self.last_drawn = now
            sys.stderr.write("\r" + self.line(now))
            sys.stderr.flush()

    def line(self, now: float) -> str:
        elapsed = max(now - self.started, 1e-9)
        rate = (self.done - self.start_done) / elapsed
        left = max(self.total - self.done, 0)
        eta = "?" if rate <= 0 else _clock(left / rate)
        percent = 100.0 * self.done / self.total if self.total else 100.0
        return f"{self.done:,}/{self.total:,} rows ({percent:.0f}%), {rate:,.0f} rows/s, ETA {eta}"

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
        elif self.enabled:
            sys.stderr.write("\r" + self.line(time.perf_counter()) + "\n")


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(seconds + 0.5), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}"
