"""Normalizers: the first stage of the pipeline, text -> normalised text, as ``tokenizers`` does it.

:func:`build_normalizer` turns the ``normalizer`` block of tokenizer.json into an object with
``normalize(text) -> str``. Character-wise steps (BertNormalizer, Lowercase, StripAccents) work
on whole strings with C-level operations (``str.isprintable``/``lower``/``replace``, regex and
frozenset scans, a regex split for CJK spacing), so a character seen for the first time costs
about as much as a familiar one; BertNormalizer keeps the plain per-character algorithm as
``normalize_reference``, which the tests compare with the fast path. Unicode data comes from
:mod:`.unicode_classes`, corrected to the Unicode versions the Rust crates use.

:func:`check_text` is the pipeline's entry check: ``tokenizers`` cannot take a lone surrogate, so
neither does this engine.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections.abc import Callable
from functools import cached_property, lru_cache
from itertools import filterfalse
from typing import Any, Protocol

from ..errors import TokenizerFormatError, TokenizerInputError, UnsupportedTokenizerError
from . import onig_regex
from . import unicode_classes as uc
from .precompiled import Precompiled

_MEMO_LIMIT = 1 << 16


class Normalizer(Protocol):
    def normalize(self, text: str) -> str: ...

    def normalize_with_start(self, text: str, at_start: bool) -> tuple[str, bool]:
        """``normalize(text)`` and whether its first character still comes from original offset 0.

        ``at_start`` says whether ``text`` itself starts at offset 0 of the original input.
        tokenizers' Metaspace ``prepend_scheme="first"`` tests exactly this: a normalizer that
        deletes the leading character (clean_text on a control, Strip, Replace with "") moves the
        first normalized character off offset 0, and then no replacement is prepended.
        """
        ...


class _KeepsStart:
    """For normalizers that never delete the leading character."""

    def normalize(self, text: str) -> str:
        raise NotImplementedError

    def normalize_with_start(self, text: str, at_start: bool) -> tuple[str, bool]:
        return self.normalize(text), at_start


class _CharWise:
    """For per-character normalizers: the start moves iff the first character is deleted."""

    def normalize(self, text: str) -> str:
        raise NotImplementedError

    def normalize_with_start(self, text: str, at_start: bool) -> tuple[str, bool]:
        out = self.normalize(text)
        if at_start and text:
            first = self.__dict__.get("_first_kept")
            if first is None:  # memo: is a leading char kept? ("x" yes, "" no)
                first = self.__dict__["_first_kept"] = _CharTable(
                    lambda char: "x" if self.normalize(char) else ""
                )
            at_start = first[ord(text[0])] != ""
        return out, at_start


_CHECK_CHUNK = 1 << 20


def check_text(text: object) -> None:
    """Raise :class:`TokenizerInputError` unless ``text`` is a str the engine can tokenize.

    The pipeline calls this first on every text. A lone surrogate is reported with its index and
    code point (UTF-8 encoding finds it; it is faster than a regular expression search).
    """
    if not isinstance(text, str):
        raise TokenizerInputError(f"encode() expects str, found {type(text).__name__}")
    if text.isascii():
        return
    for offset in range(0, len(text), _CHECK_CHUNK):  # chunks: no copy the size of a long text
        try:
            text[offset : offset + _CHECK_CHUNK].encode("utf-8")
        except UnicodeEncodeError as exc:
            index = offset + exc.start
            raise TokenizerInputError(
                f"text contains a lone surrogate U+{ord(text[index]):04X} at index {index}; "
                "only valid Unicode scalar values can be tokenized"
            ) from None


class _CharTable(dict):
    """``str.translate`` table filled on demand by ``func(char) -> str`` (bounded memo)."""

    def __init__(self, func: Callable[[str], str]) -> None:
        super().__init__()
        self._func = func

    def __missing__(self, cp: int) -> str:
        value = self._func(chr(cp))
        if len(self) < _MEMO_LIMIT:
            self[cp] = value
        return value


def _member(ranges: uc.Ranges) -> Callable[[int], bool]:
    """``cp -> uc.contains(ranges, cp)`` for merged, sorted ``ranges``, through ``bisect``."""
    starts = [lo for lo, _ in ranges]
    ends = [hi for _, hi in ranges]

    def test(cp: int) -> bool:
        index = bisect_right(starts, cp) - 1
        return index >= 0 and cp <= ends[index]

    return test


def _literal(cp: int) -> str:
    char = chr(cp)
    return "\\" + char if cp < 0x80 and not char.isalnum() else char


def _bmp_body(ranges: uc.Ranges) -> str:
    """The BMP part of ``ranges`` as the body of a ``re`` class.

    Literal characters rather than escapes: several times faster for ``re`` to parse.
    """
    return "".join(
        _literal(lo) if lo == hi else f"{_literal(lo)}-{_literal(min(hi, 0xFFFF))}"
        for lo, hi in ranges
        if lo <= 0xFFFF
    )


def _bmp_or_astral(ranges: uc.Ranges) -> re.Pattern[str]:
    """A regex for one BMP member of ``ranges`` or any astral character."""
    return re.compile(f"[{_bmp_body(ranges)}\U00010000-\U0010ffff]")


class _WideClass:
    """A character class with hundreds of thousands of astral members (unassigned code points),
    too many for :class:`_CharClass`'s set: one regex finds its BMP members (a couple of thousand,
    in a few hundred ranges) and every astral character, which is then looked up in the ranges.
    The regex takes about 0.8 ms to compile, so tokenizers that need it compile it at load."""

    def __init__(self, ranges: Callable[[], uc.Ranges]) -> None:
        self._ranges = ranges

    @cached_property
    def _probe(self) -> re.Pattern[str]:
        return _bmp_or_astral(self._ranges())

    def prepare(self) -> None:
        """Compile the regex now instead of inside the first batch."""
        _ = self._probe

    def positions(self, text: str) -> list[int]:
        """Indexes of the members in ``text``, in order."""
        if self._probe.search(text) is None:  # the common case, at a third of finditer's cost
            return []
        ranges = self._ranges()
        return [
            found.start()
            for found in self._probe.finditer(text)
            if found.group() <= "\uffff" or uc.contains(ranges, ord(found.group()))
        ]


class _CharClass:
    """A character class applied to whole strings: ``found_in(text)``, ``removed_from(text)``.

    Two exact engines. A frozenset of the class's characters is ready at once (built on first
    use in about 0.1 ms). A regex scans a text in about half the time (some 30 ns less per
    character, calls included) but takes 0.2-0.6 ms to compile; it covers only the BMP part of
    the class, because ``re`` tries astral ranges one after another for every character, so a
    text with an astral character still goes through the set as well. The set serves until the
    texts it scanned would have paid for compiling the regex (``COMPILE_AFTER`` characters), then
    the regex takes over: a fresh process's first batch compiles nothing, a long run scans fast.
    """

    COMPILE_AFTER = 1 << 13

    def __init__(self, ranges: Callable[[], uc.Ranges]) -> None:
        self._ranges = ranges
        self._scanned = 0

    @cached_property
    def chars(self) -> frozenset[str]:
        return frozenset(uc.characters(self._ranges()))

    def prepare(self) -> None:
        """Build the character set now (at tokenizer load) instead of inside the first batch."""
        _ = self.chars

    @cached_property
    def bmp_regex(self) -> re.Pattern[str]:
        return re.compile(f"[{_bmp_body(self._ranges())}]")

    @cached_property
    def probe_regex(self) -> re.Pattern[str]:
        """The BMP members or any astral character."""
        return _bmp_or_astral(self._ranges())

    def _regex_pays(self, text: str) -> bool:
        if self._scanned < self.COMPILE_AFTER:
            self._scanned += len(text)
            return False
        return True

    def found_in(self, text: str) -> bool:
        if self._regex_pays(text):
            found = self.probe_regex.search(text)
            if found is None:
                return False
            if found.group() <= "\uffff":
                return True
        return not self.chars.isdisjoint(text)

    def removed_from(self, text: str) -> str:
        if self._regex_pays(text):
            text = self.bmp_regex.sub("", text)
            if uc.ASTRAL.search(text) is None:
                return text
        chars = self.chars
        if chars.isdisjoint(text):
            return text
        return _replace_chars(text, dict.fromkeys(chars.intersection(text), ""))


def _replace_chars(text: str, mapping: dict[str, str]) -> str:
    """Replace every character of ``text`` that is a key of ``mapping`` by its value: one
    ``str.replace`` per character when there are few, else one ``str.translate`` (linear time
    even for a text with thousands of distinct characters to replace)."""
    if len(mapping) > 8:
        return text.translate({ord(char): new for char, new in mapping.items()})
    for char, new in mapping.items():
        text = text.replace(char, new)
    return text


@lru_cache(maxsize=1)
def _lower_overrides() -> dict[int, str]:
    return uc.lowercase_overrides()


@lru_cache(maxsize=1)
def _lower_override_chars() -> frozenset[str]:
    return frozenset(map(chr, _lower_overrides()))


# Whether this Python's Unicode is newer than the shipped tables' (3.15 on: Unicode 17.0): its
# ``str.lower`` may then map code points those tables leave unassigned, which Rust keeps.
_PYTHON_AHEAD = tuple(map(int, unicodedata.unidata_version.split("."))) > uc.UNICODE_VERSION
_UNASSIGNED = _WideClass(lambda: uc.category_ranges("Cn") or ())


def _prepare_lowercase() -> None:
    """Compile at load what :func:`lowercase_text` needs on a Python with newer Unicode."""
    if _PYTHON_AHEAD:
        _UNASSIGNED.prepare()


def lowercase_char(char: str) -> str:
    """Rust ``char::to_lowercase`` (context-free: a final capital sigma stays ``σ``)."""
    override = _lower_overrides().get(ord(char))
    if override is not None:
        return override
    if _PYTHON_AHEAD and _UNASSIGNED.positions(char):
        return char
    return char.lower()


def lowercase_text(text: str) -> str:
    """``lowercase_char`` of every character of ``text``, by whole-string operations.

    ``str.lower`` differs from Rust's per-character mapping in two ways only. It lowers a capital
    sigma that ends a word to ``ς`` (Rust: always ``σ``), so capital sigmas are replaced first.
    And it lacks the mappings of the Unicode versions after Python's (``_lower_overrides``, which
    lists them for every code point Python 3.10's Unicode 13.0 lacks): those characters are
    unassigned for Python, hence unchanged by ``lower`` and not printable, so a printable result
    has none of them. A Python whose Unicode is newer than Rust's goes character by character
    when the text has a code point unassigned for Rust.
    """
    if text.isascii():
        return text.lower()
    if _PYTHON_AHEAD and _UNASSIGNED.positions(text):
        return "".join(map(lowercase_char, text))
    lowered = text.replace("\u03a3", "\u03c3").lower()
    if lowered.isprintable() or _lower_override_chars().isdisjoint(lowered):
        return lowered
    return lowered.translate(_lower_overrides())


# White_Space (Rust ``char::is_whitespace``), for ``str.strip`` and membership tests.
WHITE_SPACE = uc.characters(uc.named_ranges("white_space"))
_is_white_space = _member(uc.named_ranges("white_space"))
_CHINESE_RANGES: uc.Ranges = (
    (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0x20000, 0x2A6DF),
    (0x2A700, 0x2B73F), (0x2B740, 0x2B81F), (0x2B920, 0x2CEAF), (0x2F800, 0x2FA1F),
)  # fmt: skip
# One capture group: re.split keeps each ideograph as its own part, so joining the parts with
# single spaces puts a space on each side of every ideograph and changes nothing else.
_CHINESE_SPLIT = re.compile(
    "([" + "".join(f"{chr(lo)}-{chr(hi)}" for lo, hi in _CHINESE_RANGES) + "])"
)


def _pad_chinese(text: str) -> str:
    """``text`` with a space on each side of every CJK ideograph."""
    return " ".join(_CHINESE_SPLIT.split(text))


# clean_text on ASCII: controls go, except tab, LF and CR, which become spaces like all White_Space.
_ASCII_CLEAN: dict[int, str | None] = {
    **dict.fromkeys([*range(0x20), 0x7F]), 0x09: " ", 0x0A: " ", 0x0D: " "
}  # fmt: skip


def _normal_form(form: str, text: str) -> str:
    """``unicodedata.normalize``, except that every code point the Rust crate does not know stays
    as it is and separates what precedes it from what follows (a class-0 character to the crate)."""
    if text.isascii():
        return text
    cuts = _NORMALIZATION_UNKNOWN.positions(text)
    if not cuts:
        return unicodedata.normalize(form, text)
    pieces, start = [], 0
    for cut in cuts:
        pieces += (unicodedata.normalize(form, text[start:cut]), text[cut])
        start = cut + 1
    pieces.append(unicodedata.normalize(form, text[start:]))
    return "".join(pieces)


_NORMALIZATION_UNKNOWN = _WideClass(uc.normalization_unknown)


class BertNormalizer(_CharWise):
    """clean_text -> handle_chinese_chars -> strip_accents (NFD, drop Mn) -> lowercase.

    ``normalize`` works on whole strings with C-level operations: a cheap test (ASCII? printable?
    a set or regex scan) decides whether a step can change the text at all, and only the
    characters found are replaced. ``normalize_reference`` is the plain per-character algorithm.
    """

    def __init__(
        self,
        clean_text: bool = True,
        handle_chinese_chars: bool = True,
        strip_accents: bool | None = None,
        lowercase: bool = True,
    ) -> None:
        self.clean_text = clean_text
        self.handle_chinese_chars = handle_chinese_chars
        # tokenizers: an unset strip_accents follows lowercase
        self.strip_accents = lowercase if strip_accents is None else strip_accents
        self.lowercase = lowercase
        if lowercase:
            _prepare_lowercase()
        if self.strip_accents:  # ~0.7 ms, better spent at load than inside the first batch
            _BERT_MN.prepare()
            _NORMALIZATION_UNKNOWN.prepare()

    def normalize(self, text: str) -> str:
        if text.isascii():  # no CJK, NFD keeps ASCII and no ASCII char is Mn
            if self.clean_text and not text.isprintable():
                text = text.translate(_ASCII_CLEAN)
            return text.lower() if self.lowercase else text
        # Every character clean_text changes but U+FFFD is one Python does not print (C*, Z*).
        if self.clean_text and (not text.isprintable() or "\ufffd" in text):
            text = _clean_text(text)
        if self.handle_chinese_chars:
            text = _pad_chinese(text)
        if self.strip_accents:
            text = _BERT_MN.removed_from(_normal_form("NFD", text))
        return lowercase_text(text) if self.lowercase else text

    def normalize_with_start(self, text: str, at_start: bool) -> tuple[str, bool]:
        out = self.normalize(text)
        if at_start and text:
            first = text[0]
            # Only clean_text (non-printable characters, U+FFFD) and strip_accents (marks: a
            # character whose NFD starts with a mark is a mark itself) can delete a character.
            if (
                not first.isprintable()
                or first == "\ufffd"
                or (self.strip_accents and first in _BERT_MN.chars)
            ):
                at_start = self.normalize(first) != ""
        return out, at_start

    def normalize_reference(self, text: str) -> str:
        if self.clean_text:
            kept = []
            other, space = uc.named_ranges("bert_other"), uc.named_ranges("white_space")
            for char in text:
                cp = ord(char)
                if cp in (0, 0xFFFD) or (cp not in (9, 10, 13) and uc.contains(other, cp)):
                    continue
                kept.append(" " if uc.contains(space, cp) else char)
            text = "".join(kept)
        if self.handle_chinese_chars:
            text = "".join(f" {c} " if uc.contains(_CHINESE_RANGES, ord(c)) else c for c in text)
        if self.strip_accents:
            text = _normal_form("NFD", text)
            mn = uc.named_ranges("bert_mn")
            text = "".join(c for c in text if not uc.contains(mn, ord(c)))
        if self.lowercase:
            text = "".join(lowercase_char(c) for c in text)
        return text


def _clean_text(text: str) -> str:
    """Drop NUL, U+FFFD and the crate's 'other' characters but tab, LF and CR, then turn every
    White_Space character into U+0020: only the distinct non-printable characters are examined."""
    is_other = _bert_is_other()
    changes: dict[str, str] = {}
    for char in {*filterfalse(str.isprintable, set(text)), "\ufffd"}:
        cp = ord(char)
        if cp in (0, 0xFFFD) or (cp not in (9, 10, 13) and is_other(cp)):
            changes[char] = ""
        elif _is_white_space(cp):
            changes[char] = " "
    return _replace_chars(text, changes)


@lru_cache(maxsize=1)
def _bert_is_other() -> Callable[[int], bool]:
    return _member(uc.named_ranges("bert_other"))


_BERT_MN = _CharClass(lambda: uc.named_ranges("bert_mn"))


class Lowercase(_KeepsStart):
    def __init__(self) -> None:
        _prepare_lowercase()

    def normalize(self, text: str) -> str:
        return lowercase_text(text)


class UnicodeNormalForm(_KeepsStart):
    """NFC / NFD / NFKC / NFKD."""

    def __init__(self, form: str) -> None:
        self.form = form
        _NORMALIZATION_UNKNOWN.prepare()

    def normalize(self, text: str) -> str:
        return _normal_form(self.form, text)


class Strip:
    """Remove leading and/or trailing White_Space characters."""

    def __init__(self, left: bool, right: bool) -> None:
        self.left, self.right = left, right

    def normalize(self, text: str) -> str:
        if self.left and self.right:
            return text.strip(WHITE_SPACE)
        if self.left:
            return text.lstrip(WHITE_SPACE)
        if self.right:
            return text.rstrip(WHITE_SPACE)
        return text

    def normalize_with_start(self, text: str, at_start: bool) -> tuple[str, bool]:
        moved = self.left and text[:1] in WHITE_SPACE and text != ""
        return self.normalize(text), at_start and not moved


class StripAccents(_CharWise):
    """Drop every combining mark (no decomposition first, as in tokenizers)."""

    def normalize(self, text: str) -> str:
        if text.isascii():
            return text
        return _COMBINING_MARKS.removed_from(text)


_COMBINING_MARKS = _CharClass(lambda: uc.named_ranges("combining_mark"))


class Replace:
    """Replace every match of a literal or an Oniguruma regex with ``content``."""

    def __init__(self, pattern: re.Pattern[str], content: str, literal: str | None) -> None:
        self._rx, self.content, self._literal = pattern, content, literal

    def normalize(self, text: str) -> str:
        return self.normalize_with_start(text, False)[0]

    def normalize_with_start(self, text: str, at_start: bool) -> tuple[str, bool]:
        # tokenizers aligns replacement characters with the *last* replaced one, so a match at 0
        # moves the start unless it is one character replaced by something non-empty.
        if self._literal:
            moved = text.startswith(self._literal) and (not self.content or len(self._literal) > 1)
            return text.replace(self._literal, self.content), at_start and not moved
        if not text:
            return text, at_start
        out: list[str] = []
        last = 0
        spans = onig_regex.find_spans(self._rx, text)
        for start, end in spans:
            out.append(text[last:start])
            out.append(self.content)
            last = end
        out.append(text[last:])
        moved = (
            bool(spans)
            and spans[0][0] == 0
            and (spans[0][1] > 1 or (spans[0][1] == 1 and not self.content))
        )
        return "".join(out), at_start and not moved


class Prepend(_KeepsStart):
    def __init__(self, prepend: str) -> None:
        self.prepend = prepend

    def normalize(self, text: str) -> str:
        return self.prepend + text if text else text


class ByteLevelNormalizer(_KeepsStart):
    """Every UTF-8 byte becomes its character of the GPT-2 byte alphabet."""

    def normalize(self, text: str) -> str:
        from .pre_tokenizers import byte_level_encode

        return byte_level_encode(text)


class Nmt(_CharWise):
    """sentencepiece's NMT cleanup: drop some controls, map some spaces to U+0020."""

    _DROP = (*range(0x01, 0x09), 0x0B, *range(0x0E, 0x20), 0x7F, 0x8F, 0x9F)
    _SPACE = (0x09, 0x0A, 0x0C, 0x0D, 0x1680, *range(0x200B, 0x2010), 0x2028, 0x2029, 0x2581,
              0xFEFF, 0xFFFD)  # fmt: skip

    def __init__(self) -> None:
        table: dict[int, str | None] = dict.fromkeys(self._DROP)
        table.update(dict.fromkeys(self._SPACE, " "))
        self._table = table

    def normalize(self, text: str) -> str:
        return text.translate(self._table)


class Sequence:
    def __init__(self, normalizers: list[Normalizer]) -> None:
        self.normalizers = normalizers

    def normalize(self, text: str) -> str:
        for normalizer in self.normalizers:
            text = normalizer.normalize(text)
        return text

    def normalize_with_start(self, text: str, at_start: bool) -> tuple[str, bool]:
        for normalizer in self.normalizers:
            text, at_start = normalizer.normalize_with_start(text, at_start)
        return text, at_start


def _field(config: dict[str, Any], name: str, kind: type, where: str) -> Any:
    if name not in config:
        raise TokenizerFormatError(f"{where}: missing field {name!r}")
    value = config[name]
    if not isinstance(value, kind):
        raise TokenizerFormatError(
            f"{where}: field {name!r} should be {kind.__name__}, found {type(value).__name__}"
        )
    return value


def pattern_from_config(config: dict[str, Any], where: str) -> tuple[re.Pattern[str], str | None]:
    """Compile a ``{"String": ...}`` or ``{"Regex": ...}`` pattern; returns (regex, literal)."""
    pattern = _field(config, "pattern", dict, where)
    if "String" in pattern and isinstance(pattern["String"], str):
        literal = pattern["String"]
        return onig_regex.compile_literal(literal), literal
    if "Regex" in pattern and isinstance(pattern["Regex"], str):
        return onig_regex.compile_pattern(pattern["Regex"]), None
    raise TokenizerFormatError(f"{where}: pattern should be {{'String': ...}} or {{'Regex': ...}}")


def build_normalizer(config: dict[str, Any] | None, where: str = "normalizer") -> Normalizer | None:
    """The normalizer described by tokenizer.json's ``normalizer`` block (``None`` if absent)."""
    if config is None:
        return None
    if not isinstance(config, dict):
        raise TokenizerFormatError(f"{where}: expected an object, found {type(config).__name__}")
    kind = config.get("type")
    if kind == "BertNormalizer":
        strip = config.get("strip_accents")
        return BertNormalizer(
            clean_text=bool(config.get("clean_text", True)),
            handle_chinese_chars=bool(config.get("handle_chinese_chars", True)),
            strip_accents=None if strip is None else bool(strip),
            lowercase=bool(config.get("lowercase", True)),
        )
    if kind == "Precompiled":
        charsmap = config.get("precompiled_charsmap")
        if charsmap is None:
            raise UnsupportedTokenizerError(f"{where}: Precompiled without a precompiled_charsmap")
        if not isinstance(charsmap, str):
            raise TokenizerFormatError(f"{where}: precompiled_charsmap should be a base64 string")
        return Precompiled.from_base64(charsmap, f"{where}.precompiled_charsmap")
    if kind in ("NFC", "NFD", "NFKC", "NFKD"):
        return UnicodeNormalForm(kind)
    if kind == "Lowercase":
        return Lowercase()
    if kind == "Strip":
        return Strip(bool(config.get("strip_left", True)), bool(config.get("strip_right", True)))
    if kind == "StripAccents":
        return StripAccents()
    if kind == "Replace":
        rx, literal = pattern_from_config(config, where)
        return Replace(rx, _field(config, "content", str, where), literal)
    if kind == "Prepend":
        return Prepend(_field(config, "prepend", str, where))
    if kind == "ByteLevel":
        return ByteLevelNormalizer()
    if kind == "Nmt":
        return Nmt()
    if kind == "Sequence":
        items = _field(config, "normalizers", list, where)
        built = [build_normalizer(c, f"{where}.normalizers[{i}]") for i, c in enumerate(items)]
        return Sequence([n for n in built if n is not None])
    raise UnsupportedTokenizerError(f"{where}: normalizer type {kind!r} is not supported")
