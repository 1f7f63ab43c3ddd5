"""BPE: apply ranked merges to the characters of one pre-token (GPT-2, RoBERTa, Llama, CLIP ...).

Mirrors ``tokenizers``' ``models::bpe``. A word starts as one symbol per character (the
``continuing_subword_prefix`` is added to every character but the first, the
``end_of_word_suffix`` to the last); a character missing from the vocab becomes its UTF-8 bytes as
``<0xNN>`` symbols with ``byte_fallback``, else the unk token (consecutive unks fused with
``fuse_unk``), else it is dropped. Then, repeatedly, the adjacent pair with the lowest merge rank
is merged, the leftmost one on ties, until no adjacent pair has a merge. ``ignore_merges`` returns
a word that is itself a vocab entry as that single token.

Sentencepiece-style vocabularies (Llama, Mistral ...) usually come without a pre-tokenizer, so
a whole text is one word. When there is no prefix/suffix and no merge joins a left part ending in
a non-``▁`` character to a right part starting with ``▁`` (whitespace-run merges like
``▁▁ ▁▁`` are fine), no merge can ever cross a point where ``▁`` follows another character:
merges on either side of it commute, so the word is cut at those points and each chunk is merged
(and memoised) alone, with the same result as merging the whole word.

Two equivalent merge loops are kept: a linear scan for short words (the readable definition) and
the reference's priority queue for long ones; ``tests/tokenizer/test_models.py`` checks they agree.
A stale queue entry could only diverge from the scan if two different pairs produced the same
token string at the same position, which cannot happen because merged strings strictly grow.
"""

from __future__ import annotations

import heapq
import re
import sys

from ...errors import TokenizerFormatError, TokenizerInputError, UnsupportedTokenizerError
from ..cache import BoundedCache
from .vocab import DictVocab

_SCAN_LIMIT = 48
_METASPACE = "\u2581"
_CHUNK_BOUNDARY = re.compile("(?<=[^\u2581])(?=\u2581)")


class BPE(DictVocab):
    """The BPE model over a ``token -> id`` vocabulary and ranked merges."""

    kind = "BPE"

    def __init__(
        self,
        vocab: dict[str, int],
        merges: list[tuple[str, str]],
        *,
        dropout: float | None = None,
        unk_token: str | None = None,
        continuing_subword_prefix: str | None = None,
        end_of_word_suffix: str | None = None,
        fuse_unk: bool = False,
        byte_fallback: bool = False,
        ignore_merges: bool = False,
    ) -> None:
        if dropout is not None and dropout != 0.0:
            raise UnsupportedTokenizerError(
                f"BPE dropout={dropout} samples random merges; only dropout null/0 is deterministic"
            )
        self.vocab = vocab
        self.unk_token = unk_token
        self.prefix = continuing_subword_prefix or ""
        self.suffix = end_of_word_suffix or ""
        self.fuse_unk = fuse_unk
        self.byte_fallback = byte_fallback
        self.ignore_merges = ignore_merges
        self.merges = _merge_map(vocab, merges, self.prefix)
        self._byte_ids = [vocab.get(f"<0x{b:02X}>") for b in range(256)]
        self.chunk_at_metaspace = (
            not self.prefix
            and not self.suffix
            and _METASPACE in vocab
            and not any(b.startswith(_METASPACE) and not a.endswith(_METASPACE) for a, b in merges)
        )
        self.chunk_cache: BoundedCache[str, tuple[int, ...]] = BoundedCache()

    @property
    def unk_id(self) -> int | None:
        return None if self.unk_token is None else self.vocab.get(self.unk_token)

    def single_token_words(self) -> tuple[dict[str, int], int]:
        """With ``ignore_merges`` a word that is a vocab entry is that one token; else none."""
        return (self.vocab, sys.maxsize) if self.ignore_merges else ({}, 0)

    def one_char_miss(self) -> None:
        """None: a character missing from the vocab may become byte-fallback tokens or unk."""
        return None

    def tokenize(self, word: str) -> list[int]:
        """Token ids for one non-empty pre-token."""
        if self.ignore_merges:
            whole = self.vocab.get(word)
            if whole is not None:
                return [whole]
        if self.chunk_at_metaspace and len(word) > 16:
            return self._tokenize_chunks(word)
        return self.merge_word(word)

    def _tokenize_chunks(self, word: str) -> list[int]:
        cache = self.chunk_cache
        ids: list[int] = []
        for chunk in _CHUNK_BOUNDARY.split(word):
            found = cache.get(chunk)
            if found is None:
                found = tuple(self.merge_word(chunk))
                cache.put(chunk, found)
            ids.extend(found)
        return ids

    def merge_word(self, word: str) -> list[int]:
        """The plain algorithm on the whole word: initial symbols, then merges."""
        symbols = self._initial_symbols(word)
        if len(symbols) < 2:
            return symbols
        if len(symbols) <= _SCAN_LIMIT:
            return merge_by_scan(symbols, self.merges)
        return merge_by_queue(symbols, self.merges)

    def _initial_symbols(self, word: str) -> list[int]:
        vocab_get = self.vocab.get
        prefix = self.prefix
        suffix = self.suffix
        last = len(word) - 1
        symbols: list[int] = []
        pending_unk = -1
        for i, ch in enumerate(word):
            s = ch if i == 0 else prefix + ch
            if i == last and suffix:
                s += suffix
            token_id = vocab_get(s)
            if token_id is not None:
                if pending_unk >= 0:
                    symbols.append(pending_unk)
                    pending_unk = -1
                symbols.append(token_id)
                continue
            if self.byte_fallback:
                byte_ids = [self._byte_ids[b] for b in s.encode("utf-8")]
                if None not in byte_ids:
                    # The reference leaves a pending unk pending here; so do we.
                    symbols.extend(byte_ids)  # type: ignore[arg-type]
                    continue
            if self.unk_token is not None:
                unk_id = vocab_get(self.unk_token)
                if unk_id is None:
                    raise TokenizerInputError(
                        f"BPE needs its unk_token {self.unk_token!r} for {ch!r} in the word "
                        f"{word[:50]!r}, but that token is not in the vocabulary"
                    )
                if pending_unk >= 0 and not self.fuse_unk:
                    symbols.append(pending_unk)
                pending_unk = unk_id
        if pending_unk >= 0:
            symbols.append(pending_unk)
        return symbols


def merge_by_scan(symbols: list[int], merges: dict[tuple[int, int], tuple[int, int]]) -> list[int]:
    """Merge the lowest-ranked adjacent pair (leftmost on ties) until none is left."""
    symbols = list(symbols)
    merges_get = merges.get
    while True:
        best_rank = -1
        best_pos = -1
        best_id = 0
        left = symbols[0]
        for pos in range(1, len(symbols)):
            right = symbols[pos]
            found = merges_get((left, right))
            if found is not None and (best_rank < 0 or found[0] < best_rank):
                best_rank, best_id = found
                best_pos = pos - 1
            left = right
        if best_pos < 0:
            return symbols
        symbols[best_pos : best_pos + 2] = (best_id,)
        if len(symbols) == 1:
            return symbols


def merge_by_queue(symbols: list[int], merges: dict[tuple[int, int], tuple[int, int]]) -> list[int]:
    """The reference's priority-queue merge loop: entries ``(rank, position, new_id)``."""
    merges_get = merges.get
    n = len(symbols)
    ids = list(symbols)
    prev = list(range(-1, n - 1))
    nxt = list(range(1, n + 1))
    nxt[-1] = -1
    alive = [True] * n
    queue = []
    for pos in range(n - 1):
        found = merges_get((ids[pos], ids[pos + 1]))
        if found is not None:
            queue.append((found[0], pos, found[1]))
    heapq.heapify(queue)
    pop = heapq.heappop
    push = heapq.heappush
    while queue:
        _, pos, new_id = pop(queue)
        if not alive[pos]:
            continue
        right = nxt[pos]
        if right < 0:
            continue
        found = merges_get((ids[pos], ids[right]))
        if found is None or found[1] != new_id:
            continue
        ids[pos] = new_id
        alive[right] = False
        after = nxt[right]
        nxt[pos] = after
        if after >= 0:
            prev[after] = pos
        before = prev[pos]
        if before >= 0:
            found = merges_get((ids[before], new_id))
            if found is not None:
                push(queue, (found[0], before, found[1]))
        if after >= 0:
            found = merges_get((new_id, ids[after]))
            if found is not None:
                push(queue, (found[0], pos, found[1]))
    return [ids[i] for i in range(n) if alive[i]]


def _merge_map(
    vocab: dict[str, int], merges: list[tuple[str, str]], prefix: str
) -> dict[tuple[int, int], tuple[int, int]]:
    """``(left id, right id) -> (rank, merged id)``; a repeated pair keeps its last rank."""
    plen = len(prefix)
    table: dict[tuple[int, int], tuple[int, int]] = {}
    for rank, (a, b) in enumerate(merges):
        a_id = vocab.get(a)
        b_id = vocab.get(b)
        if a_id is None or b_id is None:
            missing = a if a_id is None else b
            raise TokenizerFormatError(
                f"model.merges[{rank}] = [{a!r}, {b!r}]: {missing!r} is not in model.vocab"
            )
        if len(b) < plen:
            raise TokenizerFormatError(
                f"model.merges[{rank}] = [{a!r}, {b!r}]: the right part is shorter than the "
                f"continuing_subword_prefix {prefix!r}"
            )
        merged = a + b[plen:]
        merged_id = vocab.get(merged)
        if merged_id is None:
            raise TokenizerFormatError(
                f"model.merges[{rank}] = [{a!r}, {b!r}]: the merged token {merged!r} is not in "
                "model.vocab"
            )
        table[(a_id, b_id)] = (rank, merged_id)
    return table
