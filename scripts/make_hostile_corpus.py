"""Write the hostile model corpus, load every case, and record what the references do with it.

    python scripts/make_hostile_corpus.py /tmp/hostile-corpus --references \\
        --report results/hostile/report.md

Each case (tests/hostile/corpus.py) is loaded by this package in a forked child with the same
memory and CPU caps as the test suite (tests/hostile/harness.py); with ``--references`` the
library that reads the same file in the Python ecosystem (``safetensors``, ``tokenizers``,
``model2vec``, ``sentence-transformers``) gets the same file in the same kind of child. The
report is a Markdown table: the outcome, CPU time and peak memory growth per case and reader.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from hostile.corpus import Case, build_corpus  # noqa: E402
from hostile.harness import load_and_encode, run  # noqa: E402

TEXTS = ["hello world", "the words"]


def reference_action(case: Case, folder: Path) -> Callable[[], object] | None:
    """How the reference library reads this case's file (None: no reference for it)."""
    if case.reference == "safetensors":
        from safetensors.numpy import load_file

        return lambda: load_file(folder / case.reference_file)
    if case.reference == "tokenizers":
        from tokenizers import Tokenizer

        return lambda: Tokenizer.from_file(str(folder / case.reference_file)).encode(TEXTS[0])
    if case.reference == "model2vec":
        from model2vec import StaticModel

        return lambda: StaticModel.from_pretrained(str(folder)).encode(TEXTS)
    if case.reference == "sentence-transformers":
        from sentence_transformers import SentenceTransformer

        return lambda: SentenceTransformer(str(folder), device="cpu").encode(TEXTS)
    return None


def summary(result: dict) -> str:
    """One table cell: what came out, its CPU time and memory growth."""
    outcome = result["outcome"]
    if outcome in ("error", "untyped"):
        what = result["classes"][0]
        if outcome == "untyped":
            what = f"{what}: {result['message'][:60]}"
    elif outcome == "loaded":
        what = "accepted"
    else:
        what = f"died ({result['message']})"
    cost = ""
    if "cpu_seconds" in result:
        cost = f" ({result['cpu_seconds']:.2f} s CPU, +{result['rss_growth_mb']:.0f} MB)"
    return (what + cost).replace("|", "/")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", type=Path, help="where to write the corpus")
    parser.add_argument("--references", action="store_true", help="also run the references")
    parser.add_argument("--report", type=Path, help="write a Markdown table here")
    parser.add_argument("--json", type=Path, help="write every outcome as JSON here")
    args = parser.parse_args()
    cases = build_corpus(args.directory)
    if args.references:
        for case in cases:  # import the references before the forks, as the package is
            reference_action(case, args.directory / case.name)
    rows = []
    for case in cases:
        folder = args.directory / case.name
        ours = run(case.name, load_and_encode(str(folder)))
        action = reference_action(case, folder) if args.references else None
        theirs = run(case.name, action) if action is not None else None
        rows.append({"case": case.name, "what": case.what, "ours": ours, "reference": theirs})
        print(f"{case.name}: {summary(ours)} | {summary(theirs) if theirs else '-'}", flush=True)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(rows, indent=1))
    if args.report:
        lines = [
            "| case | static-embed-runner | reference | reference's outcome |",
            "|---|---|---|---|",
        ]
        for case, row in zip(cases, rows, strict=True):
            theirs = summary(row["reference"]) if row["reference"] else "-"
            lines.append(
                f"| {row['what']} | {summary(row['ours'])} | {case.reference or '-'} | {theirs} |"
            )
        args.report.parent.mkdir(parents=True, exist_ok=True)
        args.report.write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
