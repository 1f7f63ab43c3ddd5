"""The pure-Python tokenizer: tokenizer.json in, token ids out, identical to ``tokenizers``.

One text flows through the same stages as in the reference ``TokenizerImpl``:

1. added tokens with ``normalized: false`` are cut out of the original text;
2. every remaining segment is normalized on its own (``normalize_with_start`` also says whether
   the result still begins at offset 0), and added tokens with ``normalized: true`` are cut out
   of the normalized segment;
3. every remaining piece is pre-tokenized (``at_start`` tells the pre-tokenizer whether the piece
   begins at offset 0 of the input, which Metaspace's ``prepend_scheme: first`` needs);
4. every pre-token is turned into ids by the model, memoised per pre-token in a bounded cache (a
   model whose vocab entries are their own tokens, ``single_token_words``, answers a first-sight
   vocab word with one lookup, without a model call: about 1 ms of a 236-sentence first batch;
   where every one-character word missing from that vocab has the same ids, ``one_char_miss``,
   such a word skips the model too: CJK characters a BERT vocab lacks, each its own pre-token);
5. the ``truncation`` block of tokenizer.json is applied (``max_length`` and ``direction``); a
   long text is tokenized only as far as the kept ids need (:mod:`.window`).

With a BERT normalizer (or none) and the BERT pre-tokenizer, a text whose only whitespace is the
ASCII space (``str.isprintable``) and that no added token can cut takes a shortcut: its ids are the
ids of its space-separated chunks, one after the other, each chunk's memoised in a second bounded
cache (stages 2-4 then run once per distinct chunk, not per text). This is exact because every
step there is per character or cuts at White_Space: the normalizer maps each character on its
own (the accent strip's NFD reorders marks only between two starters, and a space is one), and
the pre-tokenizer splits at every space; the tests compare both ways with ``tokenizers``.

``encode(text)`` equals ``tokenizers.Tokenizer.encode(text, add_special_tokens=False).ids`` for
the same file. Padding is never applied (a static model averages rows, so pad ids would only
dilute it) and the post-processor is ignored (it only adds special tokens, which are off).

Errors: a text with a lone surrogate (which ``tokenizers`` rejects with a ``TypeError``) or a
non-``str`` input raises :class:`TokenizerInputError` naming the position; a malformed file raises
:class:`TokenizerFormatError` naming the file and field; a component this engine cannot reproduce
raises :class:`UnsupportedTokenizerError` (``backend.load_tokenizer`` then falls back to Rust).

The object is immutable apart from its memo cache, which is bounded and safe to share, so one
``Tokenizer`` can serve many threads; ``with_truncation`` returns a new object sharing the parts.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

from ..errors import TokenizerFormatError, UnsupportedTokenizerError
from ..io.json_file import parse_json
from .added_tokens import AddedVocabulary, parse_added_tokens
from .cache import BoundedCache
from .json_numbers import serde_json_float
from .models.loader import Model, build_model
from .normalizers import BertNormalizer, build_normalizer, check_text
from .option_types import check_option_types
from .pre_tokenizers import BertPreTokenizer, build_pre_tokenizer
from .truncation import Truncation
from .window import encode_truncated


class Normalizer(Protocol):
    def normalize(self, text: str) -> str: ...

    def normalize_with_start(self, text: str, at_start: bool) -> tuple[str, bool]: ...


class PreTokenizer(Protocol):
    def pre_tokenize(self, text: str, at_start: bool = True) -> list[str]: ...


class Tokenizer:
    """tokenizer.json -> ids in pure Python; the ``lite`` backend.

    >>> tok = Tokenizer.from_file("tokenizer.json")  # doctest: +SKIP
    >>> tok.encode("Hello world")  # doctest: +SKIP
    [7592, 2088]
    """

    backend = "lite"

    def __init__(
        self,
        model: Model,
        *,
        normalizer: Normalizer | None = None,
        pre_tokenizer: PreTokenizer | None = None,
        added_vocabulary: AddedVocabulary | None = None,
        truncation: Truncation | None = None,
        cache: BoundedCache[str, tuple[int, ...]] | None = None,
        chunk_cache: BoundedCache[str, tuple[int, ...]] | None = None,
    ) -> None:
        self.model = model
        self.normalizer = normalizer
        self.pre_tokenizer = pre_tokenizer
        self.added_vocabulary = added_vocabulary or AddedVocabulary(
            [], model, normalizer.normalize if normalizer else None
        )
        self.truncation = truncation
        self.cache: BoundedCache[str, tuple[int, ...]] = (
            cache if cache is not None else BoundedCache()
        )
        self.chunk_cache: BoundedCache[str, tuple[int, ...]] | None = None
        if type(normalizer) in (BertNormalizer, type(None)) and type(pre_tokenizer) is (
            BertPreTokenizer
        ):
            self.chunk_cache = chunk_cache if chunk_cache is not None else BoundedCache()
        self._whole_words, self._whole_word_limit = model.single_token_words()
        self._one_char_miss = model.one_char_miss() if self._whole_word_limit else None

    @classmethod
    def from_file(cls, path: str | Path) -> Tokenizer:
        """Load ``tokenizer.json`` from ``path``."""
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise
        except (OSError, UnicodeDecodeError) as exc:
            raise TokenizerFormatError(f"{path}: cannot read tokenizer file: {exc}") from exc
        return cls.from_str(text, source=str(path))

    @classmethod
    def from_str(cls, json_text: str, *, source: str = "<string>") -> Tokenizer:
        """Build from the text of a tokenizer.json; ``source`` names it in error messages."""
        config = parse_json(
            json_text, source, error=TokenizerFormatError, parse_float=serde_json_float
        )
        if not isinstance(config, dict):
            raise TokenizerFormatError(
                f"{source}: the top level must be an object, found {type(config).__name__}"
            )
        check_option_types(config, source)
        if "model" not in config:
            raise TokenizerFormatError(f"{source}: the field 'model' is missing")
        model = build_model(config["model"], source)
        with _named(source, "normalizer"):
            normalizer = build_normalizer(config.get("normalizer"))
        with _named(source, "pre_tokenizer"):
            pre_tokenizer = build_pre_tokenizer(config.get("pre_tokenizer"))
        with _named(source, "added_tokens"):
            added = AddedVocabulary(
                parse_added_tokens(config.get("added_tokens")),
                model,
                normalizer.normalize if normalizer is not None else None,
            )
        with _named(source, "truncation"):
            truncation = Truncation.from_config(config.get("truncation"))
        return cls(
            model,
            normalizer=normalizer,
            pre_tokenizer=pre_tokenizer,
            added_vocabulary=added,
            truncation=truncation,
        )

    def with_truncation(self, truncation: Truncation | None) -> Tokenizer:
        """A tokenizer identical to this one but truncating with ``truncation`` (None: never)."""
        return Tokenizer(
            self.model,
            normalizer=self.normalizer,
            pre_tokenizer=self.pre_tokenizer,
            added_vocabulary=self.added_vocabulary,
            truncation=truncation,
            cache=self.cache,
            chunk_cache=self.chunk_cache,
        )

    def encode(self, text: str) -> list[int]:
        """Token ids of ``text`` without special tokens, truncated per ``self.truncation``."""
        if self.truncation is not None:  # a long text: only the window whose ids are kept
            return encode_truncated(self._encode, text, self.truncation)
        return self._encode(text)

    def encode_batch(self, texts: list[str]) -> list[list[int]]:
        """``encode`` of each text, in order."""
        return [self.encode(text) for text in texts]

    def _encode(self, text: str) -> list[int]:
        check_text(text)
        chunks = self.chunk_cache
        if chunks is None or not text.isprintable() or not self.added_vocabulary.untouched(text):
            return self._encode_checked(text)
        ids: list[int] = []
        get, put = chunks.get, chunks.put
        for chunk in text.split(" "):
            if chunk:
                found = get(chunk)
                if found is None:
                    found = tuple(self._encode_checked(chunk))
                    put(chunk, found)
                ids.extend(found)
        return ids

    def _encode_checked(self, text: str) -> list[int]:
        """Stages 1-4 for a text ``check_text`` has accepted."""
        ids: list[int] = []
        extend = ids.extend
        cache_get, cache_put = self.cache.get, self.cache.put
        pre_tokenize = self.pre_tokenizer.pre_tokenize if self.pre_tokenizer is not None else None
        whole_get = self._whole_words.get
        limit = self._whole_word_limit
        one_char_miss = self._one_char_miss
        for piece, token_id, at_start in self._segments(text):
            if token_id is not None:
                ids.append(token_id)
                continue
            words = pre_tokenize(piece, at_start) if pre_tokenize is not None else (piece,)
            for word in words:
                found = cache_get(word)
                if found is None:  # first sight: a word that is its own token skips the model,
                    token_id = whole_get(word)  # and so does a character the vocab lacks
                    if token_id is not None and 0 < len(word) <= limit:
                        found = (token_id,)
                        cache_put(word, found)
                    elif token_id is None and one_char_miss is not None and len(word) == 1:
                        found = one_char_miss
                        cache_put(word, found)
                    else:
                        found = self._tokenize_word(word)
                extend(found)
        return ids

    def _tokenize_word(self, word: str) -> tuple[int, ...]:
        ids = tuple(self.model.tokenize(word)) if word else ()
        self.cache.put(word, ids)
        return ids

    def _segments(self, text: str) -> list[tuple[str, int | None, bool]]:
        """``(piece, None, at_start)`` for text to pre-tokenize, ``("", id, False)`` for tokens."""
        added = self.added_vocabulary
        normalizer = self.normalizer
        normalize = normalizer.normalize_with_start if normalizer is not None else None
        if text and added.untouched(text):  # the common case, without the bookkeeping below
            segment, at_start = normalize(text, True) if normalize is not None else (text, True)
            return [(segment, None, at_start)] if segment else []
        out: list[tuple[str, int | None, bool]] = []
        for start, stop, token_id in added.split_original(text):
            if token_id is not None:
                out.append(("", token_id, False))
                continue
            if start == stop:
                continue
            segment = text[start:stop]
            at_start = start == 0
            if normalize is not None:
                # A normalizer that deletes the leading character moves the segment off offset 0.
                segment, at_start = normalize(segment, at_start)
            if not added.has_normalized:
                if segment:
                    out.append((segment, None, at_start))
                continue
            for sub_start, sub_stop, sub_id in added.split_normalized(segment):
                if sub_id is not None:
                    out.append(("", sub_id, False))
                elif sub_stop > sub_start:
                    out.append((segment[sub_start:sub_stop], None, at_start and sub_start == 0))
        return out

    def token_to_id(self, token: str) -> int | None:
        """The id of ``token`` (added tokens first, then the model vocab), or None."""
        token_id = self.added_vocabulary.token_ids.get(token)
        return token_id if token_id is not None else self.model.token_to_id(token)

    def id_to_token(self, token_id: int) -> str | None:
        """The string of ``token_id`` (added tokens first, then the model vocab), or None."""
        added = self.added_vocabulary.by_id.get(token_id)
        return added.content if added is not None else self.model.id_to_token(token_id)

    def get_vocab_size(self) -> int:
        """Number of distinct token strings, added tokens included (as ``tokenizers`` counts)."""
        vocab = self.model.get_vocab()
        extra = sum(1 for token in self.added_vocabulary.token_ids if token not in vocab)
        return len(vocab) + extra

    def get_vocab(self) -> dict[str, int]:
        """token -> id, added tokens included, as ``tokenizers`` ``get_vocab(True)``; a new dict."""
        return {**self.model.get_vocab(), **self.added_vocabulary.token_ids}

    @property
    def unk_token_id(self) -> int | None:
        """The id the model uses for unknown input, or None if it has none."""
        unk_token = getattr(self.model, "unk_token", None)
        if isinstance(unk_token, str):
            return self.token_to_id(unk_token)
        return getattr(self.model, "unk_id", None)


@contextmanager
def _named(source: str, field: str) -> Iterator[None]:
    """Prefix errors raised while building one component with the file and the field."""
    try:
        yield
    except (TokenizerFormatError, UnsupportedTokenizerError) as exc:
        raise type(exc)(f"{source}: {field}: {exc}") from exc
