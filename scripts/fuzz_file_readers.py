"""Run the file-reader fuzzer (tests/hostile/test_fuzz_readers.py) for a long time.

    python scripts/fuzz_file_readers.py --examples 20000

runs every target with that many examples each (the test suite runs 60). A finding stops the run
and hypothesis prints the smallest input it could shrink it to: add it to
tests/hostile/test_fuzz_regressions.py as a regression test.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=20000, help="examples per target")
    parser.add_argument("-k", default="", help="only the targets whose name matches (pytest -k)")
    args = parser.parse_args()
    env = dict(os.environ, FUZZ_EXAMPLES=str(args.examples))
    command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider"]
    command += [str(ROOT / "tests" / "hostile" / "test_fuzz_readers.py")]
    if args.k:
        command += ["-k", args.k]
    return subprocess.call(command, env=env, cwd=ROOT)


if __name__ == "__main__":
    sys.exit(main())
