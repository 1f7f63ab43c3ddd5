"""WordLevel: one pre-token is one vocab entry, or the unk token (``models::wordlevel``)."""

from __future__ import annotations

import sys

from ...errors import TokenizerFormatError, TokenizerInputError
from .vocab import DictVocab


class WordLevel(DictVocab):
    """The WordLevel model: a plain ``token -> id`` lookup with an unk fallback."""

    kind = "WordLevel"

    def __init__(self, vocab: dict[str, int], unk_token: str = "<unk>") -> None:
        if not isinstance(unk_token, str):
            raise TokenizerFormatError(f"WordLevel unk_token must be a string, found {unk_token!r}")
        self.vocab = vocab
        self.unk_token = unk_token
        self.unk_id = vocab.get(unk_token)

    def single_token_words(self) -> tuple[dict[str, int], int]:
        """Every vocab entry is its own token, whatever its length."""
        return self.vocab, sys.maxsize

    def one_char_miss(self) -> tuple[int, ...] | None:
        """Every word that is no vocab entry is the unk token (None without one: :meth:`tokenize`
        then raises, naming the word)."""
        return None if self.unk_id is None else (self.unk_id,)

    def tokenize(self, word: str) -> list[int]:
        """Token ids for one non-empty pre-token."""
        token_id = self.vocab.get(word, self.unk_id)
        if token_id is None:
            raise TokenizerInputError(
                f"WordLevel needs its unk_token {self.unk_token!r} for the word {word[:50]!r}, "
                "but that token is not in the vocabulary"
            )
        return [token_id]
