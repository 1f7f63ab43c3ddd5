"""Tokens per second of the pure-Python tokenizer (lite) against ``tokenizers`` on the same texts.

For each tokenizer: lite on first sight of the texts (cold memo cache, fresh object) and on a
repeat pass (warm cache); ``tokenizers`` ``encode_batch`` with its default thread pool and with
one thread (a child process with ``RAYON_NUM_THREADS=1`` and ``TOKENIZERS_PARALLELISM=false``,
set before the pool starts). Every measurement first checks that lite's ids equal Rust's.
Writes ``results/tokenizer_bench.json``.

    PYTHONPATH=src python bench/bench_tokenizer.py [--repeats 3] [--texts 2000]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "tests")]

from corpus import REAL_SENTENCES, TOKENIZER_FIXTURES  # noqa: E402

CASES = {
    "bert-base-uncased (WordPiece)": "bert-base-uncased",
    "gpt2 (byte-level BPE)": "gpt2",
    "llama-2 (sentencepiece BPE)": "llama-2",
    "xlm-roberta (Unigram, Precompiled)": "xlm-roberta-paraphrase-multilingual-mpnet-base-v2",
    "t5-small (Unigram, old format)": "t5-small",
}


def bench_texts(count: int, seed: int = 0) -> list[str]:
    """Realistic sentences: corpus sentences recombined with random word order, deterministic."""
    rng = random.Random(seed)
    words = [w for s in REAL_SENTENCES for w in s.split()]
    out = []
    for _ in range(count):
        out.append(" ".join(rng.choice(words) for _ in range(rng.randint(5, 40))))
    return out


def _time(fn, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def rust_child(path: str, count: int, repeats: int) -> dict:
    import tokenizers

    tok = tokenizers.Tokenizer.from_file(path)
    tok.no_padding()
    texts = bench_texts(count)
    ids = [e.ids for e in tok.encode_batch(texts, add_special_tokens=False)]
    seconds = _time(lambda: tok.encode_batch(texts, add_special_tokens=False), repeats)
    return {"tokens": sum(map(len, ids)), "seconds": seconds}


def run_rust(path: str, count: int, repeats: int, one_thread: bool) -> dict:
    env = dict(os.environ)
    if one_thread:
        env.update(RAYON_NUM_THREADS="1", TOKENIZERS_PARALLELISM="false")
    out = subprocess.run(
        [
            sys.executable,
            __file__,
            "--rust-child",
            path,
            "--texts",
            str(count),
            "--repeats",
            str(repeats),
        ],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def run_lite(path: str, count: int, repeats: int) -> dict:
    import tokenizers

    from static_embed_runner.tokenizer.pipeline import Tokenizer

    texts = bench_texts(count)
    start = time.perf_counter()
    tok = Tokenizer.from_file(path)
    load = time.perf_counter() - start
    start = time.perf_counter()
    ids = tok.encode_batch(texts)
    cold = time.perf_counter() - start
    warm = _time(lambda: tok.encode_batch(texts), repeats)
    rust = tokenizers.Tokenizer.from_file(path)
    rust.no_padding()
    expected = [e.ids for e in rust.encode_batch(texts, add_special_tokens=False)]
    if tok.truncation is None and ids != expected:
        raise AssertionError(f"lite ids differ from tokenizers for {path}")
    return {
        "tokens": sum(map(len, ids)),
        "load_seconds": load,
        "cold_seconds": cold,
        "warm_seconds": warm,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--texts", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--rust-child")
    parser.add_argument("--out", default=str(ROOT / "results" / "tokenizer_bench.json"))
    args = parser.parse_args()
    if args.rust_child:
        print(json.dumps(rust_child(args.rust_child, args.texts, args.repeats)))
        return
    rows = []
    for label, name in CASES.items():
        path = str(TOKENIZER_FIXTURES / name / "tokenizer.json")
        lite = run_lite(path, args.texts, args.repeats)
        rust_default = run_rust(path, args.texts, args.repeats, one_thread=False)
        rust_one = run_rust(path, args.texts, args.repeats, one_thread=True)
        tokens = lite["tokens"]
        row = {
            "tokenizer": label,
            "texts": args.texts,
            "tokens": tokens,
            "lite_load_s": round(lite["load_seconds"], 3),
            "lite_cold_tok_per_s": round(tokens / lite["cold_seconds"]),
            "lite_warm_tok_per_s": round(tokens / lite["warm_seconds"]),
            "rust_1_thread_tok_per_s": round(rust_one["tokens"] / rust_one["seconds"]),
            "rust_default_threads_tok_per_s": round(
                rust_default["tokens"] / rust_default["seconds"]
            ),
        }
        row["lite_warm_vs_rust_1_thread"] = round(
            row["lite_warm_tok_per_s"] / row["rust_1_thread_tok_per_s"], 3
        )
        rows.append(row)
        print(json.dumps(row))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    meta = {"cpu_count": os.cpu_count(), "python": sys.version.split()[0]}
    out.write_text(json.dumps({"meta": meta, "rows": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()
