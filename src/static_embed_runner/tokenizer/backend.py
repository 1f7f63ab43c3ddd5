"""Choosing the tokenizer implementation: pure Python (``lite``), Rust ``tokenizers``, or ``auto``.

``auto`` uses the pure-Python engine and falls back to the ``tokenizers`` package only when the
engine raises :class:`UnsupportedTokenizerError` for a component and that package is installed.
Both implementations are exposed through the same small interface (:class:`TokenizerLike`), so the
runner never needs to know which one it holds. Neither pads; both apply tokenizer.json's
truncation block unless told otherwise with :meth:`TokenizerLike.with_truncation`.
"""

from __future__ import annotations

import base64
import binascii
import json
from pathlib import Path
from typing import Any, Literal, Protocol, get_args

from ..errors import (
    TokenizerFormatError,
    TokenizerInputError,
    UnsupportedTokenizerError,
    is_failure,
)
from ..io.json_file import parse_json
from .truncation import Truncation
from .window import WHOLE_TEXT_CHARS, encode_truncated

Backend = Literal["auto", "lite", "tokenizers"]
BACKENDS: tuple[str, ...] = get_args(Backend)


class TokenizerLike(Protocol):
    """What the runner needs from a tokenizer, whichever backend implements it."""

    backend: str
    truncation: Truncation | None

    def encode(self, text: str) -> list[int]: ...

    def encode_batch(self, texts: list[str]) -> list[list[int]]: ...

    def with_truncation(self, truncation: Truncation | None) -> TokenizerLike: ...

    def token_to_id(self, token: str) -> int | None: ...

    def get_vocab_size(self) -> int: ...

    def get_vocab(self) -> dict[str, int]: ...

    @property
    def unk_token_id(self) -> int | None: ...


class RustTokenizer:
    """Adapter around ``tokenizers.Tokenizer`` with padding disabled and no special tokens.

    tokenizer.json is parsed once, by the Rust side; copies made by ``with_truncation`` share
    that parsed tokenizer (it is never mutated after construction).
    """

    backend = "tokenizers"

    def __init__(self, inner: Any, truncation: Truncation | None, unk_token_id: int | None) -> None:
        self._inner = inner
        self.truncation = truncation
        self._unk_token_id = unk_token_id
        # encode_batch_fast (tokenizers >= 0.21) skips computing offsets, which ids do not need.
        self._encode_many = getattr(inner, "encode_batch_fast", inner.encode_batch)

    @classmethod
    def from_str(cls, json_text: str, source: str) -> RustTokenizer:
        """Parse ``json_text`` with ``tokenizers``; its own truncation block becomes ours."""
        import tokenizers

        try:
            _check_charsmaps(json_text, source)
            inner = tokenizers.Tokenizer.from_str(json_text)
        except TokenizerFormatError:
            raise
        except BaseException as exc:  # the Rust error types are not importable in a stable way
            if not is_failure(exc):
                raise
            # The package's own reading names what is wrong with the JSON (invalid, nested too
            # deeply, a number out of range) before the Rust message is used.
            parse_json(json_text, source, error=TokenizerFormatError)
            raise TokenizerFormatError(
                f"{source}: the tokenizers package rejected it: {_one_line(exc)}"
            ) from exc
        truncation = Truncation.from_config(inner.truncation)
        inner.no_padding()
        inner.no_truncation()
        return cls(inner, truncation, _unk_id(inner, json_text))

    def encode(self, text: str) -> list[int]:
        # A batch of one skips offsets: measured 8-17% faster than encode() alone, on par in the
        # runner's single-text path.
        if self.truncation is not None:  # a long text: only the window whose ids are kept
            return encode_truncated(self._ids, text, self.truncation)
        return self._ids(text)

    def encode_batch(self, texts: list[str]) -> list[list[int]]:
        texts = list(texts)
        truncation = self.truncation
        if truncation is None:
            return [e.ids for e in self._encode_checked(texts)]
        short = [i for i, text in enumerate(texts) if len(text) <= WHOLE_TEXT_CHARS]
        if len(short) == len(texts):
            return [truncation.apply(e.ids) for e in self._encode_checked(texts)]
        out: list[list[int]] = [[] for _ in texts]
        encodings = self._encode_checked([texts[i] for i in short]) if short else []
        for i, encoding in zip(short, encodings, strict=True):
            out[i] = truncation.apply(encoding.ids)
        for i in sorted(set(range(len(texts))).difference(short)):  # long texts one by one
            out[i] = encode_truncated(self._ids, texts[i], truncation)
        return out

    def _ids(self, text: str) -> list[int]:
        return self._encode_checked([text])[0].ids

    def _encode_checked(self, texts: list[str]) -> list[Any]:
        """``encode_batch`` with the failures of ``tokenizers`` as this package's errors: a text
        it cannot take (a lone surrogate, not a str) as the pure-Python engine reports it, a
        panic as :class:`TokenizerInputError`."""
        try:
            return self._encode_many(texts, add_special_tokens=False)
        except BaseException as exc:
            if not is_failure(exc):
                raise
            from .normalizers import check_text

            for text in texts:
                check_text(text)  # the pure-Python engine's error for the first bad text
            if isinstance(exc, TypeError):
                raise
            raise TokenizerInputError(
                f"the tokenizers package failed on this text: {_one_line(exc)}"
            ) from exc

    def with_truncation(self, truncation: Truncation | None) -> RustTokenizer:
        return RustTokenizer(self._inner, truncation, self._unk_token_id)

    def token_to_id(self, token: str) -> int | None:
        return self._inner.token_to_id(token)

    def get_vocab_size(self) -> int:
        """Distinct token strings, added tokens included, as ``get_vocab_size(True)`` counts them.

        ``tokenizers`` counts by building the whole token -> id map (6 ms for 30k tokens, 30 ms
        for 106k); the model's own size plus the added strings it lacks is the same number,
        except for Unigram, whose piece list may repeat a string the map holds once.
        """
        inner = self._inner
        if type(inner.model).__name__ == "Unigram":
            return inner.get_vocab_size(with_added_tokens=True)
        added = {token.content for token in inner.get_added_tokens_decoder().values()}
        missing = sum(1 for content in added if inner.model.token_to_id(content) is None)
        return inner.get_vocab_size(with_added_tokens=False) + missing

    def get_vocab(self) -> dict[str, int]:
        """token -> id, added tokens included."""
        return self._inner.get_vocab(with_added_tokens=True)

    @property
    def unk_token_id(self) -> int | None:
        return self._unk_token_id


def _check_charsmaps(json_text: str, source: str) -> None:
    """Refuse a ``Precompiled`` charsmap ``tokenizers`` would panic on, when loading (not a base64
    string, a trie larger than the blob) or on the first text (an empty trie), so that no Rust
    panic message reaches stderr; the pure-Python engine refuses the same charsmaps."""
    try:
        config = json.loads(json_text)
    except (json.JSONDecodeError, RecursionError):
        return  # reported by the caller
    nodes = [config.get("normalizer")] if isinstance(config, dict) else []
    while nodes:
        node = nodes.pop()
        if isinstance(node, list):
            nodes.extend(node)
        elif isinstance(node, dict):
            if node.get("type") == "Precompiled":
                _check_charsmap(node.get("precompiled_charsmap"), source)
            nodes.extend(node.values())


def _check_charsmap(value: object, source: str) -> None:
    where = f"{source}: normalizer: Precompiled: precompiled_charsmap"
    if not isinstance(value, str):
        raise TokenizerFormatError(f"{where} must be a base64 string, found {value!r:.40}")
    try:
        blob = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise TokenizerFormatError(f"{where}: not valid base64 ({exc})") from None
    trie_size = int.from_bytes(blob[:4], "little") if len(blob) >= 4 else None
    if trie_size is None or trie_size > len(blob) - 4:
        raise TokenizerFormatError(
            f"{where}: a charsmap of {len(blob)} bytes cannot hold its 4-byte trie size and "
            f"the trie it announces ({trie_size} bytes)"
        )
    if trie_size < 4:  # tokenizers loads it, then panics on the first text
        raise TokenizerFormatError(f"{where}: the trie is empty ({trie_size} bytes)")


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def _unk_id(inner: Any, json_text: str) -> int | None:
    """The model's unknown-token id: from its ``unk_token`` where the binding exposes one
    (WordPiece, BPE, WordLevel), else from ``model.unk_id`` in the JSON (Unigram)."""
    model = inner.model
    if hasattr(model, "unk_token"):
        unk_token = model.unk_token
        return inner.token_to_id(unk_token) if isinstance(unk_token, str) else None
    config = json.loads(json_text).get("model") or {}
    unk_id = config.get("unk_id")
    return unk_id if isinstance(unk_id, int) and not isinstance(unk_id, bool) else None


def _read_json_text(source: str | Path) -> tuple[str, str]:
    path = Path(source)
    try:
        return path.read_text(encoding="utf-8"), str(path)
    except FileNotFoundError:
        raise
    except (OSError, UnicodeDecodeError) as exc:
        raise TokenizerFormatError(f"{path}: cannot read tokenizer file: {exc}") from exc


def load_tokenizer(path: str | Path, backend: Backend = "auto") -> TokenizerLike:
    """Load ``tokenizer.json`` at ``path`` with the chosen backend.

    >>> tok = load_tokenizer("tokenizer.json", backend="lite")  # doctest: +SKIP
    >>> tok.encode("Hello world")  # doctest: +SKIP
    [7592, 2088]
    """
    if backend not in BACKENDS:
        raise ValueError(f"tokenizer_backend must be one of {BACKENDS}, got {backend!r}")
    json_text, source = _read_json_text(path)
    if backend == "tokenizers":
        return _rust_from_json(json_text, source)
    from .pipeline import Tokenizer

    try:
        return Tokenizer.from_str(json_text, source=source)
    except UnsupportedTokenizerError:
        if backend == "lite" or not _rust_available():
            raise
        return _rust_from_json(json_text, source)


def _rust_from_json(json_text: str, source: str) -> RustTokenizer:
    if not _rust_available():
        raise UnsupportedTokenizerError(
            "tokenizer_backend='tokenizers' needs the tokenizers package: "
            "pip install 'static-embed-runner[tokenizers]'"
        )
    return RustTokenizer.from_str(json_text, source)


def _rust_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("tokenizers") is not None
