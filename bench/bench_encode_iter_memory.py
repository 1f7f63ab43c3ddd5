"""Resident memory of ``encode_iter`` over a long stream of short texts (default 10 million).

The texts come from a generator and the vectors are dropped after a checksum, so the only
memory that could grow is the library's own. Prints RSS (from /proc/self/status) every
``--every`` texts and writes results/bulk/encode_iter_memory.json.

    python bench/bench_encode_iter_memory.py --texts 10000000
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

from static_embed_runner import StaticEmbedRunner

OUT = Path(__file__).resolve().parents[1] / "results" / "bulk" / "encode_iter_memory.json"


def status_mib(field: str) -> float:
    """A memory field of /proc/self/status (VmRSS: now, VmHWM: peak) in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--texts", type=int, default=10_000_000)
    parser.add_argument("--batch-size", type=int, default=1024)
    parser.add_argument("--every", type=int, default=1_000_000)
    args = parser.parse_args()
    runner = StaticEmbedRunner.load()
    texts = (f"short text number {i}" for i in range(args.texts))
    samples = []
    done = 0
    checksum = 0.0
    started = time.perf_counter()
    next_report = args.every
    for vectors in runner.encode_iter(texts, batch_size=args.batch_size):
        done += len(vectors)
        checksum += float(vectors[:, 0].sum())
        if done >= next_report or done == args.texts:
            sample = {
                "texts": done,
                "seconds": round(time.perf_counter() - started, 1),
                "rss_mib": round(status_mib("VmRSS"), 1),
                "peak_rss_mib": round(status_mib("VmHWM"), 1),
            }
            samples.append(sample)
            print(json.dumps(sample), flush=True)
            next_report += args.every
    result = {
        "texts": done,
        "batch_size": args.batch_size,
        "samples": samples,
        "load_average_at_end": os.getloadavg(),
        "checksum": checksum,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
