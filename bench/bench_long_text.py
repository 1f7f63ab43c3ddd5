"""What one very long text costs when only ``max_length`` tokens of it are kept.

Each measurement runs in a fresh child process (peak RSS is per process): load a tokenizer, build
the text, then time ``encode`` with a 512-token truncation, keeping the first tokens (``right``) or
the last (``left``). Run it with the package to measure on ``PYTHONPATH`` (the lead compares two
checkouts side by side)::

    PYTHONPATH=src python bench/bench_long_text.py --mb 100 --out results/long_text.json

Each line of output: backend, direction, seconds for the encode, peak RSS of the child process
(MB) and its RSS before the encode (the text itself is ``--mb`` of it).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

FIXTURE = Path(__file__).resolve().parents[1] / ".." / "shared" / "fixtures" / "tokenizers"
_CHILD = """
import json, resource, sys, time
from static_embed_runner.tokenizer.backend import load_tokenizer
from static_embed_runner.tokenizer.truncation import Truncation
path, backend, direction, megabytes = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
tok = load_tokenizer(path, backend).with_truncation(Truncation(512, direction))
unit = "The quick brown fox jumps over the lazy dog, again and again; tokenizers count words. "
text = unit * int(megabytes * 1e6 / len(unit))
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
started = time.perf_counter()
ids = tok.encode(text)
seconds = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
print(json.dumps({"backend": backend, "direction": direction, "chars": len(text),
                  "ids": len(ids), "seconds": round(seconds, 3), "peak_rss_mb": peak,
                  "rss_before_encode_mb": before}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=100.0, help="text size in MB (ASCII)")
    parser.add_argument(
        "--tokenizer", default=str(FIXTURE / "bert-base-uncased" / "tokenizer.json")
    )
    parser.add_argument("--out", type=Path, help="write the rows as JSON here too")
    args = parser.parse_args()
    rows = []
    for backend in ("lite", "tokenizers"):
        for direction in ("right", "left"):
            done = subprocess.run(
                [sys.executable, "-c", _CHILD, args.tokenizer, backend, direction, str(args.mb)],
                capture_output=True,
                text=True,
                check=False,
            )
            if done.returncode != 0:
                tail = done.stderr.strip().splitlines()[-1:] or [""]
                row = {"backend": backend, "direction": direction,
                       "failed": f"exit {done.returncode}: {tail[0]}"}  # fmt: skip
            else:
                row = json.loads(done.stdout)
            print(json.dumps(row), flush=True)
            rows.append(row)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(rows, indent=1) + "\n")


if __name__ == "__main__":
    main()
