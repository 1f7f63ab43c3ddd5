"""WordPiece: greedy longest-match-first segmentation of one pre-token (BERT's model).

Mirrors ``tokenizers``' ``models::wordpiece``: a word longer than ``max_input_chars_per_word``
(counted in Unicode code points) becomes the unk token; otherwise the longest vocab entry is
taken from the left, pieces after the first carry ``continuing_subword_prefix``, and if any
position cannot be matched the whole word becomes a single unk token.

Speed: at each position the candidates are the prefixes of one string (``prefix + rest of the
word``, or the word itself at the start), tried from the longest down, so a candidate costs one
slice and one dict lookup. Words over ``_LONG_WORD`` characters also skip candidates longer than
the vocab's longest entry (computed on the first such word), which cannot match.
"""

from __future__ import annotations

from ...errors import TokenizerFormatError, TokenizerInputError
from .vocab import DictVocab

_LONG_WORD = 40  # longer words bound their candidates by the longest vocab entry


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
        self._longest: int | None = None  # computed on the first long word (an int: atomic)

    def single_token_words(self) -> tuple[dict[str, int], int]:
        """A vocab entry of at most ``max_input_chars_per_word`` characters is its own token."""
        return self.vocab, self.max_input_chars_per_word

    def one_char_miss(self) -> tuple[int, ...] | None:
        """A one-character word that is no vocab entry has no shorter candidate: the unk token
        (None without one: :meth:`tokenize` then raises, naming the word)."""
        return None if self.unk_id is None else (self.unk_id,)

    def tokenize(self, word: str) -> list[int]:
        """Token ids for one non-empty pre-token."""
        n = len(word)
        if n > self.max_input_chars_per_word:
            return [self._unk(word)]
        vocab_get = self.vocab.get
        whole = vocab_get(word)  # the longest candidate: a hit is the greedy answer
        if whole is not None:
            return [whole]
        prefix = self.prefix
        # The candidates at ``start`` are ``tail[:end]`` for ``end`` from ``top`` down to
        # ``lo + 1`` (``lo`` = 0 for the first piece, the prefix length after it). No entry (its
        # prefix included) is longer than ``cap``, so longer candidates are skipped; for short
        # words ``cap`` is no bound at all, as no candidate is longer than ``n + len(prefix)``.
        cap = self._longest_entry() if n > _LONG_WORD else n + len(prefix)
        tail, lo, top = word, 0, min(n - 1, cap)  # the whole word already missed
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
            top = min(len(tail), cap)

    def _longest_entry(self) -> int:
        if self._longest is None:
            self._longest = max(map(len, self.vocab), default=0)
        return self._longest

    def _unk(self, word: str) -> int:
        if self.unk_id is None:
            raise TokenizerInputError(
                f"WordPiece needs its unk_token {self.unk_token!r} for the word {word[:50]!r}, "
                "but that token is not in the vocabulary"
            )
        return self.unk_id
