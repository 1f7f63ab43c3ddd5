"""WordLevel: one pre-token is one vocab entry, or the unk token (``models::wordlevel``)."""

from __future__ import annotations

from ...errors import TokenizerFormatError, TokenizerInputError


class WordLevel:
    """The WordLevel model: a plain ``token -> id`` lookup with an unk fallback."""

    kind = "WordLevel"

    def __init__(self, vocab: dict[str, int], unk_token: str = "<unk>") -> None:
        if not isinstance(unk_token, str):
            raise TokenizerFormatError(f"WordLevel unk_token must be a string, found {unk_token!r}")
        self.vocab = vocab
        self.unk_token = unk_token
        self.unk_id = vocab.get(unk_token)
        self._vocab_r = {i: t for t, i in vocab.items()}

    def tokenize(self, word: str) -> list[int]:
        """Token ids for one non-empty pre-token."""
        token_id = self.vocab.get(word, self.unk_id)
        if token_id is None:
            raise TokenizerInputError(
                f"WordLevel needs its unk_token {self.unk_token!r} for the word {word[:50]!r}, "
                "but that token is not in the vocabulary"
            )
        return [token_id]

    def token_to_id(self, token: str) -> int | None:
        return self.vocab.get(token)

    def id_to_token(self, token_id: int) -> str | None:
        return self._vocab_r.get(token_id)

    def get_vocab(self) -> dict[str, int]:
        return self.vocab

    def get_vocab_size(self) -> int:
        return len(self.vocab)
