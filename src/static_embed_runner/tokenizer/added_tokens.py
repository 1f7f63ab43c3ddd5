"""Added tokens: literal strings cut out of the text before the pre-tokenizer and model see it.

Mirrors ``tokenizers``' ``AddedVocabulary`` (0.22): ids are assigned the way the reference assigns
them on load (the model's own id when the content is a vocab entry, otherwise the next id from the
model's vocab size; the ids written in tokenizer.json are not trusted). Matching happens twice:
tokens with ``normalized: false`` are found in the original text, then each remaining segment is
normalized and tokens with ``normalized: true`` (matched by their normalized content) are found in
it. Both passes use leftmost-longest, non-overlapping matching. ``single_word`` rejects a match
touching a word character (Rust regex ``\\w``) on either side; ``lstrip``/``rstrip`` absorb the
adjacent whitespace (Rust regex ``\\s``, the Unicode White_Space property) into the token.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from ..errors import TokenizerFormatError, UnsupportedTokenizerError
from . import unicode_classes as uc
from .normalizers import WHITE_SPACE  # Rust regex ``\s``: the Unicode White_Space property


def is_word_char(ch: str) -> bool:
    """Rust regex ``\\w``: Alphabetic, Mark, Decimal_Number, Connector_Punctuation, Join_Control."""
    return uc.contains(uc.named_ranges("word"), ord(ch))


@dataclass(frozen=True)
class AddedToken:
    """One entry of tokenizer.json's ``added_tokens`` (equality covers every flag, as in Rust)."""

    content: str
    single_word: bool = False
    lstrip: bool = False
    rstrip: bool = False
    normalized: bool = True
    special: bool = False

    @classmethod
    def from_config(cls, entry: Any, index: int) -> AddedToken:
        """One ``added_tokens`` entry; like the reference, every field is required."""
        if not isinstance(entry, dict) or not isinstance(entry.get("content"), str):
            raise TokenizerFormatError(
                f"added_tokens[{index}] must be an object with a string 'content', "
                f"found {entry!r:.80}"
            )
        token_id = entry.get("id")
        if isinstance(token_id, bool) or not isinstance(token_id, int) or token_id < 0:
            raise TokenizerFormatError(
                f"added_tokens[{index}].id must be a non-negative integer, found {token_id!r}"
            )
        flags = {}
        for name in ("single_word", "lstrip", "rstrip", "normalized", "special"):
            value = entry.get(name)
            if not isinstance(value, bool):
                raise TokenizerFormatError(
                    f"added_tokens[{index}].{name} must be true or false, found {value!r}"
                )
            flags[name] = value
        return cls(content=entry["content"], **flags)


class _ModelVocab(Protocol):
    def token_to_id(self, token: str) -> int | None: ...

    def get_vocab_size(self) -> int: ...


# One match pass: the compiled alternation and, per matched string, (id, flags of that id).
_Matcher = tuple["re.Pattern[str]", dict[str, tuple[int, AddedToken]]]
Split = tuple[int, int, int | None]


class AddedVocabulary:
    """The added tokens of one tokenizer, with the two matchers built from them."""

    def __init__(
        self,
        tokens: list[AddedToken],
        model: _ModelVocab,
        normalize: Callable[[str], str] | None,
    ) -> None:
        self.tokens = tokens
        self.token_ids: dict[str, int] = {}
        self.by_id: dict[int, AddedToken] = {}
        specials: list[AddedToken] = []
        special_contents: set[str] = set()
        for token in tokens:
            if token.special and token.content and token.content not in special_contents:
                specials.append(token)
                special_contents.add(token.content)
        plain: list[AddedToken] = []
        seen: set[AddedToken] = set()
        next_id = model.get_vocab_size()
        for token in tokens:
            if not token.content or token in seen:
                continue
            token_id = self.token_ids.get(token.content)
            if token_id is None:
                token_id = model.token_to_id(token.content)
            if token_id is None:
                token_id = next_id
                next_id += 1
            self.token_ids[token.content] = token_id
            self.by_id[token_id] = token
            if token.content not in special_contents:
                plain.append(token)
            seen.add(token)
        original: list[tuple[str, int]] = []
        normalized: list[tuple[str, int]] = []
        for token in specials + plain:
            token_id = self.token_ids[token.content]
            if not token.normalized:
                original.append((token.content, token_id))
                continue
            pattern = normalize(token.content) if normalize is not None else token.content
            if not pattern:
                raise UnsupportedTokenizerError(
                    f"added token {token.content!r} normalizes to the empty string; the reference "
                    "then splits the text at every position, which this engine does not reproduce"
                )
            normalized.append((pattern, token_id))
        self._original = self._matcher(original)
        self._normalized = self._matcher(normalized)
        self.has_normalized = self._normalized is not None

    def _matcher(self, patterns: list[tuple[str, int]]) -> _Matcher | None:
        if not patterns:
            return None
        table: dict[str, tuple[int, AddedToken]] = {}
        for pattern, token_id in patterns:
            table.setdefault(pattern, (token_id, self.by_id[token_id]))
        # Longest first: Python's alternation is leftmost-first, so at each start position the
        # first alternative that matches is the longest pattern there (leftmost-longest overall).
        ordered = sorted(table, key=len, reverse=True)
        return re.compile("|".join(re.escape(p) for p in ordered)), table

    def split_original(self, text: str) -> list[Split]:
        """Splits of the original text by the ``normalized: false`` tokens."""
        return _find_matches(text, self._original)

    def untouched(self, text: str) -> bool:
        """True when no added token can cut ``text``: no ``normalized: true`` token exists and
        no ``normalized: false`` token occurs in it (the whole text is then one segment)."""
        if self._normalized is not None:
            return False
        return self._original is None or self._original[0].search(text) is None

    def split_normalized(self, text: str) -> list[Split]:
        """Splits of one normalized segment by the ``normalized: true`` tokens."""
        return _find_matches(text, self._normalized)


def _find_matches(sentence: str, matcher: _Matcher | None) -> list[Split]:
    """``(start, stop, id or None)`` splits covering ``sentence``, as the reference cuts them.

    Like the reference, a rejected ``single_word`` match still consumes its characters, and an
    ``rstrip`` that runs into the next match produces overlapping splits.
    """
    length = len(sentence)
    if matcher is None or not length:
        return [(0, length, None)]
    regex, table = matcher
    splits: list[Split] = []
    start_offset = 0
    for match in regex.finditer(sentence):
        start, stop = match.span()
        token_id, token = table[match.group()]
        if token.single_word:
            start_space = start == 0 or not is_word_char(sentence[start - 1])
            stop_space = stop == length or not is_word_char(sentence[stop])
            if not (start_space and stop_space):
                continue
        if token.lstrip:
            new_start = start
            while new_start > 0 and sentence[new_start - 1] in WHITE_SPACE:
                new_start -= 1
            start = max(new_start, start_offset)
        if token.rstrip:
            while stop < length and sentence[stop] in WHITE_SPACE:
                stop += 1
        if start_offset < start:
            splits.append((start_offset, start, None))
        splits.append((start, stop, token_id))
        start_offset = stop
    if start_offset != length:
        splits.append((start_offset, length, None))
    return splits


def parse_added_tokens(config: Any) -> list[AddedToken]:
    """tokenizer.json's ``added_tokens`` list (missing or null means none)."""
    if config is None:
        return []
    if not isinstance(config, list):
        raise TokenizerFormatError(f"'added_tokens' must be a list, found {type(config).__name__}")
    return [AddedToken.from_config(entry, i) for i, entry in enumerate(config)]
