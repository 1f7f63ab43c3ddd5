"""Measurement protocol shared by every contender, and the driver that runs it in fresh processes.

A contender script (``bench_runner.py``, ``bench_baseline.py``, ...) defines a :class:`Contender`
and calls :func:`contender_main`. Run with ``--child MODE`` it measures once in the current
process and writes a JSON result file; run without it, it drives its own rounds (each in a fresh
process) and writes its artifact under ``results/``. ``run_all.py`` drives every contender in
interleaved rounds instead.

Child modes:

- ``load``: import the library, load the model, encode one probe text, exit. With
  ``--page-cache cold`` the model's files are first evicted from the page cache
  (``posix_fadvise(DONTNEED)``), so that load reads them from disk.
- ``main``: the same start-up with the page cache warm (the driver reads every model file just
  before), then the batch figures on first sight of the
  texts (cold: the first pass in this fresh process), on repeated batches (warm), single-text
  latency, batch time against batch size, and peak RSS.
- ``first``: the same start-up, then only the batch of sentences on first sight. One sample per
  process is noisy here (±30%), so each round adds ``--first-sight-samples`` of these to the
  ``main`` child's own first-sight sample; the summary takes the median of all of them.
- ``deps``: the installed size of the contender's requirement closure in this interpreter.

This module imports only the standard library, so it runs in the baseline's own virtualenv and
does not add numpy's import time to a contender's start-up figures.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
PROBE_TEXT = "A probe sentence that is not part of the benchmark corpus."
FULL_SIZES = (64, 256, 1024, 4096, 16384)
QUICK_SIZES = (64, 1024, 4096)
DEFAULT_BATCH_SIZE = 1024
DEFAULT_FIRST_SIGHT_SAMPLES = 3
NOTABLE_PACKAGES = (
    "numpy",
    "torch",
    "tokenizers",
    "sentence-transformers",
    "transformers",
    "model2vec",
    "static-embed-runner",
)

sys.path.insert(0, str(BENCH_DIR))
from texts import DOCUMENTS, SENTENCES, repeat_to  # noqa: E402


class Contender:
    """One way of turning texts into embeddings; subclasses fill in the library-specific parts."""

    kind = "contender"
    #: distributions whose installed closure is this contender's dependency footprint
    requirement_roots: tuple[str, ...] = ()

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.parts: dict[str, float] = {}  # sub-timings of the last encode call, if any

    @staticmethod
    def add_arguments(parser: argparse.ArgumentParser) -> None:
        """Contender-specific command-line options (forwarded to every child)."""

    def forwarded_args(self) -> list[str]:
        """The contender-specific options, as a child's command line needs them."""
        return []

    def label(self) -> str:
        raise NotImplementedError

    def artifact_name(self, model_format: str) -> str:
        raise NotImplementedError

    def import_library(self) -> None:
        raise NotImplementedError

    def load(self, model_dir: Path) -> Any:
        raise NotImplementedError

    def encode(self, model: Any, texts: list[str]) -> Any:
        raise NotImplementedError

    def encode_one(self, model: Any, text: str) -> Any:
        return self.encode(model, [text])

    def files_read(self, model_dir: Path) -> list[Path]:
        """The files this contender loads (evicted from the page cache for a cold load)."""
        from models import model_files

        return model_files(model_dir)

    def extra_package_dirs(self) -> list[Path]:
        """Package directories counted in the footprint that are not installed distributions."""
        return []

    def versions(self) -> dict[str, str]:
        """Versions of the notable packages installed in this interpreter."""
        from importlib import metadata

        found = {}
        for name in NOTABLE_PACKAGES:
            try:
                found[name] = metadata.version(name)
            except metadata.PackageNotFoundError:
                continue
        return found


# ---------------------------------------------------------------------------------------------
# measurement inside one child process


def _rss_bytes() -> int:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _peak_rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def evict_from_page_cache(paths: Iterable[Path]) -> bool:
    """Ask the kernel to drop these files' cached pages; False where that is not supported."""
    if not hasattr(os, "posix_fadvise"):
        return False
    for path in paths:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)
    return True


def warm_page_cache(directory: Path) -> None:
    """Read every file under ``directory`` once, so that the page cache holds all of them."""
    for path in sorted(directory.rglob("*")):
        if path.is_file():
            with open(path, "rb") as handle:
                while handle.read(1 << 20):
                    pass


def _timed(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _start(contender: Contender, model_dir: Path) -> tuple[Any, dict[str, Any]]:
    figures: dict[str, Any] = {"rss_start_bytes": _rss_bytes()}
    start = time.perf_counter()
    contender.import_library()
    figures["import_s"] = time.perf_counter() - start
    figures["rss_after_import_bytes"] = _rss_bytes()
    start = time.perf_counter()
    model = contender.load(model_dir)
    figures["load_s"] = time.perf_counter() - start
    first = time.perf_counter()
    contender.encode_one(model, PROBE_TEXT)
    now = time.perf_counter()
    figures["first_encode_s"] = now - first
    figures["load_to_first_encode_s"] = now - start
    figures["import_load_first_encode_s"] = figures["import_s"] + figures["load_to_first_encode_s"]
    figures["rss_after_load_bytes"] = _rss_bytes()
    return model, figures


def _batch(contender: Contender, model: Any, texts: list[str]) -> tuple[float, dict[str, float]]:
    contender.parts = {}
    seconds = _timed(lambda: contender.encode(model, texts))
    return seconds, dict(contender.parts)


def _per_text(seconds: float, parts: dict[str, float], n: int, prefix: str) -> dict[str, float]:
    out = {f"{prefix}_ms_per_text": 1000 * seconds / n, f"{prefix}_texts_per_s": n / seconds}
    for name, value in parts.items():
        out[f"{prefix}_{name}_ms_per_text"] = 1000 * value / n
    return out


def _median_parts(runs: list[tuple[float, dict[str, float]]]) -> tuple[float, dict[str, float]]:
    seconds = statistics.median(r[0] for r in runs)
    names = runs[0][1].keys()
    return seconds, {k: statistics.median(r[1][k] for r in runs) for k in names}


def corpus(args: argparse.Namespace) -> tuple[list[str], list[str]]:
    """The sentences and documents of this run (``--limit-texts`` shortens both, for smoke runs)."""
    if not args.limit_texts:
        return SENTENCES, DOCUMENTS
    return SENTENCES[: args.limit_texts], DOCUMENTS[: max(1, args.limit_texts // 8)]


def measure_main(contender: Contender, model_dir: Path, args: argparse.Namespace) -> dict[str, Any]:
    sentences, documents = corpus(args)
    model, figures = _start(contender, model_dir)
    for name, texts in (("sentences", sentences), ("documents", documents)):
        seconds, parts = _batch(contender, model, texts)
        figures.update(_per_text(seconds, parts, len(texts), f"cold_{name}"))
    for name, texts in (("sentences", sentences), ("documents", documents)):
        runs = [_batch(contender, model, texts) for _ in range(args.warm_reps)]
        seconds, parts = _median_parts(runs)
        figures.update(_per_text(seconds, parts, len(texts), f"warm_{name}"))
    latencies = []
    for text in sentences:
        start = time.perf_counter()
        contender.encode_one(model, text)
        latencies.append(time.perf_counter() - start)
    figures["single_p50_ms"] = 1000 * _percentile(latencies, 0.5)
    figures["single_p95_ms"] = 1000 * _percentile(latencies, 0.95)
    scaling = {}
    for n in args.sizes:
        texts = repeat_to(sentences, n)
        reps = max(1, min(5, 2048 // n))
        scaling[str(n)] = 1000 * statistics.median(
            _timed(lambda t=texts: contender.encode(model, t)) for _ in range(reps)
        )
    figures["scaling_ms"] = scaling
    figures["rss_final_bytes"] = _rss_bytes()
    figures["peak_rss_bytes"] = _peak_rss_bytes()
    return figures


def measure_first_sight(
    contender: Contender, model_dir: Path, args: argparse.Namespace
) -> dict[str, Any]:
    sentences, _documents = corpus(args)
    model, figures = _start(contender, model_dir)
    seconds, parts = _batch(contender, model, sentences)
    figures.update(_per_text(seconds, parts, len(sentences), "cold_sentences"))
    return figures


def first_sight_times(slot: dict[str, list[dict[str, Any]]]) -> list[float]:
    """First-sight batch time per text in every fresh process of a contender."""
    return [r["cold_sentences_ms_per_text"] for r in slot["main"] + slot["first_sight"]]


def measure_load(contender: Contender, model_dir: Path, page_cache: str) -> dict[str, Any]:
    evicted = page_cache == "cold" and evict_from_page_cache(contender.files_read(model_dir))
    _model, figures = _start(contender, model_dir)
    figures["page_cache"] = "cold" if evicted else "warm"
    figures["peak_rss_bytes"] = _peak_rss_bytes()
    return figures


# ---------------------------------------------------------------------------------------------
# installed size of a requirement closure


def _requirement_parser() -> Callable[[str], Any]:
    try:
        from packaging.requirements import Requirement
    except ImportError:
        from pip._vendor.packaging.requirements import Requirement
    return Requirement


def _canonical(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def dependency_footprint(roots: Iterable[str], extra_dirs: Iterable[Path] = ()) -> dict[str, Any]:
    """Installed bytes of the distributions ``roots`` need (transitively, no extras) here."""
    from importlib import metadata

    requirement = _requirement_parser()
    seen: dict[str, int] = {}
    missing: list[str] = []
    queue = [_canonical(r) for r in roots]
    while queue:
        name = queue.pop()
        if name in seen or name in missing:
            continue
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            missing.append(name)
            continue
        seen[name] = sum(
            path.stat().st_size
            for path in (Path(str(dist.locate_file(f))) for f in dist.files or ())
            if path.is_file()
        )
        for spec in dist.requires or ():
            req = requirement(spec)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                queue.append(_canonical(req.name))
    for directory in extra_dirs:
        seen[f"{directory.name} (source tree)"] = sum(
            p.stat().st_size
            for p in directory.rglob("*")
            if p.is_file() and "__pycache__" not in p.parts
        )
    return {
        "roots": list(roots),
        "distributions": dict(sorted(seen.items())),
        "missing": sorted(missing),
        "total_bytes": sum(seen.values()),
    }


# ---------------------------------------------------------------------------------------------
# machine description


def machine_info() -> dict[str, Any]:
    cpu = platform.processor() or "unknown"
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {
        "platform": platform.platform(),
        "cpu_model": cpu,
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
    }


# ---------------------------------------------------------------------------------------------
# command line: one child measurement, or a standalone multi-round run of one contender


def _base_parser(description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--child", choices=("main", "first", "load", "deps"), help=argparse.SUPPRESS
    )
    parser.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--page-cache", choices=("warm", "cold"), default="warm")
    parser.add_argument("--model", default="st-en-30k-1024", help="benchmark model key")
    parser.add_argument("--model-dir", type=Path, help="model directory (default: from --model)")
    parser.add_argument("--cache-dir", type=Path, help="benchmark model cache")
    parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE)
    parser.add_argument("--warm-reps", type=int, default=5)
    parser.add_argument("--sizes", type=int, nargs="+", default=list(FULL_SIZES))
    parser.add_argument("--limit-texts", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--rounds", type=int, default=5)
    add_first_sight_option(parser)
    parser.add_argument("--quick", action="store_true", help="3 rounds, fewer sizes and reps")
    parser.add_argument("--out", type=Path, default=ROOT / "results")
    parser.add_argument("--python", default=sys.executable, help="interpreter for the children")
    return parser


def add_first_sight_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--first-sight-samples",
        type=int,
        default=DEFAULT_FIRST_SIGHT_SAMPLES,
        help="extra fresh processes per round and contender that measure only the first-sight "
        f"batch (default {DEFAULT_FIRST_SIGHT_SAMPLES})",
    )


def child_command(
    script: Path, python: str, mode: str, model_dir: Path, result: Path, common: list[str]
) -> list[str]:
    return [
        python,
        str(script),
        "--child",
        mode,
        "--model-dir",
        str(model_dir),
        "--result",
        str(result),
        *common,
    ]


def run_child(command: list[str]) -> dict[str, Any]:
    """Run one child to completion; its result plus wall time and the kernel's ru_maxrss."""
    result_path = Path(command[command.index("--result") + 1])
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", PYTHONHASHSEED="0")
    with tempfile.TemporaryFile() as stderr:
        start = time.perf_counter()
        proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=stderr)
        _pid, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        stderr.seek(0)
        errors = stderr.read().decode(errors="replace")
    if proc.returncode != 0 or not result_path.exists():
        raise RuntimeError(f"benchmark child failed: {' '.join(command)}\n{errors[-4000:]}")
    figures = json.loads(result_path.read_text())
    result_path.unlink()
    figures["process_wall_s"] = wall
    figures["child_ru_maxrss_bytes"] = usage.ru_maxrss * 1024
    return figures


def median_figures(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """Per-figure medians over rounds (nested dicts of numbers are handled key by key)."""
    out: dict[str, Any] = {}
    for key, value in rounds[0].items():
        if isinstance(value, bool) or not isinstance(value, (int, float, dict)):
            out[key] = value
        elif isinstance(value, dict):
            out[key] = median_figures([r[key] for r in rounds])
        else:
            out[key] = statistics.median(r[key] for r in rounds)
    return out


def apply_quick(args: argparse.Namespace) -> None:
    """``--quick``: at most 3 rounds and 1 extra first-sight sample, 3 warm reps, fewer sizes."""
    if args.quick:
        args.rounds = min(args.rounds, 3)
        args.first_sight_samples = min(args.first_sight_samples, 1)
        args.sizes, args.warm_reps = list(QUICK_SIZES), 3


def contender_main(contender_cls: type[Contender], script: str, description: str) -> int:
    parser = _base_parser(description)
    contender_cls.add_arguments(parser)
    args = parser.parse_args()
    apply_quick(args)
    contender = contender_cls(args)
    if args.child:
        return _child(contender, args)
    return _standalone(contender, Path(script).resolve(), args)


def _child(contender: Contender, args: argparse.Namespace) -> int:
    if args.child == "deps":
        figures = dependency_footprint(contender.requirement_roots, contender.extra_package_dirs())
        figures["versions"] = contender.versions()
    elif args.child == "first":
        figures = measure_first_sight(contender, args.model_dir, args)
    elif args.child == "load":
        figures = measure_load(contender, args.model_dir, args.page_cache)
    else:
        figures = measure_main(contender, args.model_dir, args)
    args.result.write_text(json.dumps(figures))
    return 0


def common_child_args(args: argparse.Namespace) -> list[str]:
    return [
        "--batch-size",
        str(args.batch_size),
        "--warm-reps",
        str(args.warm_reps),
        "--sizes",
        *map(str, args.sizes),
        "--limit-texts",
        str(args.limit_texts),
    ]


def _standalone(contender: Contender, script: Path, args: argparse.Namespace) -> int:
    from models import MODELS, build, default_cache_dir

    model = MODELS[args.model]
    cache_dir = args.cache_dir or default_cache_dir()
    model_dir = args.model_dir or build(model, cache_dir)
    spec = ContenderRun(
        contender.label(),
        contender.artifact_name(model.model_format),
        script,
        args.python,
        contender.forwarded_args(),
        contender.kind,
    )
    record = run_rounds([spec], model_dir, args)[0]
    record["model"] = {"key": model.key, "description": model.description, "dir": str(model_dir)}
    path = args.out / model.key / f"{spec.artifact}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=2) + "\n")
    print(f"wrote {path}")
    return 0


class ContenderRun:
    """What the driver needs to start one contender's children."""

    def __init__(
        self,
        label: str,
        artifact: str,
        script: Path,
        python: str,
        extra: list[str],
        kind: str = "contender",
    ) -> None:
        self.label, self.artifact, self.script = label, artifact, script
        self.python, self.extra, self.kind = python, extra, kind

    def command(self, mode: str, model_dir: Path, common: list[str], tmp: Path) -> list[str]:
        result = tmp / f"{self.artifact}-{mode}-{time.monotonic_ns()}.json"
        return child_command(
            self.script, self.python, mode, model_dir, result, [*common, *self.extra]
        )


def run_rounds(
    runs: list[ContenderRun],
    model_dir: Path,
    args: argparse.Namespace,
    *,
    cold_page_cache: bool = True,
    log: Callable[[str], None] = print,
) -> list[dict[str, Any]]:
    """Interleave ``runs`` over ``args.rounds`` rounds of fresh processes; medians per contender."""
    common = common_child_args(args)
    per_run: dict[str, dict[str, list[dict[str, Any]]]] = {
        r.artifact: {"main": [], "first_sight": [], "load_cold": []} for r in runs
    }
    cold = [*common, "--page-cache", "cold"]
    with tempfile.TemporaryDirectory(prefix="ser-bench-") as tmp_name:
        tmp = Path(tmp_name)
        deps = {r.artifact: run_child(r.command("deps", model_dir, common, tmp)) for r in runs}
        for round_index in range(args.rounds):
            shift = round_index % len(runs)
            for run in runs[shift:] + runs[:shift]:
                started = time.perf_counter()
                slot = per_run[run.artifact]
                if cold_page_cache:
                    slot["load_cold"].append(run_child(run.command("load", model_dir, cold, tmp)))
                    warm_page_cache(model_dir)
                slot["main"].append(run_child(run.command("main", model_dir, common, tmp)))
                log(
                    f"  round {round_index + 1}/{args.rounds} {run.label}: "
                    f"{time.perf_counter() - started:.1f} s"
                )
            # Extra first-sight samples take turns too, so that a slow spell of the machine
            # hits every contender rather than one contender's samples in a row.
            for sample in range(args.first_sight_samples):
                turn = (shift + sample + 1) % len(runs)
                for run in runs[turn:] + runs[:turn]:
                    per_run[run.artifact]["first_sight"].append(
                        run_child(run.command("first", model_dir, common, tmp))
                    )
    sentences, documents = corpus(args)
    records = []
    for run in runs:
        slot = per_run[run.artifact]
        first_sight = first_sight_times(slot)
        records.append(
            {
                "contender": run.label,
                "artifact": run.artifact,
                "machine": machine_info(),
                "settings": {
                    "rounds": args.rounds,
                    "first_sight_samples_per_round": 1 + args.first_sight_samples,
                    "batch_size": args.batch_size,
                    "warm_reps": args.warm_reps,
                    "sizes": list(args.sizes),
                    "sentences": len(sentences),
                    "documents": len(documents),
                },
                "dependencies": deps[run.artifact],
                "median": {k: median_figures(v) for k, v in slot.items() if v},
                "first_sight_ms_per_text": statistics.median(first_sight),
                "first_sight_samples": len(first_sight),
                "rounds": slot,
            }
        )
    return records
