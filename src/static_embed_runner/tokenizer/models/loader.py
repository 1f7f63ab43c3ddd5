"""tokenizer.json ``model`` block -> a model object, for both serialisations.

The current serialisation names the model in ``type``. The older one (tokenizers < 0.14-ish) has
no ``type``; like the reference's untagged fallback we infer it from the fields present, in the
reference's order: ``merges`` -> BPE; ``unk_token`` + ``continuing_subword_prefix`` +
``max_input_chars_per_word`` + a dict ``vocab`` -> WordPiece; a dict ``vocab`` + ``unk_token`` ->
WordLevel; a list ``vocab`` -> Unigram.
"""

from __future__ import annotations

from typing import Any

from ...errors import TokenizerFormatError, UnsupportedTokenizerError
from .bpe import BPE
from .unigram import Unigram
from .wordlevel import WordLevel
from .wordpiece import WordPiece

Model = BPE | Unigram | WordLevel | WordPiece

_WORDPIECE_FIELDS = ("unk_token", "continuing_subword_prefix", "max_input_chars_per_word", "vocab")


def build_model(config: Any, source: str = "<string>") -> Model:
    """Build the model described by tokenizer.json's ``model`` value (``source`` names the file)."""
    builders = {"BPE": _bpe, "WordPiece": _wordpiece, "WordLevel": _wordlevel, "Unigram": _unigram}
    try:
        if not isinstance(config, dict):
            raise TokenizerFormatError(f"'model' must be an object, found {config!r:.80}")
        kind = config.get("type")
        if kind is None:
            kind = infer_model_type(config)
        builder = builders.get(kind)
        if builder is None:
            raise UnsupportedTokenizerError(
                f"{source}: model.type {kind!r} is not supported (one of {sorted(builders)})"
            )
        return builder(config)
    except TokenizerFormatError as exc:
        raise TokenizerFormatError(f"{source}: {exc}") from exc


def infer_model_type(config: dict[str, Any]) -> str:
    """The model type of an old-serialisation ``model`` block that has no ``type``."""
    vocab = config.get("vocab")
    if "merges" in config and "vocab" in config:
        return "BPE"
    if isinstance(vocab, dict):
        if all(field in config for field in _WORDPIECE_FIELDS):
            return "WordPiece"
        if "unk_token" in config:
            return "WordLevel"
    if isinstance(vocab, list):
        return "Unigram"
    raise TokenizerFormatError(
        f"'model' has no 'type' and its fields {sorted(config)} match no known model "
        "(BPE needs vocab+merges, WordPiece unk_token+continuing_subword_prefix+"
        "max_input_chars_per_word+vocab, WordLevel vocab+unk_token, Unigram a list vocab)"
    )


def _dict_vocab(config: dict[str, Any], kind: str) -> dict[str, int]:
    vocab = config.get("vocab")
    if not isinstance(vocab, dict):
        raise TokenizerFormatError(
            f"{kind} model.vocab must be an object token -> id, found {type(vocab).__name__}"
        )
    ids = vocab.values()
    # Checked in bulk (plain ints only, bool excluded, none negative); the item-by-item walk
    # below only runs to name the first bad entry.
    if set(map(type, ids)) <= {int} and (not ids or min(ids) >= 0):
        return vocab
    for token, token_id in vocab.items():
        if isinstance(token_id, bool) or not isinstance(token_id, int) or token_id < 0:
            raise TokenizerFormatError(
                f"{kind} model.vocab[{token!r}] must be a non-negative integer id, "
                f"found {token_id!r}"
            )
    return vocab


def _required(config: dict[str, Any], field: str, kind: str) -> Any:
    if field not in config:
        raise TokenizerFormatError(f"{kind} model is missing the field {field!r}")
    return config[field]


def _optional_str(config: dict[str, Any], field: str, kind: str) -> str | None:
    value = config.get(field)
    if value is not None and not isinstance(value, str):
        raise TokenizerFormatError(
            f"{kind} model.{field} must be a string or null, found {value!r}"
        )
    return value


def _wordpiece(config: dict[str, Any]) -> WordPiece:
    for field in _WORDPIECE_FIELDS:
        _required(config, field, "WordPiece")
    max_chars = config["max_input_chars_per_word"]
    if isinstance(max_chars, bool) or not isinstance(max_chars, int) or max_chars < 0:
        raise TokenizerFormatError(
            f"WordPiece model.max_input_chars_per_word must be a non-negative integer, "
            f"found {max_chars!r}"
        )
    prefix = config["continuing_subword_prefix"]
    if not isinstance(prefix, str):
        raise TokenizerFormatError(
            f"WordPiece model.continuing_subword_prefix must be a string, found {prefix!r}"
        )
    return WordPiece(
        _dict_vocab(config, "WordPiece"),
        unk_token=config["unk_token"],
        continuing_subword_prefix=prefix,
        max_input_chars_per_word=max_chars,
    )


def _wordlevel(config: dict[str, Any]) -> WordLevel:
    _required(config, "unk_token", "WordLevel")
    return WordLevel(_dict_vocab(config, "WordLevel"), unk_token=config["unk_token"])


def _unigram(config: dict[str, Any]) -> Unigram:
    vocab = _required(config, "vocab", "Unigram")
    if not isinstance(vocab, list):
        raise TokenizerFormatError(
            f"Unigram model.vocab must be a list of [piece, score], found {type(vocab).__name__}"
        )
    try:
        pieces = [(piece, float(score)) for piece, score in vocab]
        valid = set(map(type, (p for p, _ in pieces))) <= {str} and set(
            map(type, (s for _, s in vocab))
        ) <= {int, float}
    except (TypeError, ValueError):
        valid = False
    if not valid:
        for i, item in enumerate(vocab):
            if not (
                isinstance(item, list)
                and len(item) == 2
                and isinstance(item[0], str)
                and type(item[1]) in (int, float)
            ):
                raise TokenizerFormatError(
                    f"Unigram model.vocab[{i}] must be [piece, score], found {item!r:.80}"
                )
    unk_id = config.get("unk_id")
    bad_unk = isinstance(unk_id, bool) or not isinstance(unk_id, int) or unk_id < 0
    if unk_id is not None and bad_unk:
        raise TokenizerFormatError(
            f"Unigram model.unk_id must be a non-negative integer or null, found {unk_id!r}"
        )
    byte_fallback = config.get("byte_fallback", False)
    if not isinstance(byte_fallback, bool):
        raise TokenizerFormatError(
            f"Unigram model.byte_fallback must be true or false, found {byte_fallback!r}"
        )
    return Unigram(pieces, unk_id=unk_id, byte_fallback=byte_fallback)


def _bpe(config: dict[str, Any]) -> BPE:
    vocab = _dict_vocab(config, "BPE")
    merges = _parse_merges(_required(config, "merges", "BPE"))
    flags = {}
    for field in ("fuse_unk", "byte_fallback", "ignore_merges"):
        value = config.get(field)
        if value is not None and not isinstance(value, bool):
            raise TokenizerFormatError(
                f"BPE model.{field} must be true, false or null, found {value!r}"
            )
        flags[field] = bool(value)
    dropout = config.get("dropout")
    if dropout is not None and (isinstance(dropout, bool) or not isinstance(dropout, (int, float))):
        raise TokenizerFormatError(f"BPE model.dropout must be a number or null, found {dropout!r}")
    return BPE(
        vocab,
        merges,
        dropout=dropout,
        unk_token=_optional_str(config, "unk_token", "BPE"),
        continuing_subword_prefix=_optional_str(config, "continuing_subword_prefix", "BPE"),
        end_of_word_suffix=_optional_str(config, "end_of_word_suffix", "BPE"),
        **flags,
    )


def _parse_merges(merges: Any) -> list[tuple[str, str]]:
    """Both serialisations: ``["a b", ...]`` (``#version`` lines skipped), ``[["a", "b"], ...]``."""
    if not isinstance(merges, list):
        raise TokenizerFormatError(
            f"BPE model.merges must be a list, found {type(merges).__name__}"
        )
    if merges and all(isinstance(m, str) for m in merges):
        pairs: list[tuple[str, str]] = []
        for rank, line in enumerate(m for m in merges if not m.startswith("#version")):
            parts = line.split(" ")
            if len(parts) != 2:
                raise TokenizerFormatError(
                    f"BPE model.merges line {rank + 1} {line!r} is not two tokens "
                    "separated by one space"
                )
            pairs.append((parts[0], parts[1]))
        return pairs
    pairs = []
    for i, m in enumerate(merges):
        if not (
            isinstance(m, (list, tuple))
            and len(m) == 2
            and isinstance(m[0], str)
            and isinstance(m[1], str)
        ):
            raise TokenizerFormatError(
                f"BPE model.merges[{i}] must be a pair of strings or one 'a b' string, "
                f"found {m!r:.80}"
            )
        pairs.append((m[0], m[1]))
    return pairs
