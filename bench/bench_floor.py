"""Floor contender: the raw ``tokenizers`` package alone plus a numpy gather-and-sum.

Tokenisation time (``encode_batch_fast``, no special tokens) and pooling time (gather the rows of
the precomputed ids from a dense float32 table in RAM, sum per text, mean, L2-normalise) are
reported separately; their sum is the floor every contender is compared with.

    python bench/bench_floor.py --model st-en-30k-1024 [--quick]
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from harness import Contender, contender_main
from models import FLOOR_TABLE


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

    def encode(self, model: Any, texts: list[str]) -> Any:
        tokenizer, table = model
        tokenize = pool = 0.0
        out = np.zeros((len(texts), table.shape[1]), dtype=np.float32)
        for start in range(0, len(texts), self.args.batch_size):
            t0 = time.perf_counter()
            chunk = texts[start : start + self.args.batch_size]
            ids = [e.ids for e in tokenizer.encode_batch_fast(chunk, add_special_tokens=False)]
            t1 = time.perf_counter()
            lengths = np.fromiter(map(len, ids), dtype=np.int64, count=len(ids))
            flat = np.fromiter(
                (i for row in ids for i in row), dtype=np.int64, count=int(lengths.sum())
            )
            nonempty = lengths > 0
            starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))[nonempty]
            sums = np.add.reduceat(table[flat], starts, axis=0) if len(flat) else out[:0]
            sums /= lengths[nonempty, None].astype(np.float32)
            sums /= np.maximum(np.linalg.norm(sums, axis=1, keepdims=True), np.float32(1e-12))
            out[start : start + len(chunk)][nonempty] = sums
            pool += time.perf_counter() - t1
            tokenize += t1 - t0
        self.parts = {"tokenize": tokenize, "pool": pool}
        return out


if __name__ == "__main__":
    raise SystemExit(contender_main(Floor, __file__, __doc__.splitlines()[0]))
