"""Tokenizing only the part of a long text whose tokens truncation keeps.

A text truncated to ``max_length`` tokens keeps its first tokens (``right``) or its last
(``left``); the rest of the text changes no kept id, yet tokenizing it all costs time and memory
in proportion to the whole text (100 MB: 22 s and 1.8 GB in pure Python; ``tokenizers`` aborts).
:func:`encode_truncated` tokenizes a window of the text instead and grows it until the kept ids
are known:

- a window is cut at the start of a run of ASCII whitespace (space, tab, newline, carriage
  return), never inside a word: a prefix window ends just before such a run, a suffix window
  starts with it, so every pre-token inside the window is a pre-token of the whole text;
- a window must give ``max_length`` ids plus a margin of :data:`MARGIN` ids, so that the tokens
  next to the cut, the only ones a cut can change (a normalizer or pre-tokenizer looking at its
  neighbours, ``Metaspace`` marking the start of a text), are not among the kept ones;
- the kept ids must be the same for two windows cut at neighbouring boundaries (one whitespace
  run apart), which shows that moving the cut does not reach the kept tokens.

Where the text is short, or has no whitespace run to cut at where a window needs one, the whole
text is tokenized, as before. The tests compare this with tokenizing the whole text, for every
reference tokenizer, in both directions. The cost is that of the window: about
``max_length + MARGIN`` tokens of text, at most twice that after growing, plus the search for
boundaries.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from .normalizers import check_text
from .truncation import Truncation

# Ids beyond max_length a window must give, so that the ids near its cut are never kept.
MARGIN = 16
# Characters of window per kept id at first (tokens average 3 to 5 characters; a window that
# gives too few ids grows by doubling).
_CHARS_PER_ID = 8
# Texts up to WHOLE_TEXT_CHARS characters, or up to _WHOLE_PER_ID characters per kept id, are
# tokenized whole.
WHOLE_TEXT_CHARS = 4096
_WHOLE_PER_ID = 32
_BOUNDARY = re.compile(r"(?<![ \t\n\r])[ \t\n\r]")  # the start of a run of ASCII whitespace


def encode_truncated(
    encode: Callable[[str], list[int]],
    text: str,
    truncation: Truncation,
    whole_up_to: int | None = None,
) -> list[int]:
    """``truncation.apply(encode(text))``, from a window of ``text`` where that is shown to give
    the same ids (see the module docstring). ``whole_up_to``: the length up to which the whole
    text is tokenized (default: :data:`WHOLE_TEXT_CHARS`, or 32 characters per kept id if that
    is more; the tests lower it to exercise windows on short texts)."""
    keep = truncation.max_length
    if whole_up_to is None:
        whole_up_to = max(WHOLE_TEXT_CHARS, _WHOLE_PER_ID * (keep + MARGIN))
    if len(text) <= whole_up_to:
        return truncation.apply(encode(text))
    check_text(text)  # a lone surrogate anywhere is an error, inside the window or not
    if truncation.direction == "right":
        ids = _from_prefixes(encode, text, keep)
    else:
        ids = _from_suffixes(encode, text, keep)
    return truncation.apply(encode(text)) if ids is None else ids


def _from_prefixes(encode: Callable[[str], list[int]], text: str, keep: int) -> list[int] | None:
    """The first ``keep`` ids from two prefixes cut at neighbouring boundaries, or None."""
    size = _CHARS_PER_ID * (keep + MARGIN)
    while size < len(text):
        match = _BOUNDARY.search(text, size)
        if match is None:
            return None
        cut = match.start()
        ids = encode(text[:cut])
        if len(ids) < keep + MARGIN:
            size = 2 * cut
            continue
        before = _last_boundary(text, cut)
        if before is None:
            return None
        shorter = encode(text[:before])
        if len(shorter) < keep + MARGIN:
            size = 2 * cut
            continue
        return ids[:keep] if shorter[:keep] == ids[:keep] else None
    return None


def _from_suffixes(encode: Callable[[str], list[int]], text: str, keep: int) -> list[int] | None:
    """The last ``keep`` ids from two suffixes cut at neighbouring boundaries, or None."""
    size = _CHARS_PER_ID * (keep + MARGIN)
    n = len(text)
    while size < n:
        cut = _last_boundary(text, n - size + 1)
        if cut is None:
            return None
        ids = encode(text[cut:])
        if len(ids) < keep + MARGIN:
            size = 2 * (n - cut)
            continue
        match = _BOUNDARY.search(text, cut + 1)
        if match is None:
            return None
        shorter = encode(text[match.start() :])
        if len(shorter) < keep + MARGIN:
            size = 2 * (n - cut)
            continue
        kept = ids[len(ids) - keep :]
        return kept if shorter[len(shorter) - keep :] == kept else None
    return None


def _last_boundary(text: str, end: int) -> int | None:
    """The last boundary before ``end`` (after position 0), searching back in growing steps."""
    span = 256
    while True:
        start = max(1, end - span)
        found = None
        for match in _BOUNDARY.finditer(text, start, end):
            found = match.start()
        if found is not None or start == 1:
            return found
        span *= 4
