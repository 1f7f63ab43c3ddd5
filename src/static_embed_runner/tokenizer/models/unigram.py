"""Unigram: the best-scoring segmentation of one pre-token (sentencepiece's model, Viterbi).

Mirrors ``tokenizers``' ``models::unigram`` (its optimised Viterbi): every vocab piece found at a
position adds an edge scored with the piece's log-probability; a character no single piece
covers gets an unk edge scored ``min_score - 10`` (sentencepiece's ``kUnkPenalty``); a candidate
replaces the best path into a node only when strictly better, so ties keep the earliest start.
Consecutive unk pieces are fused into one, and with ``byte_fallback`` a fused unk that is not a
vocab entry becomes its UTF-8 bytes as ``<0xNN>`` pieces (or the unk id if one is missing).

Instead of a trie (the reference's common-prefix search), the pieces starting at a position are
found by looking ``s[i:j]`` up in the token -> id dict for growing ``j``, as far as the longest
piece that begins with the position's first two characters (a small map built in one pass over
the vocab, where a full prefix map of a 250k-piece vocab took most of a second to build). Every
piece the trie reports is found, in the same order, plus a few lookups that miss.
"""

from __future__ import annotations

from ...errors import TokenizerFormatError, TokenizerInputError

K_UNK_PENALTY = 10.0


class Unigram:
    """The Unigram model over a list of ``(piece, score)`` pairs."""

    kind = "Unigram"

    def __init__(
        self,
        vocab: list[tuple[str, float]],
        unk_id: int | None = None,
        byte_fallback: bool = False,
    ) -> None:
        if unk_id is not None:
            if not vocab:
                raise TokenizerFormatError("Unigram vocab is empty but unk_id is set")
            if unk_id >= len(vocab):
                raise TokenizerFormatError(
                    f"Unigram unk_id {unk_id} is not below the vocab size {len(vocab)}"
                )
        self.pieces = vocab
        self.unk_id = unk_id
        self.byte_fallback = byte_fallback
        # Later duplicates win, as in the reference's token -> id map.
        self.token_to_ids: dict[str, int] = {piece: i for i, (piece, _) in enumerate(vocab)}
        self._scores = [score for _, score in vocab]
        self.min_score = min(self._scores, default=float("inf"))
        self.unk_score = self.min_score - K_UNK_PENALTY
        self._reach = _reach_by_first_pair(self.token_to_ids)
        self._byte_ids = [self.token_to_ids.get(f"<0x{b:02X}>") for b in range(256)]

    def single_token_words(self) -> tuple[dict[str, int], int]:
        """None: a word that is a piece may still score better split into other pieces."""
        return {}, 0

    def one_char_miss(self) -> None:
        """None: a character missing from the pieces may become byte-fallback pieces or unk."""
        return None

    def tokenize(self, word: str) -> list[int]:
        """Token ids for one non-empty pre-token."""
        ids: list[int] = []
        for begin, end, piece_id in self.segment(word):
            if piece_id is not None:
                ids.append(piece_id)
            else:
                ids.extend(self._unknown_ids(word[begin:end]))
        return ids

    def segment(self, s: str) -> list[tuple[int, int, int | None]]:
        """Best path as ``(begin, end, id)`` spans; ``id`` is None for a fused unk span."""
        n = len(s)
        id_get = self.token_to_ids.get
        reach_get = self._reach.get
        scores = self._scores
        unk_id = self.unk_id
        unk_score = self.unk_score
        best = [0.0] * (n + 1)
        starts = [-1] * (n + 1)
        node_ids = [0] * (n + 1)
        for i in range(n):
            base = best[i]
            has_single = False
            # One character, then as far as the longest piece starting with these two (a single
            # character left at the end is no pair key: the default 1 keeps just that character).
            for j in range(i + 1, min(n, i + reach_get(s[i : i + 2], 1)) + 1):
                piece_id = id_get(s[i:j])
                if piece_id is None:
                    continue
                if j == i + 1:
                    has_single = True
                candidate = scores[piece_id] + base
                if starts[j] < 0 or candidate > best[j]:
                    best[j] = candidate
                    starts[j] = i
                    node_ids[j] = piece_id
            if not has_single:
                if unk_id is None:
                    raise TokenizerInputError(
                        f"Unigram has no unk_id but the character {s[i]!r} (U+{ord(s[i]):04X}) "
                        "is not a vocab piece"
                    )
                j = i + 1
                candidate = unk_score + base
                if starts[j] < 0 or candidate > best[j]:
                    best[j] = candidate
                    starts[j] = i
                    node_ids[j] = unk_id
        spans: list[tuple[int, int, int | None]] = []
        end = n
        fused_end = -1
        while end > 0:
            begin = starts[end]
            if node_ids[end] == unk_id:
                if fused_end < 0:
                    fused_end = end
            else:
                if fused_end >= 0:
                    spans.append((end, fused_end, None))
                    fused_end = -1
                spans.append((begin, end, node_ids[end]))
            end = begin
        if fused_end >= 0:
            spans.append((0, fused_end, None))
        spans.reverse()
        return spans

    def _unknown_ids(self, text: str) -> list[int]:
        piece_id = self.token_to_ids.get(text)
        if piece_id is not None:
            return [piece_id]
        if self.byte_fallback:
            byte_ids = [self._byte_ids[b] for b in text.encode("utf-8")]
            if None not in byte_ids:
                return byte_ids  # type: ignore[return-value]
        assert self.unk_id is not None  # an unk span only exists when unk_id is set
        return [self.unk_id]

    def token_to_id(self, token: str) -> int | None:
        return self.token_to_ids.get(token)

    def id_to_token(self, token_id: int) -> str | None:
        if 0 <= token_id < len(self.pieces):
            return self.pieces[token_id][0]
        return None

    def get_vocab(self) -> dict[str, int]:
        return self.token_to_ids

    def get_vocab_size(self) -> int:
        return len(self.pieces)


def _reach_by_first_pair(token_to_ids: dict[str, int]) -> dict[str, int]:
    """For each two-character start of a piece, the length of the longest piece starting so."""
    reach: dict[str, int] = {}
    get = reach.get
    for piece in token_to_ids:
        length = len(piece)
        if length > 1 and length > get(pair := piece[:2], 0):
            reach[pair] = length
    return reach
