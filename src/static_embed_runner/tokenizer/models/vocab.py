"""Vocabulary lookups shared by the models whose vocabulary is a ``token -> id`` dict.

WordPiece, BPE and WordLevel all store ``vocab: dict[str, int]``; the reverse map is only needed for
``id_to_token`` (never on the encode path), so it is built on first use.
"""

from __future__ import annotations

from functools import cached_property


class DictVocab:
    """Mixin: ``token_to_id`` / ``id_to_token`` / ``get_vocab`` over ``self.vocab``."""

    vocab: dict[str, int]

    @cached_property
    def _vocab_r(self) -> dict[int, str]:
        return {i: t for t, i in self.vocab.items()}

    def token_to_id(self, token: str) -> int | None:
        return self.vocab.get(token)

    def id_to_token(self, token_id: int) -> str | None:
        return self._vocab_r.get(token_id)

    def get_vocab(self) -> dict[str, int]:
        return self.vocab

    def get_vocab_size(self) -> int:
        return len(self.vocab)
