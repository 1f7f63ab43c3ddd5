"""Progress on stderr: a tqdm bar when tqdm is installed, else a plain counter line.

The CLI shows it while embedding a file; ``StaticEmbedRunner.encode(show_progress_bar=True)``
shows it per batch. tqdm is optional (the ``progress`` extra); without it the same counts appear
as one line on stderr, rewritten in place, ending with the total.
"""

from __future__ import annotations

import sys
import time


class Progress:
    """Texts done so far on stderr, drawn once ``delay`` seconds of work have passed."""

    def __init__(
        self,
        *,
        enabled: bool,
        total: int | None = None,
        delay: float = 1.0,
        desc: str | None = None,
    ) -> None:
        self.enabled = enabled
        self.total = total
        self.delay = delay
        self.desc = desc
        self.count = 0
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
                total=total,
                desc=desc,
                unit=" texts",
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
        if now - self.started >= self.delay and now - self.last_drawn >= 0.2:
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

    def _draw(self, now: float) -> None:
        self.drawn = True
        done = f"{self.count:,}" if self.total is None else f"{self.count:,}/{self.total:,}"
        rate = self.count / max(now - self.started, 1e-9)
        prefix = f"{self.desc}: " if self.desc else ""
        sys.stderr.write(f"\r{prefix}{done} texts, {rate:,.0f} texts/s")
        sys.stderr.flush()
