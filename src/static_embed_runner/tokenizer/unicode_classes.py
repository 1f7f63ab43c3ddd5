"""Unicode character classes exactly as the Rust side of ``tokenizers`` sees them, whatever the
Python version.

Every class (general categories for Oniguruma's ``\\p{..}``, ``\\s``/``\\w``/``\\d``, the
punctuation and control sets of the ``unicode_categories`` crate, the marks StripAccents removes,
the code points the normalization crate does not know) is built once, on first use, from shipped
tables, and cached for the life of the process so every tokenizer reuses it.

Why shipped tables: Python's :mod:`unicodedata` changes with the Python release (3.10: Unicode
13.0 up to 3.15: 17.0), Oniguruma inside ``tokenizers`` 0.22 is Unicode 16.0, and some crates
``tokenizers`` relies on are Unicode 9.0 or older. So the base is Oniguruma's own general
categories (:mod:`.unicode_categories_data`, probed from ``tokenizers``) and the code points
Unicode 9.0 assigned (:mod:`.unicode_age_data`); the small tables below list only where another
component differs from that base. They were measured by running the component of ``tokenizers``
on every code point (the tests re-check all of them, also with other Unicode versions standing in
for :mod:`unicodedata`). Classes are returned as ranges and as the body of a Python ``re``
character class.
"""

from __future__ import annotations

import re
import string
import sys
from collections.abc import Iterable
from functools import cache, lru_cache

Ranges = tuple[tuple[int, int], ...]

MAX_CODE_POINT = sys.maxunicode
# The Unicode version of the shipped general categories (Oniguruma's; the tests check it against
# ``unicode_categories_data.UNICODE_VERSION`` without importing that table here).
UNICODE_VERSION = (16, 0, 0)
# Any code point beyond the BMP: texts without one can use BMP-only classes, which ``re`` scans
# faster (it tries a class's astral ranges one after another for every character).
ASTRAL = re.compile("[\U00010000-\U0010ffff]")

# fmt: off
# The `unicode_categories` crate (an old Unicode, used by BertPreTokenizer, Punctuation and
# BertNormalizer) against the shipped Unicode 16.0 categories. Punctuation (P*) it lacks:
_OLD_PUNCT_MISSING: tuple[tuple[int, int], ...] = (
    (0x061D, 0x061D), (0x09FD, 0x09FD), (0x0A76, 0x0A76), (0x0C77, 0x0C77), (0x0C84, 0x0C84),
    (0x1B4E, 0x1B4F), (0x1B7D, 0x1B7F), (0x2E43, 0x2E4F), (0x2E52, 0x2E5D), (0x10D6E, 0x10D6E),
    (0x10EAD, 0x10EAD), (0x10F55, 0x10F59), (0x10F86, 0x10F89), (0x113D4, 0x113D5),
    (0x113D7, 0x113D8), (0x1144B, 0x1144F), (0x1145A, 0x1145B), (0x1145D, 0x1145D),
    (0x11660, 0x1166C), (0x116B9, 0x116B9), (0x1183B, 0x1183B), (0x11944, 0x11946),
    (0x119E2, 0x119E2), (0x11A3F, 0x11A46), (0x11A9A, 0x11A9C), (0x11A9E, 0x11AA2),
    (0x11B00, 0x11B09), (0x11BE1, 0x11BE1), (0x11C41, 0x11C45), (0x11C70, 0x11C71),
    (0x11EF7, 0x11EF8), (0x11F43, 0x11F4F), (0x11FFF, 0x11FFF), (0x12FF1, 0x12FF2),
    (0x16D6D, 0x16D6F), (0x16E97, 0x16E9A), (0x16FE2, 0x16FE2), (0x1E5FF, 0x1E5FF),
    (0x1E95E, 0x1E95F),
)

# Its punctuation that Unicode 16.0 puts in other categories.
_OLD_PUNCT_EXTRA: tuple[tuple[int, int], ...] = (
    (0x166D, 0x166D), (0x111C9, 0x111C9),
)

# Cc/Cf/Co characters unknown to that crate (kept by BertNormalizer clean_text).
_OLD_OTHER_MISSING: tuple[tuple[int, int], ...] = (
    (0x0890, 0x0891), (0x08E2, 0x08E2), (0x110CD, 0x110CD), (0x13430, 0x1343F),
)

# Characters that crate considers 'other' although Unicode 16.0 does not.
_OLD_OTHER_EXTRA: tuple[tuple[int, int], ...] = ()

# Mn characters unknown to that crate (kept by BertNormalizer strip_accents).
_OLD_MN_MISSING: tuple[tuple[int, int], ...] = (
    (0x07FD, 0x07FD), (0x0897, 0x089F), (0x08CA, 0x08E1), (0x09FE, 0x09FE), (0x0AFA, 0x0AFF),
    (0x0B55, 0x0B55), (0x0C04, 0x0C04), (0x0C3C, 0x0C3C), (0x0D00, 0x0D00), (0x0D3B, 0x0D3C),
    (0x0D81, 0x0D81), (0x0EBA, 0x0EBA), (0x0ECE, 0x0ECE), (0x180F, 0x180F), (0x1885, 0x1886),
    (0x1ABF, 0x1ACE), (0x1DF6, 0x1DFB), (0xA82C, 0xA82C), (0xA8C5, 0xA8C5), (0xA8FF, 0xA8FF),
    (0xA9BD, 0xA9BD), (0x10D24, 0x10D27), (0x10D69, 0x10D6D), (0x10EAB, 0x10EAC),
    (0x10EFC, 0x10EFF), (0x10F46, 0x10F50), (0x10F82, 0x10F85), (0x11070, 0x11070),
    (0x11073, 0x11074), (0x110C2, 0x110C2), (0x111C9, 0x111C9), (0x111CF, 0x111CF),
    (0x1123E, 0x1123E), (0x11241, 0x11241), (0x1133B, 0x1133B), (0x113BB, 0x113C0),
    (0x113CE, 0x113CE), (0x113D0, 0x113D0), (0x113D2, 0x113D2), (0x113E1, 0x113E2),
    (0x11438, 0x1143F), (0x11442, 0x11444), (0x11446, 0x11446), (0x1145E, 0x1145E),
    (0x1182F, 0x11837), (0x11839, 0x1183A), (0x1193B, 0x1193C), (0x1193E, 0x1193E),
    (0x11943, 0x11943), (0x119D4, 0x119D7), (0x119DA, 0x119DB), (0x119E0, 0x119E0),
    (0x11A01, 0x11A0A), (0x11A33, 0x11A38), (0x11A3B, 0x11A3E), (0x11A47, 0x11A47),
    (0x11A51, 0x11A56), (0x11A59, 0x11A5B), (0x11A8A, 0x11A96), (0x11A98, 0x11A99),
    (0x11C30, 0x11C36), (0x11C38, 0x11C3D), (0x11C3F, 0x11C3F), (0x11C92, 0x11CA7),
    (0x11CAA, 0x11CB0), (0x11CB2, 0x11CB3), (0x11CB5, 0x11CB6), (0x11D31, 0x11D36),
    (0x11D3A, 0x11D3A), (0x11D3C, 0x11D3D), (0x11D3F, 0x11D45), (0x11D47, 0x11D47),
    (0x11D90, 0x11D91), (0x11D95, 0x11D95), (0x11D97, 0x11D97), (0x11EF3, 0x11EF4),
    (0x11F00, 0x11F01), (0x11F36, 0x11F3A), (0x11F40, 0x11F40), (0x11F42, 0x11F42),
    (0x11F5A, 0x11F5A), (0x13440, 0x13440), (0x13447, 0x13455), (0x1611E, 0x16129),
    (0x1612D, 0x1612F), (0x16F4F, 0x16F4F), (0x16FE4, 0x16FE4), (0x1CF00, 0x1CF2D),
    (0x1CF30, 0x1CF46), (0x1E000, 0x1E006), (0x1E008, 0x1E018), (0x1E01B, 0x1E021),
    (0x1E023, 0x1E024), (0x1E026, 0x1E02A), (0x1E08F, 0x1E08F), (0x1E130, 0x1E136),
    (0x1E2AE, 0x1E2AE), (0x1E2EC, 0x1E2EF), (0x1E4EC, 0x1E4EF), (0x1E5EE, 0x1E5EF),
    (0x1E944, 0x1E94A),
)

# Characters that crate considers Mn although Unicode 16.0 does not.
_OLD_MN_EXTRA: tuple[tuple[int, int], ...] = (
    (0x1734, 0x1734), (0x1171E, 0x1171E),
)

# Marks (M*) unknown to `unicode-normalization-alignments` (kept by StripAccents).
_OLD_MARK_MISSING: tuple[tuple[int, int], ...] = (
    (0x07FD, 0x07FD), (0x0897, 0x089F), (0x08CA, 0x08D3), (0x09FE, 0x09FE), (0x0AFA, 0x0AFF),
    (0x0B55, 0x0B55), (0x0C04, 0x0C04), (0x0C3C, 0x0C3C), (0x0CF3, 0x0CF3), (0x0D00, 0x0D00),
    (0x0D3B, 0x0D3C), (0x0D81, 0x0D81), (0x0EBA, 0x0EBA), (0x0ECE, 0x0ECE), (0x1715, 0x1715),
    (0x180F, 0x180F), (0x1ABF, 0x1ACE), (0x1CF7, 0x1CF7), (0x1DF6, 0x1DFA), (0xA82C, 0xA82C),
    (0xA8FF, 0xA8FF), (0x10D24, 0x10D27), (0x10D69, 0x10D6D), (0x10EAB, 0x10EAC),
    (0x10EFC, 0x10EFF), (0x10F46, 0x10F50), (0x10F82, 0x10F85), (0x11070, 0x11070),
    (0x11073, 0x11074), (0x110C2, 0x110C2), (0x11145, 0x11146), (0x111C9, 0x111C9),
    (0x111CE, 0x111CF), (0x11241, 0x11241), (0x1133B, 0x1133B), (0x113B8, 0x113C0),
    (0x113C2, 0x113C2), (0x113C5, 0x113C5), (0x113C7, 0x113CA), (0x113CC, 0x113D0),
    (0x113D2, 0x113D2), (0x113E1, 0x113E2), (0x1145E, 0x1145E), (0x1182C, 0x1183A),
    (0x11930, 0x11935), (0x11937, 0x11938), (0x1193B, 0x1193E), (0x11940, 0x11940),
    (0x11942, 0x11943), (0x119D1, 0x119D7), (0x119DA, 0x119E0), (0x119E4, 0x119E4),
    (0x11A01, 0x11A0A), (0x11A33, 0x11A39), (0x11A3B, 0x11A3E), (0x11A47, 0x11A47),
    (0x11A51, 0x11A5B), (0x11A8A, 0x11A99), (0x11D31, 0x11D36), (0x11D3A, 0x11D3A),
    (0x11D3C, 0x11D3D), (0x11D3F, 0x11D45), (0x11D47, 0x11D47), (0x11D8A, 0x11D8E),
    (0x11D90, 0x11D91), (0x11D93, 0x11D97), (0x11EF3, 0x11EF6), (0x11F00, 0x11F01),
    (0x11F03, 0x11F03), (0x11F34, 0x11F3A), (0x11F3E, 0x11F42), (0x11F5A, 0x11F5A),
    (0x13440, 0x13440), (0x13447, 0x13455), (0x1611E, 0x1612F), (0x16F4F, 0x16F4F),
    (0x16F7F, 0x16F87), (0x16FE4, 0x16FE4), (0x16FF0, 0x16FF1), (0x1CF00, 0x1CF2D),
    (0x1CF30, 0x1CF46), (0x1E08F, 0x1E08F), (0x1E130, 0x1E136), (0x1E2AE, 0x1E2AE),
    (0x1E2EC, 0x1E2EF), (0x1E4EC, 0x1E4EF), (0x1E5EE, 0x1E5EF),
)

# Characters that crate considers combining marks although Unicode 16.0 does not.
_OLD_MARK_EXTRA: tuple[tuple[int, int], ...] = (
    (0x1CF2, 0x1CF3),
)

# Numbers (Rust `char::is_numeric`, used by Digits) newer than Unicode 16.
_RUST_NUMERIC_EXTRA: tuple[tuple[int, int], ...] = (
    (0x11DE0, 0x11DE9), (0x16FF4, 0x16FF6),
)

# Other_Alphabetic symbols (So) that belong to `\\w` (Alphabetic + M + Nd + Pc + Join_Control).
_WORD_EXTRA: tuple[tuple[int, int], ...] = (
    (0x24B6, 0x24E9), (0x1F130, 0x1F149), (0x1F150, 0x1F169), (0x1F170, 0x1F189),
)

# Rust's lowercase mappings (`char::to_lowercase`) of the code points Unicode 13.0, the Unicode of
# the oldest supported Python, did not assign yet: (first, last, offset). Every older code point
# has the same mapping in ``str.lower`` on every supported Python.
_LOWER_AFTER_13: tuple[tuple[int, int, int], ...] = (
    (0x1C89, 0x1C89, 1), (0x2C2F, 0x2C2F, 48), (0xA7C0, 0xA7C0, 1), (0xA7CB, 0xA7CB, -42343),
    (0xA7CC, 0xA7CC, 1), (0xA7CE, 0xA7CE, 1), (0xA7D0, 0xA7D0, 1), (0xA7D2, 0xA7D2, 1),
    (0xA7D4, 0xA7D4, 1), (0xA7D6, 0xA7D6, 1), (0xA7D8, 0xA7D8, 1), (0xA7DA, 0xA7DA, 1),
    (0xA7DC, 0xA7DC, -42561), (0x10570, 0x1057A, 39), (0x1057C, 0x1058A, 39),
    (0x1058C, 0x10592, 39), (0x10594, 0x10595, 39), (0x10D50, 0x10D65, 32), (0x16EA0, 0x16EB8, 27),
)
# fmt: on

_ASCII_PUNCT = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
# White_Space (Rust ``char::is_whitespace``, Oniguruma ``\s``): ``str.isspace`` minus 1C..1F.
_WHITE_SPACE: Ranges = (
    (0x09, 0x0D), (0x20, 0x20), (0x85, 0x85), (0xA0, 0xA0), (0x1680, 0x1680), (0x2000, 0x200A),
    (0x2028, 0x2029), (0x202F, 0x202F), (0x205F, 0x205F), (0x3000, 0x3000),
)  # fmt: skip
_JOIN_CONTROL: Ranges = ((0x200C, 0x200D),)
# The old crates' classes: (Unicode 16.0 categories, what the crate lacks of them, what it adds).
_OLD_CRATE_CLASSES: dict[str, tuple[tuple[str, ...], Ranges, Ranges]] = {
    "bert_punctuation": (
        ("Pc", "Pd", "Ps", "Pe", "Pi", "Pf", "Po"),
        _OLD_PUNCT_MISSING,
        (*((ord(c), ord(c)) for c in _ASCII_PUNCT), *_OLD_PUNCT_EXTRA),
    ),
    "bert_other": (("Cc", "Cf", "Co", "Cs"), _OLD_OTHER_MISSING, _OLD_OTHER_EXTRA),
    "bert_mn": (("Mn",), _OLD_MN_MISSING, _OLD_MN_EXTRA),
    "combining_mark": (("Mn", "Mc", "Me"), _OLD_MARK_MISSING, _OLD_MARK_EXTRA),
}


def merge(ranges: Iterable[tuple[int, int]]) -> Ranges:
    """Sort and merge overlapping or adjacent inclusive ranges."""
    out: list[list[int]] = []
    for lo, hi in sorted(ranges):
        if out and lo <= out[-1][1] + 1:
            out[-1][1] = max(out[-1][1], hi)
        else:
            out.append([lo, hi])
    return tuple((lo, hi) for lo, hi in out)


def complement(ranges: Ranges) -> Ranges:
    """Every code point not in ``ranges``."""
    return _gaps(merge(ranges))


def _gaps(ranges: Iterable[tuple[int, int]]) -> Ranges:
    """Every code point not in ``ranges``, which must already be sorted and merged."""
    out: list[tuple[int, int]] = []
    nxt = 0
    for lo, hi in ranges:
        if lo > nxt:
            out.append((nxt, lo - 1))
        nxt = hi + 1
    if nxt <= MAX_CODE_POINT:
        out.append((nxt, MAX_CODE_POINT))
    return tuple(out)


def subtract(ranges: Ranges, removed: Ranges) -> Ranges:
    """Code points in ``ranges`` but not in ``removed``."""
    return intersect(ranges, complement(removed))


def intersect(a: Ranges, b: Ranges) -> Ranges:
    """Code points in both ``a`` and ``b``."""
    out: list[tuple[int, int]] = []
    a, b = merge(a), merge(b)
    i = j = 0
    while i < len(a) and j < len(b):
        lo, hi = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if lo <= hi:
            out.append((lo, hi))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return tuple(out)


@lru_cache(maxsize=1)
def _category_index() -> tuple[tuple[int, ...], dict[str, list[int]]]:
    """The shipped table (Unicode 16.0, as Oniguruma): range starts with an end sentinel, and the
    indexes of each category's ranges. Ranges become tuples only per category asked for, since a
    tokenizer needs a few of the 30 and building all 4,099 at load costs garbage collections."""
    from . import unicode_categories_data as data

    names = dict(zip(string.ascii_letters, data.CATEGORY_NAMES, strict=False))
    indexes: dict[str, list[int]] = {name: [] for name in data.CATEGORY_NAMES}
    for index, code in enumerate(data.RANGE_CATEGORIES):
        indexes[names[code]].append(index)
    return (*data.RANGE_STARTS, MAX_CODE_POINT + 1), indexes


@cache
def _category(name: str) -> Ranges:
    """Ranges of one general category in the shipped table (empty for an unused name)."""
    starts, indexes = _category_index()
    return tuple((starts[i], starts[i + 1] - 1) for i in indexes.get(name, ()))


def _category_union(cats: Iterable[str]) -> Ranges:
    return merge(r for cat in cats for r in _category(cat))


GENERAL_CATEGORIES: tuple[str, ...] = (
    "Lu", "Ll", "Lt", "Lm", "Lo", "Mn", "Mc", "Me", "Nd", "Nl", "No", "Pc", "Pd", "Ps", "Pe",
    "Pi", "Pf", "Po", "Sm", "Sc", "Sk", "So", "Zs", "Zl", "Zp", "Cc", "Cf", "Cs", "Co", "Cn",
)  # fmt: skip


@cache
def category_ranges(name: str) -> Ranges | None:
    """Ranges of a general category (``"Lu"``) or major class (``"L"``, ``"LC"``) in Unicode 16.0.

    Returns ``None`` for a name that is not a general category.
    """
    if name in GENERAL_CATEGORIES:
        return _category(name)
    if name == "LC":
        cats = ("Lu", "Ll", "Lt")
    else:
        cats = tuple(c for c in GENERAL_CATEGORIES if c[0] == name)
        if len(name) != 1 or not cats:
            return None
    return _category_union(cats)


@cache
def named_ranges(name: str) -> Ranges:
    """The non-category classes used by tokenizers' components, by name.

    ``white_space`` (Rust ``char::is_whitespace``, Oniguruma ``\\s``), ``digit`` (``\\d``: Nd),
    ``word`` (Rust regex ``\\w``), ``onig_word`` / ``onig_word_in_class`` (Oniguruma ``\\w``
    outside / inside brackets), ``numeric`` (Rust ``char::is_numeric``), ``bert_punctuation``
    (ASCII punctuation or the crate's P*), ``bert_other`` (the crate's Cc/Cf/Co/Cs), ``bert_mn``
    (the crate's Mn), ``combining_mark`` (StripAccents' marks).
    """
    if name == "white_space":
        return merge(_WHITE_SPACE)
    if name == "digit":
        return category_ranges("Nd") or ()
    if name == "word":
        parts = [category_ranges(c) or () for c in ("L", "M", "Nd", "Nl", "Pc")]
        return merge((*(r for p in parts for r in p), *_JOIN_CONTROL, *_WORD_EXTRA))
    if name == "onig_word_in_class":
        # Oniguruma's \\w inside brackets: Rust's \\w without the join controls.
        return subtract(named_ranges("word"), _JOIN_CONTROL)
    if name == "onig_word":
        # Oniguruma's bare \\w also takes Latin-1's superscript digits and fractions.
        return merge(
            (*named_ranges("onig_word_in_class"), (0xB2, 0xB3), (0xB9, 0xB9), (0xBC, 0xBE))
        )
    if name == "numeric":
        return merge((*(category_ranges("N") or ()), *_RUST_NUMERIC_EXTRA))
    if name in _OLD_CRATE_CLASSES:
        categories, missing, extra = _OLD_CRATE_CLASSES[name]
        return merge((*subtract(_category_union(categories), missing), *extra))
    raise KeyError(f"unknown character class name {name!r}")


@cache
def normalization_unknown() -> Ranges:
    """Code points ``unicode-normalization-alignments`` (Unicode 9.0, behind the NFC/NFD/NFKC/NFKD
    normalizers of ``tokenizers``) does not know: every one not assigned by Unicode 9.0 (which
    counts the surrogates as assigned). It neither decomposes nor composes them and gives them
    combining class 0, while :mod:`unicodedata` may know them, depending on the Python version;
    every code point it knows, Python normalizes exactly as it does."""
    from .unicode_age_data import ASSIGNED_BY_9_0 as flat

    # The data is sorted and merged: no need for complement()'s merge (garbage at tokenizer load).
    return _gaps(zip(flat[::2], flat[1::2], strict=True))


def lowercase_overrides() -> dict[int, str]:
    """Rust lowercase mappings ``str.lower`` may lack on a supported Python (cp -> str)."""
    return {cp: chr(cp + off) for lo, hi, off in _LOWER_AFTER_13 for cp in range(lo, hi + 1)}


def _escape(cp: int) -> str:
    return f"\\U{cp:08X}" if cp > 0xFFFF else f"\\u{cp:04X}"


def class_body(ranges: Ranges) -> str:
    """The body of a Python ``re`` character class (no brackets) matching exactly ``ranges``."""
    parts = []
    for lo, hi in ranges:
        if lo == hi:
            parts.append(_escape(lo))
        elif hi == lo + 1:
            parts.append(_escape(lo) + _escape(hi))
        else:
            parts.append(f"{_escape(lo)}-{_escape(hi)}")
    return "".join(parts)


def characters(ranges: Ranges) -> str:
    """Every character in ``ranges``, in order, as one string."""
    return "".join(chr(cp) for lo, hi in ranges for cp in range(lo, hi + 1))


def contains(ranges: Ranges, cp: int) -> bool:
    """Whether ``cp`` lies in ``ranges`` (merged, sorted)."""
    lo, hi = 0, len(ranges)
    while lo < hi:
        mid = (lo + hi) // 2
        if ranges[mid][1] < cp:
            lo = mid + 1
        elif ranges[mid][0] > cp:
            hi = mid
        else:
            return True
    return False
