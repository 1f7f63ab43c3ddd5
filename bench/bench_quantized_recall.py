"""Storage per vector and recall@10 of quantized search, against exact float search.

Corpus: the paragraphs of Python's reference documentation (``tests/retrieval_corpus.py``), every
tenth held out as a query; embedded by the default model (all-MiniLM-L6-v2 distilled to 256
dimensions). Reference: the exact top 10 by cosine in float64. Each method's recall@10 is the
fraction of that top 10 it returns, averaged over the queries. Search runs in faiss where faiss
has the index (IndexFlatIP, IndexBinaryFlat); int8 scoring in numpy.

    python bench/bench_quantized_recall.py   # -> results/quantize/recall.json and recall.md
"""

from __future__ import annotations

import json
import platform
import sys
from pathlib import Path

import faiss
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from retrieval_corpus import queries_and_corpus  # noqa: E402

from static_embed_runner import (  # noqa: E402
    StaticEmbedRunner,
    dequantize_embeddings,
    faiss_binary_codes,
    quantization_ranges,
    quantize_embeddings,
    rescore,
)

K = 10
OUT = ROOT / "results" / "quantize"


def recall(found: np.ndarray, exact: np.ndarray) -> float:
    return float(np.mean([len(set(a) & set(b)) / K for a, b in zip(found, exact, strict=True)]))


def top_k(scores: np.ndarray) -> np.ndarray:
    return np.argsort(-scores, axis=1, kind="stable")[:, :K]


def measure() -> dict:
    runner = StaticEmbedRunner.load()
    query_texts, corpus_texts = queries_and_corpus()
    queries, corpus = runner.encode(query_texts), runner.encode(corpus_texts)
    dim = corpus.shape[1]
    exact = top_k(queries.astype(np.float64) @ corpus.astype(np.float64).T)
    rows = []

    def row(method: str, index_bytes: int, rescore_bytes: int, ids: np.ndarray) -> None:
        rows.append(
            {
                "method": method,
                "index_bytes_per_vector": index_bytes,
                "rescore_bytes_per_vector": rescore_bytes,
                f"recall_at_{K}": round(recall(ids, exact), 4),
            }
        )

    flat = faiss.IndexFlatIP(dim)
    flat.add(corpus)
    row("float32, faiss IndexFlatIP", 4 * dim, 0, flat.search(queries, K)[1])

    ranges = quantization_ranges(corpus)
    codes = quantize_embeddings(corpus, "int8", ranges)
    dequantized = dequantize_embeddings(codes, "int8", ranges)
    row(
        "int8, float query x dequantized codes",
        dim,
        0,
        top_k(queries @ dequantized.T),
    )
    query_codes = quantize_embeddings(queries, "int8", ranges).astype(np.float64)
    row("int8, dot product of the int8 codes", dim, 0, top_k(query_codes @ codes.T))

    binary = faiss.IndexBinaryFlat(8 * ((dim + 7) // 8))
    binary.add(faiss_binary_codes(corpus))
    query_bits = faiss_binary_codes(queries)
    row(
        "binary, faiss IndexBinaryFlat (Hamming)",
        (dim + 7) // 8,
        0,
        binary.search(query_bits, K)[1],
    )
    for multiplier in (4, 10):
        candidates = binary.search(query_bits, K * multiplier)[1]
        _, ids = rescore(queries, candidates, corpus, top_k=K)
        row(
            f"binary, {K * multiplier} candidates rescored with float32",
            (dim + 7) // 8,
            4 * dim,
            ids,
        )
        _, ids = rescore(
            queries, candidates, codes, top_k=K, corpus_precision="int8", ranges=ranges
        )
        row(
            f"binary, {K * multiplier} candidates rescored with int8",
            (dim + 7) // 8,
            dim,
            ids,
        )
    return {
        "corpus": "paragraphs of Python's reference documentation (pydoc_data.topics)",
        "python": platform.python_version(),
        "faiss": faiss.__version__,
        "model": "default model (all-MiniLM-L6-v2 distilled, 256 dims, 4-bit table)",
        "queries": len(queries),
        "corpus_size": len(corpus),
        "dim": dim,
        "k": K,
        "rows": rows,
    }


def markdown(result: dict) -> str:
    lines = [
        f"Recall@{K} against exact float search; {result['corpus_size']:,} paragraphs of Python's "
        f"reference documentation, {result['queries']} held-out paragraphs as queries, "
        f"{result['dim']}-dimension vectors of the default model.",
        "",
        f"| search | bytes per vector searched | bytes per vector kept for rescoring | "
        f"recall@{K} |",
        "|---|---:|---:|---:|",
    ]
    for item in result["rows"]:
        rescore_bytes = item["rescore_bytes_per_vector"] or "-"
        lines.append(
            f"| {item['method']} | {item['index_bytes_per_vector']} | {rescore_bytes} | "
            f"{item[f'recall_at_{K}']:.3f} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    result = measure()
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "recall.json").write_text(json.dumps(result, indent=1) + "\n")
    (OUT / "recall.md").write_text(markdown(result))
    print(markdown(result))


if __name__ == "__main__":
    main()
