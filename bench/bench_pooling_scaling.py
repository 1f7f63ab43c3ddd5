"""Pooling cost against batch size: the runtime's pooling is linear in the number of texts.

Token ids of the benchmark sentences (bert-base-uncased tokenizer; each repetition of the corpus
remapped through a random vocabulary permutation so that distinct ids keep growing, as with new
texts; batches drawn in random order) are pooled over a synthetic 30,522 x 1024 float32 table for
batches of 64 .. 16,384 texts, comparing:

- ``grouped`` -- ``static_embed_runner.pooling.mean_pool`` as shipped (bounded chunks, texts
  grouped by length, one gather + one sequential sum per group; bit-identical to the references);
- ``grouped-unchunked`` -- the same with no chunk bound (one chunk for the whole batch);
- ``count-matrix`` -- the bag-of-tokens count matrix x unique rows (one sgemm per chunk) over
  bounded chunks of 32 texts;
- ``count-matrix-unchunked`` -- one count matrix for the whole batch: texts x unique ids grows
  with the square of the batch (stopped at 2,048 texts).

Writes ``results/pooling_scaling.json`` (ms per batch, us per text, and the ratio of us/text at the
largest batch to the smallest: ~1 means linear). Pooling only: tokenisation is done beforehand.

    python bench/bench_pooling_scaling.py [--repeats 3] [--out results/pooling_scaling.json]
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from itertools import chain
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from texts import SENTENCES  # noqa: E402

from static_embed_runner.io.table import DenseTable  # noqa: E402
from static_embed_runner.pooling import mean_pool  # noqa: E402
from static_embed_runner.tokenizer.backend import load_tokenizer  # noqa: E402

TOKENIZER = (
    ROOT.parent / "shared" / "fixtures" / "tokenizers" / "bert-base-uncased" / "tokenizer.json"
)
BATCHES = [64, 256, 1024, 4096, 16384]
UNCHUNKED_COUNT_MATRIX_LIMIT = 2048


def count_matrix_pool(token_ids: list[list[int]], table: np.ndarray, chunk: int) -> np.ndarray:
    """The count-matrix form: per chunk, (texts x unique ids) counts @ unique rows, / lengths."""
    out = np.zeros((len(token_ids), table.shape[1]), dtype=np.float32)
    for start in range(0, len(token_ids), chunk):
        part = token_ids[start : start + chunk]
        lengths = np.fromiter(map(len, part), dtype=np.int64, count=len(part))
        flat = np.fromiter(chain.from_iterable(part), dtype=np.int64, count=int(lengths.sum()))
        if not len(flat):
            continue
        unique, inverse = np.unique(flat, return_inverse=True)
        rows = table[unique]
        text_of_token = np.repeat(np.arange(len(part)), lengths)
        cells = np.bincount(
            text_of_token * len(unique) + inverse, minlength=len(part) * len(unique)
        )
        counts = cells.reshape(len(part), len(unique)).astype(np.float32)
        out[start : start + len(part)] = (counts @ rows) / np.maximum(lengths, 1)[:, None]
    return out


def _diverse_batch(base_ids: list[list[int]], n: int, vocab_size: int) -> list[list[int]]:
    """``n`` texts with the corpus's length mix, in random order, where each repetition of the
    corpus maps its ids through its own random permutation of the vocabulary, so that distinct
    ids keep growing with the batch as they do for genuinely new texts."""
    rng = np.random.default_rng(1)
    repeats = -(-n // len(base_ids))
    texts = []
    for k in range(repeats):
        mapping = np.arange(vocab_size) if k == 0 else rng.permutation(vocab_size)
        texts.extend(mapping[np.asarray(ids, dtype=np.int64)].tolist() for ids in base_ids)
    order = rng.permutation(len(texts))[:n]
    return [texts[i] for i in order]


def _time(function, repeats: int) -> float:
    function()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=ROOT / "results" / "pooling_scaling.json")
    args = parser.parse_args(argv)

    tokenizer = load_tokenizer(TOKENIZER, backend="tokenizers")
    raw = np.random.default_rng(0).standard_normal((tokenizer.get_vocab_size(), 1024))
    array = raw.astype(np.float32)
    table = DenseTable(array)
    base_ids = tokenizer.encode_batch(SENTENCES)
    corpus_ids = _diverse_batch(base_ids, max(BATCHES), tokenizer.get_vocab_size())
    methods = {
        "grouped": lambda ids: mean_pool(ids, table),
        "grouped-unchunked": lambda ids: mean_pool(ids, table, max_cells=1 << 62),
        "count-matrix": lambda ids: count_matrix_pool(ids, array, chunk=32),
        "count-matrix-unchunked": lambda ids: count_matrix_pool(ids, array, chunk=len(ids)),
    }
    results: dict[str, list[dict[str, float]]] = {name: [] for name in methods}
    for batch in BATCHES:
        ids = corpus_ids[:batch]
        for name, method in methods.items():
            if name == "count-matrix-unchunked" and batch > UNCHUNKED_COUNT_MATRIX_LIMIT:
                continue
            seconds = _time(lambda method=method, ids=ids: method(ids), args.repeats)
            row = {"texts": batch, "ms": seconds * 1e3, "us_per_text": seconds * 1e6 / batch}
            results[name].append(row)
            per_text = row["us_per_text"]
            print(f"{name:24s} {batch:6d} texts {row['ms']:10.2f} ms {per_text:8.2f} us/text")
    summary = {
        name: rows[-1]["us_per_text"] / rows[0]["us_per_text"] for name, rows in results.items()
    }
    report = {
        "what": "mean pooling only (ids precomputed), 30522 x 1024 float32 table",
        "tokens_per_text": float(np.mean([len(ids) for ids in base_ids])),
        "machine": {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "processor": platform.processor() or platform.machine(),
        },
        "date": time.strftime("%Y-%m-%d"),
        "us_per_text_growth_largest_vs_smallest_batch": summary,
        "results": results,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1) + "\n")
    print(json.dumps(summary, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
