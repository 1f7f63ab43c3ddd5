"""WordPiece: greedy longest-match-first segmentation of one pre-token (BERT's model).

Mirrors ``tokenizers``' ``models::wordpiece``: a word longer than ``max_input_chars_per_word``
(counted in Unicode code points) becomes the unk token; otherwise the longest vocab entry is
taken from the left, pieces after the first carry ``continuing_subword_prefix``, and if any
position cannot be matched the whole word becomes a single unk token.
"""

from __future__ import annotations

from ...errors import TokenizerFormatError, TokenizerInputError
from .vocab import DictVocab

_SHORT_WORD = 40  # words up to this many characters skip the vocab length limits


class WordPiece(DictVocab):
    """The WordPiece model over a ``token -> id`` vocabulary."""

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
        self._limits: tuple[int, int] | None = None  # built on the first long word

    def _max_lengths(self) -> tuple[int, int]:
        """No vocab entry is longer than these (first piece, continuing piece without prefix),
        so longer candidate substrings can be skipped without changing the greedy result."""
        if self._limits is None:
            prefix = self.prefix
            plen = len(prefix)
            longest_next = max((len(t) for t in self.vocab if t.startswith(prefix)), default=plen)
            self._limits = (max(map(len, self.vocab), default=0), longest_next - plen)
        return self._limits

    def tokenize(self, word: str) -> list[int]:
        """Token ids for one non-empty pre-token."""
        n = len(word)
        if n > self.max_input_chars_per_word:
            return [self._unk(word)]
        whole = self.vocab.get(word)  # the longest candidate: a hit is the greedy answer
        if whole is not None:
            return [whole]
        # Short words try every candidate anyway; the vocab's length limits only pay off (and
        # are only computed) for long ones.
        first, following = self._max_lengths() if n > _SHORT_WORD else (n, n)
        vocab_get = self.vocab.get
        prefix = self.prefix
        out: list[int] = []
        start = 0
        limit = first
        while start < n:
            end = min(n, start + limit)
            while end > start:
                token_id = vocab_get(word[start:end] if start == 0 else prefix + word[start:end])
                if token_id is not None:
                    break
                end -= 1
            else:
                return [self._unk(word)]
            out.append(token_id)
            start = end
            limit = following
        return out

    def _unk(self, word: str) -> int:
        if self.unk_id is None:
            raise TokenizerInputError(
                f"WordPiece needs its unk_token {self.unk_token!r} for the word {word[:50]!r}, "
                "but that token is not in the vocabulary"
            )
        return self.unk_id
