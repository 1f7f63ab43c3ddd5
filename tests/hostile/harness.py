"""Load model folders one by one, each in a forked child with a memory and CPU-time cap.

Run as ``python harness.py`` with a JSON list of ``{"name", "path"}`` on stdin; prints one JSON
object per case (:func:`run` runs any other action the same way): ``outcome`` ("loaded", "error"
for a package error, "untyped" for anything else, "died" when the child was killed or crashed),
the exception's classes, the message, the child's CPU seconds, wall seconds and peak resident
memory (and its growth over the forked baseline). The package is imported once, before the
forks, so each case costs a fork.

The caps: address space = the child's size at the fork + ``HOSTILE_MEMORY_MB`` (default 1024),
``HOSTILE_CPU_SECONDS`` of CPU (default 60), and a wall-clock timeout of three times that.
"""

from __future__ import annotations

import json
import os
import resource
import select
import signal
import sys
import time
import traceback
from collections.abc import Callable

from static_embed_runner import StaticEmbedRunner
from static_embed_runner.errors import StaticEmbedRunnerError

MEMORY_MB = int(os.environ.get("HOSTILE_MEMORY_MB", "1024"))
CPU_SECONDS = int(os.environ.get("HOSTILE_CPU_SECONDS", "60"))


def load_and_encode(path: str) -> Callable[[], object]:
    """The action a case is judged by: load the folder as a user would, then embed."""

    def action() -> object:
        runner = StaticEmbedRunner.load(path, prefetch=True)
        return runner.encode(["hello world", "the words"])

    return action


def _status_kb(field: str) -> int:
    """A memory figure of this process from /proc/self/status, in KiB. Not ``ru_maxrss``: that
    survives fork, so a forked child would report the parent's peak; a fork starts ``VmHWM``
    afresh at the child's own resident size."""
    with open("/proc/self/status", encoding="ascii") as status:
        return next(int(line.split()[1]) for line in status if line.startswith(f"{field}:"))


def _child(action: Callable[[], object]) -> dict:
    limit = _status_kb("VmSize") * 1024 + MEMORY_MB * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS + 1))
    baseline_kb = _status_kb("VmRSS")
    cpu_start = time.process_time()
    wall_start = time.perf_counter()
    try:
        action()
        result: dict = {"outcome": "loaded"}
    except StaticEmbedRunnerError as exc:
        result = {"outcome": "error", "message": str(exc)}
        result["classes"] = [c.__name__ for c in type(exc).__mro__]
    except BaseException as exc:  # the harness reports whatever escaped
        result = {"outcome": "untyped", "message": f"{exc!r}"[:2000]}
        result["classes"] = [c.__name__ for c in type(exc).__mro__]
        result["traceback"] = traceback.format_exc()[-4000:]
    result["cpu_seconds"] = time.process_time() - cpu_start
    result["wall_seconds"] = time.perf_counter() - wall_start
    peak_kb = _status_kb("VmHWM")
    result["peak_rss_mb"] = peak_kb / 1024
    result["rss_growth_mb"] = (peak_kb - baseline_kb) / 1024
    return result


def run(name: str, action: Callable[[], object]) -> dict:
    """``action()`` in a forked child under the caps; what came out, and what it cost."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        try:
            payload = json.dumps(_child(action)).encode()
        except BaseException as exc:  # even the report failed: say so
            payload = json.dumps({"outcome": "untyped", "message": repr(exc)[:2000]}).encode()
        with os.fdopen(write_end, "wb") as out:
            out.write(payload)
        os._exit(0)
    os.close(write_end)
    chunks = []
    deadline = time.monotonic() + 3 * CPU_SECONDS
    with os.fdopen(read_end, "rb") as pipe:
        while True:
            ready, _, _ = select.select([pipe], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                os.kill(pid, signal.SIGKILL)
                break
            chunk = os.read(pipe.fileno(), 1 << 16)
            if not chunk:
                break
            chunks.append(chunk)
    _, status = os.waitpid(pid, 0)
    try:
        result = json.loads(b"".join(chunks))
    except ValueError:
        result = {"outcome": "died", "message": f"wait status {status}"}
    result["name"] = name
    return result


def main() -> None:
    for case in json.load(sys.stdin):
        print(json.dumps(run(case["name"], load_and_encode(case["path"]))), flush=True)


if __name__ == "__main__":
    main()
