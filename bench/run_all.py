"""Run every contender on every benchmark model in one run, interleaved, and summarise.

For each model, the contenders take turns in rounds (round-robin, the starting contender rotating
each round); every measurement runs in a fresh process (see harness.py). Medians over the rounds
go to one artifact per contender (``results/<model>/<artifact>.json``); ratios against
sentence-transformers, model2vec and the floor, computed from this run only, go to
``results/summary.json``. Render the README tables afterwards with ``bench/render_tables.py``.

    bench/setup_baseline_env.sh            # once: sentence-transformers + torch in bench/.venv-st
    bench/setup_v010_baseline.sh           # once: static-embed-runner 0.1.0 in bench/.venv-v010
    python bench/run_all.py                # full run (5 rounds, 4 models); 14-25 min on 2 cores
    python bench/run_all.py --quick        # 3 rounds, fewer sizes; writes results/quick/
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench_baseline import SentenceTransformersBaseline
from bench_floor import Floor
from bench_model2vec import Model2Vec
from bench_runner import SNAPSHOT_ENV, SOURCE_PACKAGE, Runner
from bench_v010 import V010
from harness import (
    BENCH_DIR,
    DEFAULT_BATCH_SIZE,
    FULL_SIZES,
    ROOT,
    Contender,
    ContenderRun,
    add_first_sight_option,
    apply_quick,
    corpus,
    machine_info,
    run_rounds,
)
from models import DEFAULT_MODELS, MODELS, BenchModel, build, default_cache_dir, model_files

KINDS = ("runner", "sentence-transformers", "model2vec", "floor", "v010")
DEFAULT_BASELINE_PYTHON = BENCH_DIR / ".venv-st" / "bin" / "python"
DEFAULT_V010_PYTHON = BENCH_DIR / ".venv-v010" / "bin" / "python"
TARGETS = {
    "single_p50_vs_v010": 1.0,
    "warm_batch_vs_st": 1.2,
    "warm_batch_vs_model2vec": 2.0,
    "cold_batch_vs_st": 1.0,
    "single_p50_vs_st": 5.0,
    "load_to_first_encode_ms_max": 50.0,
    "q4_model_rss_mb_max": 30.0,
}
LOAD_TARGET_MODEL = "st-en-30k-1024"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", choices=sorted(MODELS), default=list(DEFAULT_MODELS))
    parser.add_argument("--contenders", nargs="+", choices=KINDS, default=list(KINDS))
    parser.add_argument("--rounds", type=int, default=5)
    add_first_sight_option(parser)
    parser.add_argument("--limit-texts", type=int, default=0, help="use only the first N sentences")
    parser.add_argument("--quick", action="store_true", help="3 rounds, fewer sizes and reps")
    parser.add_argument("--out", type=Path, help="results directory (default results/)")
    parser.add_argument("--cache-dir", type=Path, default=default_cache_dir())
    parser.add_argument("--baseline-python", default=str(DEFAULT_BASELINE_PYTHON))
    parser.add_argument("--v010-python", default=str(DEFAULT_V010_PYTHON))
    parser.add_argument(
        "--runner-configs",
        choices=("all", "default"),
        default="all",
        help="the runner with every table and tokenizer backend, or only its default "
        "configuration (the default table, the pure-Python tokenizer)",
    )
    parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE)
    parser.add_argument("--warm-reps", type=int, default=5)
    parser.add_argument("--sizes", type=int, nargs="+", default=list(FULL_SIZES))
    parser.add_argument("--no-cold-load", action="store_true", help="skip cold page-cache loads")
    args = parser.parse_args(argv)
    apply_quick(args)
    if args.out is None:
        args.out = ROOT / "results" / ("quick" if args.quick else "")
    return args


def _run(
    cls: type[Contender], python: str, kind: str, bench_model: BenchModel, **opts: Any
) -> ContenderRun:
    contender = cls(argparse.Namespace(model=bench_model.key, **opts))
    script = BENCH_DIR / f"{cls.__module__}.py"
    return ContenderRun(
        contender.label(),
        contender.artifact_name(bench_model.model_format),
        script,
        python,
        contender.forwarded_args(),
        kind,
    )


def contenders_for(model: BenchModel, args: argparse.Namespace) -> list[ContenderRun]:
    runs = []
    if "runner" in args.contenders:
        default_only = args.runner_configs == "default"
        for table in model.tables[:1] if default_only else model.tables:
            for backend in ("lite",) if default_only else ("lite", "tokenizers"):
                runs.append(
                    _run(Runner, sys.executable, "runner", model, table=table, backend=backend)
                )
    if "sentence-transformers" in args.contenders:
        runs.append(
            _run(SentenceTransformersBaseline, args.baseline_python, "sentence-transformers", model)
        )
    if "model2vec" in args.contenders and model.has_model2vec:
        runs.append(_run(Model2Vec, sys.executable, "model2vec", model))
    if "floor" in args.contenders:
        runs.append(_run(Floor, sys.executable, "floor", model))
    if "v010" in args.contenders:
        runs.append(_run(V010, args.v010_python, "v010", model))
    return runs


def snapshot_source(into: Path) -> dict[str, Any]:
    """Copy the package source to ``into`` for the runner children; describe what was copied."""
    shutil.copytree(
        SOURCE_PACKAGE, into / SOURCE_PACKAGE.name, ignore=shutil.ignore_patterns("__pycache__")
    )
    os.environ[SNAPSHOT_ENV] = str(into)

    def git(*command: str) -> str:
        done = subprocess.run(["git", *command], cwd=ROOT, capture_output=True, text=True)
        return done.stdout.strip()

    changed = git("status", "--porcelain", "--", "src").splitlines()
    return {"commit": git("rev-parse", "HEAD"), "uncommitted_src_changes": changed}


def _check_environment(args: argparse.Namespace) -> None:
    if "sentence-transformers" in args.contenders and not Path(args.baseline_python).exists():
        raise SystemExit(
            f"{args.baseline_python} not found: run bench/setup_baseline_env.sh first "
            "(or pass --baseline-python, or leave sentence-transformers out with --contenders)"
        )
    if "v010" in args.contenders and not Path(args.v010_python).exists():
        raise SystemExit(
            f"{args.v010_python} not found: run bench/setup_v010_baseline.sh first "
            "(or pass --v010-python, or leave v010 out with --contenders)"
        )
    if "runner" in args.contenders:
        probe = f"import sys; sys.path.insert(0, {os.environ[SNAPSHOT_ENV]!r}); " + (
            "from static_embed_runner import StaticEmbedRunner"
        )
        done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(f"static_embed_runner does not import:\n{done.stderr[-2000:]}")


# ---------------------------------------------------------------------------------------------
# summary: headline figures and ratios from one run


def headline(record: dict[str, Any], kind: str) -> dict[str, Any]:
    main = record["median"]["main"]
    cold = record["median"].get("load_cold")
    scaling = {int(n): ms for n, ms in main["scaling_ms"].items()}
    per_text = {n: ms / n for n, ms in sorted(scaling.items())}
    largest, reference = max(per_text), 1024 if 1024 in per_text else min(per_text)
    figures = {
        "label": record["contender"],
        "artifact": record["artifact"],
        "kind": kind,
        "deps_mb": record["dependencies"]["total_bytes"] / 1e6,
        "import_ms": 1000 * main["import_s"],
        "load_to_first_encode_ms": 1000 * main["load_to_first_encode_s"],
        "startup_ms": 1000 * main["import_load_first_encode_s"],
        "single_p50_ms": main["single_p50_ms"],
        "single_p95_ms": main["single_p95_ms"],
        "cold_ms_per_text": record["first_sight_ms_per_text"],
        "cold_texts_per_s": 1000 / record["first_sight_ms_per_text"],
        "cold_samples": record["first_sight_samples"],
        "warm_ms_per_text": main["warm_sentences_ms_per_text"],
        "warm_texts_per_s": main["warm_sentences_texts_per_s"],
        "cold_docs_ms_per_text": main["cold_documents_ms_per_text"],
        "warm_docs_ms_per_text": main["warm_documents_ms_per_text"],
        "peak_rss_mb": main["child_ru_maxrss_bytes"] / 1e6,
        "model_rss_mb": (main["rss_after_load_bytes"] - main["rss_after_import_bytes"]) / 1e6,
        "rss_growth_mb": (main["rss_final_bytes"] - main["rss_after_import_bytes"]) / 1e6,
        "scaling_ms_per_text": {str(n): v for n, v in per_text.items()},
        "scaling_growth": per_text[largest] / per_text[reference],
    }
    if cold:
        figures["load_to_first_encode_cold_cache_ms"] = 1000 * cold["load_to_first_encode_s"]
        figures["cold_cache_process_ms"] = 1000 * cold["process_wall_s"]
        figures["page_cache_evicted"] = cold["page_cache"] == "cold"
    for name in ("tokenize", "pool"):
        key = f"warm_sentences_{name}_ms_per_text"
        if key in main:
            figures[f"warm_{name}_ms_per_text"] = main[key]
            figures[f"cold_{name}_ms_per_text"] = main[f"cold_sentences_{name}_ms_per_text"]
    return figures


def _speedups(h: dict[str, Any], ref: dict[str, Any]) -> dict[str, float]:
    """How many times faster (or smaller, for deps) ``h`` is than ``ref``; > 1 favours ``h``."""
    return {
        "warm_batch": ref["warm_ms_per_text"] / h["warm_ms_per_text"],
        "cold_batch": ref["cold_ms_per_text"] / h["cold_ms_per_text"],
        "warm_docs": ref["warm_docs_ms_per_text"] / h["warm_docs_ms_per_text"],
        "single_p50": ref["single_p50_ms"] / h["single_p50_ms"],
        "load_to_first_encode": ref["load_to_first_encode_ms"] / h["load_to_first_encode_ms"],
        "startup": ref["startup_ms"] / h["startup_ms"],
        "deps_size": ref["deps_mb"] / h["deps_mb"],
        "peak_rss": ref["peak_rss_mb"] / h["peak_rss_mb"],
    }


def _over_floor(h: dict[str, Any], floor: dict[str, Any]) -> dict[str, float]:
    """Time relative to the floor (1.0 = at the floor; 2.0 = twice the floor's time)."""
    return {
        "warm_batch": h["warm_ms_per_text"] / floor["warm_ms_per_text"],
        "cold_batch": h["cold_ms_per_text"] / floor["cold_ms_per_text"],
        "warm_docs": h["warm_docs_ms_per_text"] / floor["warm_docs_ms_per_text"],
        "single_p50": h["single_p50_ms"] / floor["single_p50_ms"],
    }


def summarise_model(
    model: BenchModel, model_dir: Path, heads: list[dict[str, Any]]
) -> dict[str, Any]:
    by_kind = {h["kind"]: h for h in heads if h["kind"] != "runner"}
    for h in heads:
        if "sentence-transformers" in by_kind:
            h["vs_st"] = _speedups(h, by_kind["sentence-transformers"])
        if "model2vec" in by_kind:
            h["vs_model2vec"] = _speedups(h, by_kind["model2vec"])
        if "floor" in by_kind:
            h["x_floor"] = _over_floor(h, by_kind["floor"])
        if "v010" in by_kind:
            h["vs_v010"] = _speedups(h, by_kind["v010"])
    targets = [t for h in heads if h["kind"] == "runner" for t in _targets(model, h)]
    return {
        "description": model.description,
        "format": model.model_format,
        "vocab_size": model.vocab_size,
        "dim": model.dim,
        "files_mb": sum(p.stat().st_size for p in model_files(model_dir)) / 1e6,
        "contenders": heads,
        "targets": targets,
    }


def default_runner_artifact(model: BenchModel) -> str:
    """The runner as a user gets it: the default table, the pure-Python tokenizer."""
    args = argparse.Namespace(model=model.key, table=model.tables[0], backend="lite")
    return Runner(args).artifact_name(model.model_format)


def _targets(model: BenchModel, h: dict[str, Any]) -> list[dict[str, Any]]:
    checks = []

    def check(name: str, value: float, bound: float, at_least: bool) -> None:
        met = value >= bound if at_least else value <= bound
        checks.append(
            {"contender": h["label"], "target": name, "value": value, "bound": bound, "met": met}
        )

    if "vs_st" in h:
        check(
            "warm batch vs sentence-transformers",
            h["vs_st"]["warm_batch"],
            TARGETS["warm_batch_vs_st"],
            True,
        )
        check(
            "cold batch vs sentence-transformers",
            h["vs_st"]["cold_batch"],
            TARGETS["cold_batch_vs_st"],
            True,
        )
        check(
            "single-text p50 vs sentence-transformers",
            h["vs_st"]["single_p50"],
            TARGETS["single_p50_vs_st"],
            True,
        )
    if "vs_model2vec" in h:
        check(
            "warm batch vs model2vec",
            h["vs_model2vec"]["warm_batch"],
            TARGETS["warm_batch_vs_model2vec"],
            True,
        )
    if "vs_v010" in h and h["artifact"] == default_runner_artifact(model):
        check(
            "single-text p50 vs static-embed-runner 0.1.0",
            h["vs_v010"]["single_p50"],
            TARGETS["single_p50_vs_v010"],
            True,
        )
    if model.key == LOAD_TARGET_MODEL:
        check(
            "load to first encode, warm page cache (ms)",
            h["load_to_first_encode_ms"],
            TARGETS["load_to_first_encode_ms_max"],
            False,
        )
    if h["artifact"].split("_")[-2] == "q4":
        check(
            "q4 model resident after load (MB)",
            h["model_rss_mb"],
            TARGETS["q4_model_rss_mb_max"],
            False,
        )
    return checks


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="ser-bench-src-") as snapshot:
        source = snapshot_source(Path(snapshot))
        _check_environment(args)
        return _run_all(args, source)


def _run_all(args: argparse.Namespace, source: dict[str, Any]) -> int:
    started = time.perf_counter()
    versions: dict[str, dict[str, str]] = {}
    models: dict[str, Any] = {}
    for key in args.models:
        model = MODELS[key]
        print(f"{key}: building/locating the model", flush=True)
        model_dir = build(model, args.cache_dir)
        runs = contenders_for(model, args)
        records = run_rounds(runs, model_dir, args, cold_page_cache=not args.no_cold_load)
        heads = []
        for run, record in zip(runs, records, strict=True):
            record["model"] = {"key": key, "description": model.description, "dir": str(model_dir)}
            path = args.out / key / f"{run.artifact}.json"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(record, indent=2) + "\n")
            versions[run.kind] = record["dependencies"].get("versions", {})
            heads.append(headline(record, run.kind))
        models[key] = summarise_model(model, model_dir, heads)
    summary = {
        "machine": machine_info(),
        "source": source,
        "versions": versions,
        "settings": {
            "rounds": args.rounds,
            "first_sight_samples_per_round": 1 + args.first_sight_samples,
            "batch_size": args.batch_size,
            "warm_reps": args.warm_reps,
            "sizes": args.sizes,
            "sentences": len(corpus(args)[0]),
            "documents": len(corpus(args)[1]),
            "quick": args.quick,
            "cold_page_cache_loads": not args.no_cold_load,
        },
        "duration_s": time.perf_counter() - started,
        "models": models,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(f"wrote {args.out / 'summary.json'} ({summary['duration_s'] / 60:.1f} min)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
