"""Pre-tokenizers: normalised text -> the pieces the model tokenizes, as ``tokenizers`` splits them.

:func:`build_pre_tokenizer` turns tokenizer.json's ``pre_tokenizer`` block into an object with
``pre_tokenize(text, at_start=True) -> list[str]``. ``at_start`` says whether ``text`` begins at
offset 0 of the original input (False for a segment after an added token); Metaspace's
``prepend_scheme="first"`` prepends only to a piece that starts there, as tokenizers tests the
piece's original offset.

Internally every pre-tokenizer maps a list of pieces ``(text, starts_at_origin)`` to a new list, so
a Sequence chains them exactly as tokenizers chains its splits. Splitting follows tokenizers'
``SplitDelimiterBehavior`` on the list of (match / non-match) segments, and empty pieces are
dropped after every step. The GPT-2 byte alphabet (:data:`BYTES_TO_UNICODE`) lives here because
ByteLevel pre-tokenization produces it; the BPE model uses the same table.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from typing import Any, Protocol

from ..errors import TokenizerFormatError, UnsupportedTokenizerError
from . import onig_regex
from . import unicode_classes as uc
from .normalizers import pattern_from_config
from .unicode_scripts import script_spans

Piece = tuple[str, bool]
SpansOf = Callable[[str], list[tuple[int, int]]]


def _bytes_to_unicode() -> dict[int, str]:
    """GPT-2's reversible byte -> printable character map (256 entries)."""
    keep = [*range(ord("!"), ord("~") + 1), *range(0xA1, 0xAC + 1), *range(0xAE, 0xFF + 1)]
    mapping = {b: chr(b) for b in keep}
    extra = 0
    for b in range(256):
        if b not in mapping:
            mapping[b] = chr(256 + extra)
            extra += 1
    return dict(sorted(mapping.items()))


BYTES_TO_UNICODE: dict[int, str] = _bytes_to_unicode()
UNICODE_TO_BYTES: dict[str, int] = {c: b for b, c in BYTES_TO_UNICODE.items()}
_LATIN1_TO_ALPHABET = {b: c for b, c in BYTES_TO_UNICODE.items() if chr(b) != c}


def byte_level_encode(text: str) -> str:
    """Each UTF-8 byte of ``text`` as its character of the byte alphabet."""
    return text.encode("utf-8").decode("latin-1").translate(_LATIN1_TO_ALPHABET)


GPT2_PATTERN = r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"

BEHAVIORS = ("Removed", "Isolated", "MergedWithPrevious", "MergedWithNext", "Contiguous")


class PreTokenizer(Protocol):
    def pre_tokenize(self, text: str, at_start: bool = True) -> list[str]: ...


def split_segments(
    n: int, spans: list[tuple[int, int]], behavior: str, invert: bool = False
) -> list[tuple[int, int]]:
    """Non-empty ``(start, end)`` pieces of a length-``n`` text, given its match spans.

    The plain transcription of tokenizers' ``NormalizedString::split``: the text is cut into
    alternating match / non-match segments, then ``behavior`` decides what to keep and merge.
    """
    if n == 0:
        return []
    parts: list[tuple[int, int, bool]] = []
    prev = 0
    for start, end in spans:
        if prev != start:
            parts.append((prev, start, invert))
        parts.append((start, end, not invert))
        prev = end
    if prev != n:
        parts.append((prev, n, invert))
    out: list[list[int]] = []
    if behavior == "Isolated":
        out = [[s, e] for s, e, _ in parts]
    elif behavior == "Removed":
        out = [[s, e] for s, e, m in parts if not m]
    elif behavior in ("Contiguous", "MergedWithPrevious"):
        previous = False
        for s, e, m in parts:
            merge = m == previous if behavior == "Contiguous" else (m and not previous)
            if merge and out:
                out[-1][1] = e
            else:
                out.append([s, e])
            previous = m
    elif behavior == "MergedWithNext":
        previous = False
        for s, e, m in reversed(parts):
            if m and not previous and out:
                out[-1][0] = s
            else:
                out.append([s, e])
            previous = m
        out.reverse()
    else:
        raise UnsupportedTokenizerError(f"split behavior {behavior!r} is not supported")
    return [(s, e) for s, e in out if e > s]


def _split_pieces(
    pieces: list[Piece], spans_of: SpansOf, behavior: str, invert: bool = False
) -> list[Piece]:
    out: list[Piece] = []
    for text, first in pieces:
        for s, e in split_segments(len(text), spans_of(text), behavior, invert):
            out.append((text[s:e], first and s == 0))
    return out


def _char_spans(rx: re.Pattern[str]) -> SpansOf:
    """Spans of every single character matched by ``rx`` (a one-character class)."""
    return lambda text: [m.span() for m in rx.finditer(text)]


@cache
def _class_regex(names: tuple[str, ...], negate: bool = False, repeat: bool = False) -> re.Pattern:
    ranges = uc.merge(r for name in names for r in uc.named_ranges(name))
    body = f"[{'^' if negate else ''}{uc.class_body(ranges)}]"
    return re.compile(body + ("+" if repeat else ""))


class _Base:
    def pre_tokenize(self, text: str, at_start: bool = True) -> list[str]:
        return [piece for piece, _ in self.split([(text, at_start)]) if piece]

    def split(self, pieces: list[Piece]) -> list[Piece]:
        raise NotImplementedError


class BertPreTokenizer(_Base):
    """Split on White_Space (removed), then isolate each punctuation character."""

    def __init__(self) -> None:
        self._rx = self._regex(uc.MAX_CODE_POINT)
        # The same classes cut to ASCII and to the BMP: identical matches on such texts, but
        # Python's re scans the astral ranges of a class linearly, so these run 3-4x faster.
        self._ascii_rx = self._regex(0x7F)
        self._bmp_rx = self._regex(0xFFFF)

    @staticmethod
    def _regex(last: int) -> re.Pattern[str]:
        ws = uc.class_body(uc.intersect(uc.named_ranges("white_space"), ((0, last),)))
        punct = uc.class_body(uc.intersect(uc.named_ranges("bert_punctuation"), ((0, last),)))
        return re.compile(f"[{punct}]|[^{ws}{punct}]+")

    def pre_tokenize(self, text: str, at_start: bool = True) -> list[str]:
        if text.isascii():
            rx = self._ascii_rx
        else:
            rx = self._rx if uc.ASTRAL.search(text) else self._bmp_rx
        return rx.findall(text)  # same pieces as split(); no match is empty

    def split(self, pieces: list[Piece]) -> list[Piece]:
        out: list[Piece] = []
        for text, first in pieces:
            out.extend((m.group(), first and m.start() == 0) for m in self._rx.finditer(text))
        return out


class Whitespace(_Base):
    r"""Keep the runs of ``\w+`` and of ``[^\w\s]+``."""

    def __init__(self) -> None:
        word = uc.class_body(uc.named_ranges("word"))
        ws = uc.class_body(uc.named_ranges("white_space"))
        self._rx = re.compile(f"[{word}]+|[^{word}{ws}]+")

    def split(self, pieces: list[Piece]) -> list[Piece]:
        out: list[Piece] = []
        for text, first in pieces:
            out.extend((m.group(), first and m.start() == 0) for m in self._rx.finditer(text))
        return out


class WhitespaceSplit(_Base):
    def __init__(self) -> None:
        self._rx = _class_regex(("white_space",), negate=True, repeat=True)

    def split(self, pieces: list[Piece]) -> list[Piece]:
        out: list[Piece] = []
        for text, first in pieces:
            out.extend((m.group(), first and m.start() == 0) for m in self._rx.finditer(text))
        return out


class Metaspace(_Base):
    """Spaces become ``replacement``, which is prepended per ``prepend_scheme`` and split before."""

    def __init__(self, replacement: str, prepend_scheme: str, split: bool) -> None:
        self.replacement, self.prepend_scheme, self.split_pieces = (
            replacement,
            prepend_scheme,
            split,
        )

    def split(self, pieces: list[Piece]) -> list[Piece]:
        repl = self.replacement
        out: list[Piece] = []
        for text, first in pieces:
            text = text.replace(" ", repl)
            prepend = self.prepend_scheme == "always" or (self.prepend_scheme == "first" and first)
            if prepend and text and not text.startswith(repl):
                text = repl + text
            if not self.split_pieces:
                out.append((text, first))
                continue
            start = 0
            while True:
                nxt = text.find(repl, start + 1)
                if nxt < 0:
                    break
                out.append((text[start:nxt], first and start == 0))
                start = nxt
            if start < len(text):
                out.append((text[start:], first and start == 0))
        return [p for p in out if p[0]]


class ByteLevel(_Base):
    """Optional prefix space, the GPT-2 regex (Isolated), then the byte alphabet."""

    def __init__(self, add_prefix_space: bool, use_regex: bool) -> None:
        self.add_prefix_space, self.use_regex = add_prefix_space, use_regex
        self._rx = onig_regex.compile_pattern(GPT2_PATTERN) if use_regex else None

    def split(self, pieces: list[Piece]) -> list[Piece]:
        out: list[Piece] = []
        for text, first in pieces:
            if self.add_prefix_space and text and not text.startswith(" "):
                text = " " + text
            if self._rx is None:
                out.append((text, first))
                continue
            spans = onig_regex.find_spans(self._rx, text)
            for s, e in split_segments(len(text), spans, "Isolated"):
                out.append((text[s:e], first and s == 0))
        return [(byte_level_encode(t), f) for t, f in out if t]


class Split(_Base):
    def __init__(self, rx: re.Pattern[str], behavior: str, invert: bool) -> None:
        self._rx, self.behavior, self.invert = rx, behavior, invert

    def split(self, pieces: list[Piece]) -> list[Piece]:
        rx = self._rx
        return _split_pieces(
            pieces, lambda t: onig_regex.find_spans(rx, t), self.behavior, self.invert
        )


class Punctuation(_Base):
    def __init__(self, behavior: str) -> None:
        self.behavior = behavior
        self._spans = _char_spans(_class_regex(("bert_punctuation",)))

    def split(self, pieces: list[Piece]) -> list[Piece]:
        return _split_pieces(pieces, self._spans, self.behavior)


class Digits(_Base):
    def __init__(self, individual_digits: bool) -> None:
        self.behavior = "Isolated" if individual_digits else "Contiguous"
        self._spans = _char_spans(_class_regex(("numeric",)))

    def split(self, pieces: list[Piece]) -> list[Piece]:
        return _split_pieces(pieces, self._spans, self.behavior)


class UnicodeScripts(_Base):
    """Cut where the script changes (see :mod:`.unicode_scripts`); leading "Any" text is dropped."""

    def split(self, pieces: list[Piece]) -> list[Piece]:
        out: list[Piece] = []
        for text, first in pieces:
            out.extend((text[s:e], first and s == 0) for s, e in script_spans(text))
        return out


class CharDelimiterSplit(_Base):
    def __init__(self, delimiter: str) -> None:
        self._spans = _char_spans(re.compile(re.escape(delimiter)))

    def split(self, pieces: list[Piece]) -> list[Piece]:
        return _split_pieces(pieces, self._spans, "Removed")


class Sequence(_Base):
    def __init__(self, steps: list[_Base]) -> None:
        self.steps = steps

    def split(self, pieces: list[Piece]) -> list[Piece]:
        for step in self.steps:
            pieces = step.split(pieces)
        return pieces


def _behavior(config: dict[str, Any], where: str, default: str | None = None) -> str:
    value = config.get("behavior", default)
    if value is None:
        raise TokenizerFormatError(f"{where}: missing field 'behavior'")
    normalized = {b.lower(): b for b in BEHAVIORS}.get(str(value).replace("_", "").lower())
    if normalized is None:
        raise TokenizerFormatError(
            f"{where}: behavior should be one of {', '.join(BEHAVIORS)}, found {value!r}"
        )
    return normalized


def _metaspace(config: dict[str, Any], where: str) -> Metaspace:
    replacement = config.get("replacement", "\u2581")
    if not isinstance(replacement, str) or len(replacement) != 1:
        raise TokenizerFormatError(f"{where}: replacement should be one character")
    scheme = config.get("prepend_scheme", "always")
    if scheme not in ("always", "first", "never"):
        raise TokenizerFormatError(
            f"{where}: prepend_scheme should be always, first or never, found {scheme!r}"
        )
    if config.get("add_prefix_space") is False:
        if "prepend_scheme" in config and scheme != "never":
            raise TokenizerFormatError(f"{where}: add_prefix_space does not match prepend_scheme")
        scheme = "never"
    split = config.get("split")
    return Metaspace(replacement, scheme, True if split is None else bool(split))


def _build(config: Any, where: str) -> _Base:
    if not isinstance(config, dict):
        raise TokenizerFormatError(f"{where}: expected an object, found {type(config).__name__}")
    kind = config.get("type")
    if kind == "BertPreTokenizer":
        return BertPreTokenizer()
    if kind == "Whitespace":
        return Whitespace()
    if kind == "WhitespaceSplit":
        return WhitespaceSplit()
    if kind == "Metaspace":
        return _metaspace(config, where)
    if kind == "ByteLevel":
        return ByteLevel(
            bool(config.get("add_prefix_space", True)), bool(config.get("use_regex", True))
        )
    if kind == "Split":
        rx, _ = pattern_from_config(config, where)
        return Split(rx, _behavior(config, where), bool(config.get("invert", False)))
    if kind == "Punctuation":
        return Punctuation(_behavior(config, where, "Isolated"))
    if kind == "Digits":
        return Digits(bool(config.get("individual_digits", False)))
    if kind == "UnicodeScripts":
        return UnicodeScripts()
    if kind == "CharDelimiterSplit":
        delimiter = config.get("delimiter")
        if not isinstance(delimiter, str) or len(delimiter) != 1:
            raise TokenizerFormatError(f"{where}: delimiter should be one character")
        return CharDelimiterSplit(delimiter)
    if kind == "Sequence":
        steps = config.get("pretokenizers")
        if not isinstance(steps, list):
            raise TokenizerFormatError(f"{where}: missing list field 'pretokenizers'")
        return Sequence([_build(c, f"{where}.pretokenizers[{i}]") for i, c in enumerate(steps)])
    raise UnsupportedTokenizerError(f"{where}: pre_tokenizer type {kind!r} is not supported")


def build_pre_tokenizer(
    config: dict[str, Any] | None, where: str = "pre_tokenizer"
) -> PreTokenizer | None:
    """The pre-tokenizer of tokenizer.json's ``pre_tokenizer`` block (``None`` if absent)."""
    if config is None:
        return None
    return _build(config, where)
