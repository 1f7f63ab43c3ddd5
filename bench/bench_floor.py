"""Floor contender: the raw ``tokenizers`` package alone plus a numpy gather-and-sum.

Tokenisation time (``encode_batch_fast``, no special tokens) and pooling time (gather the rows of
the precomputed ids from a dense float32 table in RAM, sum per text, mean, L2-normalise) are
reported separately; their sum is the floor every contender is compared with. The pooling is the
fastest plain-numpy form measured here: texts grouped by token count, one 3-D gather per group.

    python bench/bench_floor.py --model st-en-30k-1024 [--quick]
"""

from __future__ import annotations

import time
from itertools import pairwise
from pathlib import Path
from typing import Any

from harness import Contender, contender_main
from models import FLOOR_TABLE

MAX_CELLS = 1 << 20  # gathered values per block: keeps each block in cache


class Floor(Contender):
    kind = "floor"
    requirement_roots = ("tokenizers", "numpy")

    def label(self) -> str:
        return "floor (tokenizers + numpy gather-sum)"

    def artifact_name(self, model_format: str) -> str:
        return "floor_tokenizers_numpy"

    def import_library(self) -> None:
        global np, tokenizers
        import numpy as np
        import tokenizers

    def load(self, model_dir: Path) -> Any:
        tokenizer = tokenizers.Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        tokenizer.no_padding()
        tokenizer.no_truncation()
        return tokenizer, np.load(model_dir / FLOOR_TABLE)

    def files_read(self, model_dir: Path) -> list[Path]:
        return [model_dir / "tokenizer.json", model_dir / FLOOR_TABLE]

    def encode(self, model: Any, texts: list[str]) -> Any:
        tokenizer, table = model
        tokenize = pool = 0.0
        out = np.empty((len(texts), table.shape[1]), dtype=np.float32)
        for start in range(0, len(texts), self.args.batch_size):
            t0 = time.perf_counter()
            chunk = texts[start : start + self.args.batch_size]
            ids = [e.ids for e in tokenizer.encode_batch_fast(chunk, add_special_tokens=False)]
            t1 = time.perf_counter()
            gather_and_sum(ids, table, out[start : start + len(chunk)])
            pool += time.perf_counter() - t1
            tokenize += t1 - t0
        self.parts = {"tokenize": tokenize, "pool": pool}
        return out


def gather_and_sum(ids: list[list[int]], table: Any, out: Any) -> None:
    """Mean of each text's rows, L2-normalised, into ``out``; texts grouped by token count so
    each group is one ``(texts, tokens, dim)`` gather summed over tokens, in bounded blocks."""
    lengths = np.fromiter(map(len, ids), dtype=np.int64, count=len(ids))
    order = np.argsort(lengths, kind="stable")
    sorted_lengths = lengths[order]
    bounds = [*np.flatnonzero(np.diff(sorted_lengths, prepend=-1)).tolist(), len(ids)]
    out[lengths == 0] = 0
    for first, last in pairwise(bounds):
        length = int(sorted_lengths[first])
        if length == 0:
            continue
        step = max(1, MAX_CELLS // (length * table.shape[1]))
        for block_start in range(first, last, step):
            members = order[block_start : min(last, block_start + step)]
            block = np.array([ids[m] for m in members], dtype=np.int64)
            out[members] = table[block].sum(axis=1) / np.float32(length)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    out /= np.maximum(norms, np.float32(1e-12))


if __name__ == "__main__":
    raise SystemExit(contender_main(Floor, __file__, __doc__.splitlines()[0]))
