"""Progress on stderr: a tqdm bar when tqdm is installed, else a plain counter line.

One class serves every caller: the CLI while embedding a file, ``StaticEmbedRunner.encode(
show_progress_bar=True)`` per batch, and ``embed-file`` (which starts from the rows its finished
parts already cover). tqdm is optional (the ``progress`` extra); without it the same counts
appear as one line on stderr, rewritten in place at most five times a second and ending with the
final count: done (of the total, when known), the rate, and with a total the share done and the
time left.
"""

from __future__ import annotations

import sys
import time

_REDRAW_SECONDS = 0.2


class Progress:
    """Items done so far on stderr, drawn once ``delay`` seconds of work have passed.

    ``initial`` items were done before this run (they count towards ``total`` but not towards the
    rate); ``unit`` names the items ("texts", "rows")."""

    def __init__(
        self,
        *,
        enabled: bool,
        total: int | None = None,
        delay: float = 1.0,
        desc: str | None = None,
        initial: int = 0,
        unit: str = "texts",
    ) -> None:
        self.enabled = enabled
        self.total = None if total is None else max(total, initial)
        self.delay = delay
        self.desc = desc
        self.initial = initial
        self.unit = unit
        self.count = initial
        self.started = time.perf_counter()
        self.last_drawn = 0.0
        self.drawn = False
        self.bar = None
        if enabled:
            try:
                from tqdm import tqdm
            except ImportError:
                return
            self.bar = tqdm(
                total=self.total,
                initial=initial,
                desc=desc,
                unit=f" {unit}",
                file=sys.stderr,
                delay=delay,
                dynamic_ncols=True,
            )

    def update(self, n: int) -> None:
        if not self.enabled:
            return
        self.count += n
        if self.bar is not None:
            self.bar.update(n)
            return
        now = time.perf_counter()
        if now - self.started >= self.delay and now - self.last_drawn >= _REDRAW_SECONDS:
            self.last_drawn = now
            self._draw(now)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            return
        if not self.enabled:
            return
        now = time.perf_counter()
        if self.drawn or now - self.started >= self.delay:  # the final count, then a newline
            self._draw(now)
            sys.stderr.write("\n")
            sys.stderr.flush()

    def line(self, now: float) -> str:
        """The counter line at time ``now`` (``time.perf_counter()``)."""
        rate = (self.count - self.initial) / max(now - self.started, 1e-9)
        prefix = f"{self.desc}: " if self.desc else ""
        if self.total is None:
            return f"{prefix}{self.count:,} {self.unit}, {rate:,.0f} {self.unit}/s"
        left = max(self.total - self.count, 0)
        eta = "?" if rate <= 0 else _clock(left / rate)
        percent = 100.0 * self.count / self.total if self.total else 100.0
        return (
            f"{prefix}{self.count:,}/{self.total:,} {self.unit}, {rate:,.0f} {self.unit}/s, "
            f"{percent:.0f}%, ETA {eta}"
        )

    def _draw(self, now: float) -> None:
        self.drawn = True
        sys.stderr.write("\r" + self.line(now))
        sys.stderr.flush()


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(seconds + 0.5), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}"
