"""Bulk embedding: pool speed-up over one process, and a Parquet -> Parquet job against
model2vec's and sentence-transformers' own multi-process encodes on the same model.

The model is a Model2Vec model (the bert-base-uncased tokenizer from the shared fixtures, a
random 256-d float32 table) that all three libraries load. Texts are the benchmark sentences
made distinct by a number ("first sight": never seen by the process; "warm": encoded once
before). Writes results/bulk/bulk.json and results/bulk/throughput_vs_workers.png.

    python bench/bench_bulk.py --texts 40000
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "results" / "bulk"
TOKENIZER = (
    ROOT.parent / "shared" / "fixtures" / "tokenizers" / "bert-base-uncased" / "tokenizer.json"
)
sys.path.insert(0, str(ROOT / "bench"))

from texts import SENTENCES  # noqa: E402

from static_embed_runner import StaticEmbedRunner  # noqa: E402


def build_model(path: Path) -> Path:
    if (path / "model.safetensors").exists():
        return path
    from model2vec import StaticModel
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(TOKENIZER))
    rng = np.random.default_rng(0)
    vectors = (rng.standard_normal((tokenizer.get_vocab_size(), 256)) * 0.1).astype(np.float32)
    StaticModel(vectors, tokenizer, normalize=True).save_pretrained(str(path))
    return path


def corpus(n: int, tag: str) -> list[str]:
    return [f"{SENTENCES[i % len(SENTENCES)]} {tag}{i}" for i in range(n)]


def timed(function) -> float:
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


def pool_speedup(model: Path, n: int, workers: list[int], rounds: int) -> dict:
    runner = StaticEmbedRunner.load(model, tokenizer_backend="lite")
    runner.encode(corpus(200, "warmup"))
    rows = {}
    one_first = [timed(lambda r=r: runner.encode(corpus(n, f"one{r}-"))) for r in range(rounds)]
    warm = corpus(n, "warm-")
    runner.encode(warm)
    one_warm = [timed(lambda: runner.encode(warm)) for _ in range(rounds)]
    rows[1] = {"first_sight_s": statistics.median(one_first), "warm_s": statistics.median(one_warm)}
    for count in workers:
        started = time.perf_counter()
        with runner.pool(count) as pool:
            startup = time.perf_counter() - started
            pool.encode(corpus(200, "warmup"))
            first = [
                timed(lambda r=r, c=count: pool.encode(corpus(n, f"p{c}-{r}-")))
                for r in range(rounds)
            ]
            pool.encode(warm)
            hot = [timed(lambda: pool.encode(warm)) for _ in range(rounds)]
            uss = [_smaps(pid) for pid in pool.worker_pids]
        rows[count] = {
            "first_sight_s": statistics.median(first),
            "warm_s": statistics.median(hot),
            "startup_s": startup,
            "worker_memory_kib": uss,
        }
    for row in rows.values():
        row["first_sight_texts_per_s"] = n / row["first_sight_s"]
        row["warm_texts_per_s"] = n / row["warm_s"]
        row["first_sight_speedup"] = rows[1]["first_sight_s"] / row["first_sight_s"]
        row["warm_speedup"] = rows[1]["warm_s"] / row["warm_s"]
    return rows


def _smaps(pid: int) -> dict:
    """RSS, PSS and USS (private clean + dirty) of a process in KiB, from smaps_rollup."""
    fields = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, value = line.split()[:2]
        fields[name.rstrip(":")] = int(value)
    return {
        "rss": fields["Rss"],
        "pss": fields["Pss"],
        "uss": fields["Private_Clean"] + fields["Private_Dirty"],
        "shared_file": fields["Rss"] - fields["Anonymous"],
    }


CEILING_JOB = """
import sys, time
sys.path.insert(0, sys.argv[3])
from texts import SENTENCES
from static_embed_runner import StaticEmbedRunner
runner = StaticEmbedRunner.load(sys.argv[1], tokenizer_backend="lite")
texts = [f"{SENTENCES[i % len(SENTENCES)]} {sys.argv[4]}{i}" for i in range(int(sys.argv[2]))]
started = time.perf_counter()
runner.encode(texts)
print(time.perf_counter() - started)
"""


def ceiling(model: Path, n: int, copies: int) -> dict:
    """What the machine gives ``copies`` independent one-process encodes run at once, against one
    alone: the speed-up no pool can beat on this machine at this moment (other jobs included)."""

    def run(count: int) -> float:
        command = [sys.executable, "-c", CEILING_JOB, str(model), str(n), str(ROOT / "bench")]
        processes = [
            subprocess.Popen([*command, f"c{count}-{i}-"], stdout=subprocess.PIPE, text=True)
            for i in range(count)
        ]
        return max(float(p.communicate()[0]) for p in processes)

    alone = run(1)
    together = run(copies)
    return {
        "alone_s": alone,
        "together_s": together,
        "aggregate_speedup": copies * alone / together,
    }


MODEL2VEC_JOB = """
import sys, numpy as np, pyarrow as pa, pyarrow.parquet as pq
from model2vec import StaticModel
table = pq.read_table(sys.argv[2])
model = StaticModel.from_pretrained(sys.argv[1])
vectors = model.encode(table.column("text").to_pylist(), use_multiprocessing=True)
vectors = np.ascontiguousarray(vectors, dtype=np.float32)
embedding = pa.FixedSizeListArray.from_arrays(pa.array(vectors.ravel()), vectors.shape[1])
pq.write_table(pa.table({"id": table.column("id"), "embedding": embedding}), sys.argv[3])
"""

ST_JOB = """
import sys, numpy as np, pyarrow as pa, pyarrow.parquet as pq
from sentence_transformers import SentenceTransformer
from sentence_transformers.sentence_transformer.modules import StaticEmbedding
if __name__ == "__main__":
    table = pq.read_table(sys.argv[2])
    model = SentenceTransformer(modules=[StaticEmbedding.from_model2vec(sys.argv[1])], device="cpu")
    pool = model.start_multi_process_pool(["cpu"] * int(sys.argv[4]))
    vectors = model.encode(table.column("text").to_pylist(), pool=pool, batch_size=1024,
                           normalize_embeddings=True)
    model.stop_multi_process_pool(pool)
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    embedding = pa.FixedSizeListArray.from_arrays(pa.array(vectors.ravel()), vectors.shape[1])
    pq.write_table(pa.table({"id": table.column("id"), "embedding": embedding}), sys.argv[3])
"""


def run_job(command: list[str]) -> dict:
    """Wall time and the peak RSS (KiB) of the largest process of ``command``."""
    started = time.perf_counter()
    result = subprocess.run(
        ["/usr/bin/time", "-f", "%M", *command], capture_output=True, text=True, check=False
    )
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise RuntimeError(f"{command[:4]} failed: {result.stderr[-2000:]}")
    return {"seconds": seconds, "peak_rss_kib": int(result.stderr.strip().splitlines()[-1])}


def bulk_jobs(model: Path, n: int, workers: list[int], folder: Path) -> dict:
    import pyarrow as pa
    import pyarrow.parquet as pq

    source = folder / "docs.parquet"
    pq.write_table(pa.table({"id": list(range(n)), "text": corpus(n, "doc")}), source)
    results: dict[str, dict] = {}
    for count in [1, *workers]:
        out = folder / f"ours-{count}.parquet"
        command = [
            sys.executable, "-m", "static_embed_runner.cli", "embed-file", str(source),
            "--out", str(out), "--model", str(model), "--workers", str(count),
            "--no-progress", "--tokenizer", "lite",
        ]  # fmt: skip
        results[f"static-embed-runner, {count} worker(s)"] = run_job(command)
    reference = pq.read_table(folder / "ours-1.parquet")
    script = folder / "m2v_job.py"
    script.write_text(textwrap.dedent(MODEL2VEC_JOB))
    out = folder / "m2v.parquet"
    results["model2vec encode(use_multiprocessing=True)"] = run_job(
        [sys.executable, str(script), str(model), str(source), str(out)]
    )
    results["model2vec encode(use_multiprocessing=True)"]["same_vectors_as_ours"] = _same(
        reference, pq.read_table(out)
    )
    script = folder / "st_job.py"
    script.write_text(textwrap.dedent(ST_JOB))
    for count in workers:
        out = folder / f"st-{count}.parquet"
        name = f"sentence-transformers encode(pool=...), {count} process(es)"
        results[name] = run_job(
            [sys.executable, str(script), str(model), str(source), str(out), str(count)]
        )
        results[name]["same_vectors_as_ours"] = _same(reference, pq.read_table(out))
    for row in results.values():
        row["rows_per_s"] = n / row["seconds"]
    return results


def _same(a, b) -> float:
    """Largest absolute difference between two outputs' vectors (ids must match)."""
    assert a.column("id").to_pylist() == b.column("id").to_pylist()
    va = np.array(a.column("embedding").to_pylist(), dtype=np.float32)
    vb = np.array(b.column("embedding").to_pylist(), dtype=np.float32)
    return float(np.abs(va - vb).max())


def plot(pool: dict, jobs: dict, path: Path, loads: tuple[float, float]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    counts = sorted(pool)
    figure, axis = plt.subplots(figsize=(6, 4))
    axis.plot(counts, [pool[c]["first_sight_texts_per_s"] for c in counts], "o-",
              label="pool.encode, first-sight texts")  # fmt: skip
    axis.plot(counts, [pool[c]["warm_texts_per_s"] for c in counts], "s-",
              label="pool.encode, warm texts")  # fmt: skip
    ours = {c: jobs.get(f"static-embed-runner, {c} worker(s)") for c in counts}
    axis.plot([c for c in counts if ours[c]], [ours[c]["rows_per_s"] for c in counts if ours[c]],
              "^-", label="embed-file Parquet -> Parquet")  # fmt: skip
    axis.set_xlabel("worker processes")
    axis.set_ylabel("texts per second")
    axis.set_xticks(counts)
    axis.set_title(
        f"Throughput against workers ({os.cpu_count()} CPUs, "
        f"load average {loads[0]:.1f} to {loads[1]:.1f})"
    )
    axis.grid(alpha=0.3)
    axis.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--texts", type=int, default=40_000)
    parser.add_argument("--workers", type=int, nargs="+", default=[2, 3])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="bench-bulk-") as tmp:
        model = build_model(Path(tempfile.gettempdir()) / "bench-bulk-m2v-256")
        machine = ceiling(model, args.texts, 2)
        print(json.dumps(machine), flush=True)
        pool = pool_speedup(model, args.texts, args.workers, args.rounds)
        print(json.dumps(pool, indent=1), flush=True)
        jobs = bulk_jobs(model, args.texts, args.workers, Path(tmp))
        print(json.dumps(jobs, indent=1), flush=True)
    result = {
        "texts": args.texts,
        "cpus": os.cpu_count(),
        "load_average_before": load_before,
        "load_average_after": os.getloadavg(),
        "machine_ceiling_two_processes": machine,
        "pool": pool,
        "bulk_parquet_to_parquet": jobs,
    }
    (OUT / "bulk.json").write_text(json.dumps(result, indent=1) + "\n")
    loads = (load_before[0], result["load_average_after"][0])
    plot(pool, jobs, OUT / "throughput_vs_workers.png", loads)


if __name__ == "__main__":
    main()
