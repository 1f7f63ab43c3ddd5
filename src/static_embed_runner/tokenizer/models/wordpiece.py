"""WordPiece: greedy longest-match-first segmentation of one pre-token (BERT's model).

Mirrors ``tokenizers``' ``models::wordpiece``: a word longer than ``max_input_chars_per_word``
(counted in Unicode code points) becomes the unk token; otherwise the longest vocab entry is
taken from the left, pieces after the first carry ``continuing_subword_prefix``, and if any
position cannot be matched the whole word becomes a single unk token.

Speed: a piece is found by trying candidate lengths from the longest down, so a long word whose
pieces are short (a kana run under an English vocab: one character per piece) costs O(n^2)
lookups. Length limits taken from the vocab (``_Limits``) skip the candidates that cannot be
entries, but computing them is a pass over the whole vocab, which costs more than the lookups it
saves on a first batch of ordinary text (far more for a large multilingual vocab), and checking
them only pays off in longer words. So they are used only for the words they help, and built
only once the lookups those words failed without them add up to one per vocab entry: the build
(a few C-level steps per entry) then costs the same order of time as was already lost, and such
words are cheap from then on.
"""

from __future__ import annotations

from itertools import filterfalse
from operator import itemgetter
from typing import NamedTuple

from ...errors import TokenizerFormatError, TokenizerInputError
from .vocab import DictVocab

# Words the limits help: non-ASCII ones from this many characters (per-character limits; below
# it, checking them costs more than it saves) and longer ASCII ones (the overall longest entry).
_LIMITED_NON_ASCII = 8
_LIMITED_ASCII = 40


class _Limits(NamedTuple):
    """Upper bounds on the length of a vocab entry that can match at a position.

    Every entry matching at a position starts with that position's character ``c`` (after the
    prefix, for a continuing piece). If ``c`` is not ASCII, the entry is not ASCII either, so it
    is among the entries the per-character tables were built from, and its length is at most the
    table's value (no value: no entry starts that way). If ``c`` is ASCII, the entry is at most
    the longest entry of all. Candidates longer than the bound are therefore never entries, and
    skipping them leaves the greedy longest match unchanged.
    """

    longest: int  # the longest entry (with its prefix if it has one)
    first: dict[str, int]  # non-ASCII c -> longest entry starting with c
    following: dict[str, int]  # prefix + non-ASCII c -> longest entry starting with that


def _vocab_limits(vocab: dict[str, int], prefix: str) -> _Limits:
    """The limits of ``vocab``, in a few C-level passes (no Python loop over the vocab)."""
    longest = max(map(len, vocab), default=0)
    # Sorted by length, so in the dicts below the last, i.e. longest, entry per key wins.
    wide = sorted(filterfalse(str.isascii, vocab), key=len)
    lengths = list(map(len, wide))
    first = dict(zip(map(itemgetter(slice(0, 1)), wide), lengths, strict=True))
    # Only keys of entries that start with the prefix can equal a lookup key (prefix + one
    # character); the keys of the others are ignored.
    following = dict(zip(map(itemgetter(slice(0, len(prefix) + 1)), wide), lengths, strict=True))
    return _Limits(longest, first, following)


class WordPiece(DictVocab):
    """The WordPiece model over a ``token -> id`` vocabulary (not to be changed after init)."""

    kind = "WordPiece"

    def __init__(
        self,
        vocab: dict[str, int],
        unk_token: str = "[UNK]",
        continuing_subword_prefix: str = "##",
        max_input_chars_per_word: int = 100,
    ) -> None:
        if not isinstance(unk_token, str):
            raise TokenizerFormatError(f"WordPiece unk_token must be a string, found {unk_token!r}")
        self.vocab = vocab
        self.unk_token = unk_token
        self.prefix = continuing_subword_prefix
        self.max_input_chars_per_word = max_input_chars_per_word
        self.unk_id = vocab.get(unk_token)
        # Published whole by one assignment, so a thread sees None or complete limits; two
        # threads may both build them, which is harmless. The miss count is only a trigger, so
        # an increment lost to a race merely delays the build.
        self._limits: _Limits | None = None
        self._misses = 0

    def tokenize(self, word: str) -> list[int]:
        """Token ids for one non-empty pre-token."""
        n = len(word)
        if n > self.max_input_chars_per_word:
            return [self._unk(word)]
        vocab_get = self.vocab.get
        whole = vocab_get(word)  # the longest candidate: a hit is the greedy answer
        if whole is not None:
            return [whole]
        limitable = n > _LIMITED_ASCII or (n >= _LIMITED_NON_ASCII and not word.isascii())
        if limitable and self._limits is not None:
            return self._tokenize_limited(word, self._limits)
        prefix = self.prefix
        # ``tail`` holds the candidates at ``start``: ``tail[:end]`` for ``end`` from ``top``
        # down to ``lo + 1`` (``lo`` = 0 for the first piece, the prefix length after it).
        tail, lo, top = word, 0, n - 1
        start = misses = 0
        out: list[int] = []
        while True:
            end = top
            while end > lo:
                token_id = vocab_get(tail[:end])
                if token_id is not None:
                    break
                end -= 1
            else:
                if limitable:
                    self._add_misses(misses + top - lo)
                return [self._unk(word)]
            out.append(token_id)
            misses += top - end
            start += end - lo
            if start == n:
                break
            tail = prefix + word[start:]
            lo = len(prefix)
            top = len(tail)
        if limitable:
            self._add_misses(misses)
        return out

    def _tokenize_limited(self, word: str, limits: _Limits) -> list[int]:
        """``tokenize`` past the whole-word lookup, trying only candidates within the limits."""
        vocab_get = self.vocab.get
        prefix = self.prefix
        n = len(word)
        longest, first, following = limits
        c = word[0]
        tail, lo = word, 0
        top = min(n - 1, longest if c < "\x80" else first.get(c, 0))
        start = 0
        out: list[int] = []
        while True:
            end = top
            while end > lo:
                token_id = vocab_get(tail[:end])
                if token_id is not None:
                    break
                end -= 1
            else:
                return [self._unk(word)]
            out.append(token_id)
            start += end - lo
            if start == n:
                return out
            tail = prefix + word[start:]
            lo = len(prefix)
            c = word[start]
            top = min(len(tail), longest if c < "\x80" else following.get(tail[: lo + 1], 0))

    def _add_misses(self, misses: int) -> None:
        """Count failed lookups; build the limits once they reach the vocab size."""
        self._misses += misses
        if self._misses >= len(self.vocab) and self._limits is None:
            self._limits = _vocab_limits(self.vocab, self.prefix)

    def _unk(self, word: str) -> int:
        if self.unk_id is None:
            raise TokenizerInputError(
                f"WordPiece needs its unk_token {self.unk_token!r} for the word {word[:50]!r}, "
                "but that token is not in the vocabulary"
            )
        return self.unk_id
