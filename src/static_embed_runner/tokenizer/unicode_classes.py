"""Unicode character classes exactly as the Rust side of ``tokenizers`` sees them.

Every class (general categories for Oniguruma's ``\\p{..}``, ``\\s``/``\\w``/``\\d``, the
punctuation and control sets of the ``unicode_categories`` crate, the marks StripAccents removes)
is built once, on first use, from the standard library's :mod:`unicodedata` plus the small tables
below, and cached for the life of the process so every tokenizer reuses it.

Why tables: Python 3.11's ``unicodedata`` is Unicode 14.0, Oniguruma inside ``tokenizers`` 0.22 is
Unicode 16.0, while some crates ``tokenizers`` relies on predate Unicode 11. Each table lists only
the code points where the component's Unicode data differs from ``unicodedata``; they were measured
by running the component of ``tokenizers`` on every code point (the tests re-check all of them).
Classes are returned as ranges and as the body of a Python ``re`` character class.
"""

from __future__ import annotations

import re
import string
import sys
import unicodedata
from collections.abc import Iterable
from functools import cache, lru_cache

Ranges = tuple[tuple[int, int], ...]

MAX_CODE_POINT = sys.maxunicode
# Any code point beyond the BMP: texts without one can use BMP-only classes, which ``re`` scans
# faster (it tries a class's astral ranges one after another for every character).
ASTRAL = re.compile("[\U00010000-\U0010ffff]")

# fmt: off
# Code points whose general category in Unicode 16.0 (Oniguruma) differs from ``unicodedata``.
_GC16_DELTA: tuple[tuple[int, int, str], ...] = (
    (0x0897, 0x0897, "Mn"), (0x0CF3, 0x0CF3, "Mc"), (0x0ECE, 0x0ECE, "Mn"), (0x1B4E, 0x1B4F, "Po"),
    (0x1B7F, 0x1B7F, "Po"), (0x1C89, 0x1C89, "Lu"), (0x1C8A, 0x1C8A, "Ll"), (0x2427, 0x2429, "So"),
    (0x2FFC, 0x2FFF, "So"), (0x31E4, 0x31E5, "So"), (0x31EF, 0x31EF, "So"), (0xA7CB, 0xA7CC, "Lu"),
    (0xA7CD, 0xA7CD, "Ll"), (0xA7DA, 0xA7DA, "Lu"), (0xA7DB, 0xA7DB, "Ll"), (0xA7DC, 0xA7DC, "Lu"),
    (0x105C0, 0x105F3, "Lo"), (0x10D40, 0x10D49, "Nd"), (0x10D4A, 0x10D4D, "Lo"),
    (0x10D4E, 0x10D4E, "Lm"), (0x10D4F, 0x10D4F, "Lo"), (0x10D50, 0x10D65, "Lu"),
    (0x10D69, 0x10D6D, "Mn"), (0x10D6E, 0x10D6E, "Pd"), (0x10D6F, 0x10D6F, "Lm"),
    (0x10D70, 0x10D85, "Ll"), (0x10D8E, 0x10D8F, "Sm"), (0x10EC2, 0x10EC4, "Lo"),
    (0x10EFC, 0x10EFF, "Mn"), (0x1123F, 0x11240, "Lo"), (0x11241, 0x11241, "Mn"),
    (0x11380, 0x11389, "Lo"), (0x1138B, 0x1138B, "Lo"), (0x1138E, 0x1138E, "Lo"),
    (0x11390, 0x113B5, "Lo"), (0x113B7, 0x113B7, "Lo"), (0x113B8, 0x113BA, "Mc"),
    (0x113BB, 0x113C0, "Mn"), (0x113C2, 0x113C2, "Mc"), (0x113C5, 0x113C5, "Mc"),
    (0x113C7, 0x113CA, "Mc"), (0x113CC, 0x113CD, "Mc"), (0x113CE, 0x113CE, "Mn"),
    (0x113CF, 0x113CF, "Mc"), (0x113D0, 0x113D0, "Mn"), (0x113D1, 0x113D1, "Lo"),
    (0x113D2, 0x113D2, "Mn"), (0x113D3, 0x113D3, "Lo"), (0x113D4, 0x113D5, "Po"),
    (0x113D7, 0x113D8, "Po"), (0x113E1, 0x113E2, "Mn"), (0x116D0, 0x116E3, "Nd"),
    (0x1171E, 0x1171E, "Mc"), (0x11B00, 0x11B09, "Po"), (0x11BC0, 0x11BE0, "Lo"),
    (0x11BE1, 0x11BE1, "Po"), (0x11BF0, 0x11BF9, "Nd"), (0x11F00, 0x11F01, "Mn"),
    (0x11F02, 0x11F02, "Lo"), (0x11F03, 0x11F03, "Mc"), (0x11F04, 0x11F10, "Lo"),
    (0x11F12, 0x11F33, "Lo"), (0x11F34, 0x11F35, "Mc"), (0x11F36, 0x11F3A, "Mn"),
    (0x11F3E, 0x11F3F, "Mc"), (0x11F40, 0x11F40, "Mn"), (0x11F41, 0x11F41, "Mc"),
    (0x11F42, 0x11F42, "Mn"), (0x11F43, 0x11F4F, "Po"), (0x11F50, 0x11F59, "Nd"),
    (0x11F5A, 0x11F5A, "Mn"), (0x1342F, 0x1342F, "Lo"), (0x13439, 0x1343F, "Cf"),
    (0x13440, 0x13440, "Mn"), (0x13441, 0x13446, "Lo"), (0x13447, 0x13455, "Mn"),
    (0x13460, 0x143FA, "Lo"), (0x16100, 0x1611D, "Lo"), (0x1611E, 0x16129, "Mn"),
    (0x1612A, 0x1612C, "Mc"), (0x1612D, 0x1612F, "Mn"), (0x16130, 0x16139, "Nd"),
    (0x16D40, 0x16D42, "Lm"), (0x16D43, 0x16D6A, "Lo"), (0x16D6B, 0x16D6C, "Lm"),
    (0x16D6D, 0x16D6F, "Po"), (0x16D70, 0x16D79, "Nd"), (0x18CFF, 0x18CFF, "Lo"),
    (0x1B132, 0x1B132, "Lo"), (0x1B155, 0x1B155, "Lo"), (0x1CC00, 0x1CCEF, "So"),
    (0x1CCF0, 0x1CCF9, "Nd"), (0x1CD00, 0x1CEB3, "So"), (0x1D2C0, 0x1D2D3, "No"),
    (0x1DF25, 0x1DF2A, "Ll"), (0x1E030, 0x1E06D, "Lm"), (0x1E08F, 0x1E08F, "Mn"),
    (0x1E4D0, 0x1E4EA, "Lo"), (0x1E4EB, 0x1E4EB, "Lm"), (0x1E4EC, 0x1E4EF, "Mn"),
    (0x1E4F0, 0x1E4F9, "Nd"), (0x1E5D0, 0x1E5ED, "Lo"), (0x1E5EE, 0x1E5EF, "Mn"),
    (0x1E5F0, 0x1E5F0, "Lo"), (0x1E5F1, 0x1E5FA, "Nd"), (0x1E5FF, 0x1E5FF, "Po"),
    (0x1F6DC, 0x1F6DC, "So"), (0x1F774, 0x1F776, "So"), (0x1F77B, 0x1F77F, "So"),
    (0x1F7D9, 0x1F7D9, "So"), (0x1F8B2, 0x1F8BB, "So"), (0x1F8C0, 0x1F8C1, "So"),
    (0x1FA75, 0x1FA77, "So"), (0x1FA87, 0x1FA89, "So"), (0x1FA8F, 0x1FA8F, "So"),
    (0x1FAAD, 0x1FAAF, "So"), (0x1FABB, 0x1FABF, "So"), (0x1FAC6, 0x1FAC6, "So"),
    (0x1FACE, 0x1FACF, "So"), (0x1FADA, 0x1FADC, "So"), (0x1FADF, 0x1FADF, "So"),
    (0x1FAE8, 0x1FAE9, "So"), (0x1FAF7, 0x1FAF8, "So"), (0x1FBCB, 0x1FBEF, "So"),
    (0x2B739, 0x2B739, "Lo"), (0x2EBF0, 0x2EE5D, "Lo"), (0x31350, 0x323AF, "Lo"),
)

# Punctuation in Python's tables that the `unicode_categories` crate (an older Unicode, used by
# BertPreTokenizer and Punctuation) does not know.
_OLD_PUNCT_MISSING: tuple[tuple[int, int], ...] = (
    (0x061D, 0x061D), (0x09FD, 0x09FD), (0x0A76, 0x0A76), (0x0C77, 0x0C77), (0x0C84, 0x0C84),
    (0x1B7D, 0x1B7E), (0x2E43, 0x2E4F), (0x2E52, 0x2E5D), (0x10EAD, 0x10EAD), (0x10F55, 0x10F59),
    (0x10F86, 0x10F89), (0x1144B, 0x1144F), (0x1145A, 0x1145B), (0x1145D, 0x1145D),
    (0x11660, 0x1166C), (0x116B9, 0x116B9), (0x1183B, 0x1183B), (0x11944, 0x11946),
    (0x119E2, 0x119E2), (0x11A3F, 0x11A46), (0x11A9A, 0x11A9C), (0x11A9E, 0x11AA2),
    (0x11C41, 0x11C45), (0x11C70, 0x11C71), (0x11EF7, 0x11EF8), (0x11FFF, 0x11FFF),
    (0x12FF1, 0x12FF2), (0x16E97, 0x16E9A), (0x16FE2, 0x16FE2), (0x1E95E, 0x1E95F),
)

# Punctuation for that crate whose category changed in later Unicode versions.
_OLD_PUNCT_EXTRA: tuple[tuple[int, int], ...] = (
    (0x166D, 0x166D), (0x111C9, 0x111C9),
)

# Cc/Cf/Co characters unknown to that crate (kept by BertNormalizer clean_text).
_OLD_OTHER_MISSING: tuple[tuple[int, int], ...] = (
    (0x0890, 0x0891), (0x08E2, 0x08E2), (0x110CD, 0x110CD), (0x13430, 0x13438),
)

# Characters that crate considers 'other' although Python's tables do not.
_OLD_OTHER_EXTRA: tuple[tuple[int, int], ...] = ()

# Mn characters unknown to that crate (kept by BertNormalizer strip_accents).
_OLD_MN_MISSING: tuple[tuple[int, int], ...] = (
    (0x07FD, 0x07FD), (0x0898, 0x089F), (0x08CA, 0x08E1), (0x09FE, 0x09FE), (0x0AFA, 0x0AFF),
    (0x0B55, 0x0B55), (0x0C04, 0x0C04), (0x0C3C, 0x0C3C), (0x0D00, 0x0D00), (0x0D3B, 0x0D3C),
    (0x0D81, 0x0D81), (0x0EBA, 0x0EBA), (0x180F, 0x180F), (0x1885, 0x1886), (0x1ABF, 0x1ACE),
    (0x1DF6, 0x1DFB), (0xA82C, 0xA82C), (0xA8C5, 0xA8C5), (0xA8FF, 0xA8FF), (0xA9BD, 0xA9BD),
    (0x10D24, 0x10D27), (0x10EAB, 0x10EAC), (0x10F46, 0x10F50), (0x10F82, 0x10F85),
    (0x11070, 0x11070), (0x11073, 0x11074), (0x110C2, 0x110C2), (0x111C9, 0x111C9),
    (0x111CF, 0x111CF), (0x1123E, 0x1123E), (0x1133B, 0x1133B), (0x11438, 0x1143F),
    (0x11442, 0x11444), (0x11446, 0x11446), (0x1145E, 0x1145E), (0x1182F, 0x11837),
    (0x11839, 0x1183A), (0x1193B, 0x1193C), (0x1193E, 0x1193E), (0x11943, 0x11943),
    (0x119D4, 0x119D7), (0x119DA, 0x119DB), (0x119E0, 0x119E0), (0x11A01, 0x11A0A),
    (0x11A33, 0x11A38), (0x11A3B, 0x11A3E), (0x11A47, 0x11A47), (0x11A51, 0x11A56),
    (0x11A59, 0x11A5B), (0x11A8A, 0x11A96), (0x11A98, 0x11A99), (0x11C30, 0x11C36),
    (0x11C38, 0x11C3D), (0x11C3F, 0x11C3F), (0x11C92, 0x11CA7), (0x11CAA, 0x11CB0),
    (0x11CB2, 0x11CB3), (0x11CB5, 0x11CB6), (0x11D31, 0x11D36), (0x11D3A, 0x11D3A),
    (0x11D3C, 0x11D3D), (0x11D3F, 0x11D45), (0x11D47, 0x11D47), (0x11D90, 0x11D91),
    (0x11D95, 0x11D95), (0x11D97, 0x11D97), (0x11EF3, 0x11EF4), (0x16F4F, 0x16F4F),
    (0x16FE4, 0x16FE4), (0x1CF00, 0x1CF2D), (0x1CF30, 0x1CF46), (0x1E000, 0x1E006),
    (0x1E008, 0x1E018), (0x1E01B, 0x1E021), (0x1E023, 0x1E024), (0x1E026, 0x1E02A),
    (0x1E130, 0x1E136), (0x1E2AE, 0x1E2AE), (0x1E2EC, 0x1E2EF), (0x1E944, 0x1E94A),
)

# Characters that crate considers Mn although Python's tables do not.
_OLD_MN_EXTRA: tuple[tuple[int, int], ...] = (
    (0x1734, 0x1734),
)

# Marks (M*) unknown to `unicode-normalization-alignments` (kept by StripAccents).
_OLD_MARK_MISSING: tuple[tuple[int, int], ...] = (
    (0x07FD, 0x07FD), (0x0898, 0x089F), (0x08CA, 0x08D3), (0x09FE, 0x09FE), (0x0AFA, 0x0AFF),
    (0x0B55, 0x0B55), (0x0C04, 0x0C04), (0x0C3C, 0x0C3C), (0x0D00, 0x0D00), (0x0D3B, 0x0D3C),
    (0x0D81, 0x0D81), (0x0EBA, 0x0EBA), (0x1715, 0x1715), (0x180F, 0x180F), (0x1ABF, 0x1ACE),
    (0x1CF7, 0x1CF7), (0x1DF6, 0x1DFA), (0xA82C, 0xA82C), (0xA8FF, 0xA8FF), (0x10D24, 0x10D27),
    (0x10EAB, 0x10EAC), (0x10F46, 0x10F50), (0x10F82, 0x10F85), (0x11070, 0x11070),
    (0x11073, 0x11074), (0x110C2, 0x110C2), (0x11145, 0x11146), (0x111C9, 0x111C9),
    (0x111CE, 0x111CF), (0x1133B, 0x1133B), (0x1145E, 0x1145E), (0x1182C, 0x1183A),
    (0x11930, 0x11935), (0x11937, 0x11938), (0x1193B, 0x1193E), (0x11940, 0x11940),
    (0x11942, 0x11943), (0x119D1, 0x119D7), (0x119DA, 0x119E0), (0x119E4, 0x119E4),
    (0x11A01, 0x11A0A), (0x11A33, 0x11A39), (0x11A3B, 0x11A3E), (0x11A47, 0x11A47),
    (0x11A51, 0x11A5B), (0x11A8A, 0x11A99), (0x11D31, 0x11D36), (0x11D3A, 0x11D3A),
    (0x11D3C, 0x11D3D), (0x11D3F, 0x11D45), (0x11D47, 0x11D47), (0x11D8A, 0x11D8E),
    (0x11D90, 0x11D91), (0x11D93, 0x11D97), (0x11EF3, 0x11EF6), (0x16F4F, 0x16F4F),
    (0x16F7F, 0x16F87), (0x16FE4, 0x16FE4), (0x16FF0, 0x16FF1), (0x1CF00, 0x1CF2D),
    (0x1CF30, 0x1CF46), (0x1E130, 0x1E136), (0x1E2AE, 0x1E2AE), (0x1E2EC, 0x1E2EF),
)

# Characters that crate considers combining marks although Python's tables do not.
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

# Characters the normalization crate behind NFD does not decompose (it predates their mapping).
_FROZEN_NFD: tuple[tuple[int, int], ...] = (
    (0x11938, 0x11938),
)

# The same for NFKD.
_FROZEN_NFKD: tuple[tuple[int, int], ...] = (
    (0x32FF, 0x32FF), (0xA7F2, 0xA7F4), (0xAB69, 0xAB69), (0x10781, 0x10785), (0x10787, 0x107B0),
    (0x107B2, 0x107BA), (0x11938, 0x11938), (0x1F16C, 0x1F16C), (0x1FBF0, 0x1FBF9),
)

# The same for NFKC.
_FROZEN_NFKC: tuple[tuple[int, int], ...] = (
    (0x32FF, 0x32FF), (0xA7F2, 0xA7F4), (0xAB69, 0xAB69), (0x10781, 0x10785), (0x10787, 0x107B0),
    (0x107B2, 0x107BA), (0x1F16C, 0x1F16C), (0x1FBF0, 0x1FBF9),
)

# Combining marks (canonical combining class > 0 in Python's tables) that the normalization crate
# does not know: it treats them as class-0 characters, so they are never reordered.
_OLD_NO_CCC: tuple[tuple[int, int], ...] = (
    (0x07FD, 0x07FD), (0x0898, 0x089F), (0x08CA, 0x08D3), (0x09FE, 0x09FE), (0x0C3C, 0x0C3C),
    (0x0D3B, 0x0D3C), (0x0EBA, 0x0EBA), (0x1715, 0x1715), (0x1ABF, 0x1ACE), (0x1DF6, 0x1DFA),
    (0xA82C, 0xA82C), (0x10D24, 0x10D27), (0x10EAB, 0x10EAC), (0x10F46, 0x10F50),
    (0x10F82, 0x10F85), (0x11070, 0x11070), (0x1133B, 0x1133B), (0x1145E, 0x1145E),
    (0x11839, 0x1183A), (0x1193D, 0x1193E), (0x11943, 0x11943), (0x119E0, 0x119E0),
    (0x11A34, 0x11A34), (0x11A47, 0x11A47), (0x11A99, 0x11A99), (0x11D42, 0x11D42),
    (0x11D44, 0x11D45), (0x11D97, 0x11D97), (0x16FF0, 0x16FF1), (0x1E130, 0x1E136),
    (0x1E2AE, 0x1E2AE), (0x1E2EC, 0x1E2EF),
)

# Rust's (Unicode 16) lowercase mappings missing from ``str.lower``: (first, last, offset).
_LOWER16_DELTA: tuple[tuple[int, int, int], ...] = (
    (0x1C89, 0x1C89, 1), (0xA7CB, 0xA7CB, -42343), (0xA7CC, 0xA7CC, 1), (0xA7CE, 0xA7CE, 1),
    (0xA7D2, 0xA7D2, 1), (0xA7D4, 0xA7D4, 1), (0xA7DA, 0xA7DA, 1), (0xA7DC, 0xA7DC, -42561),
    (0x10D50, 0x10D65, 32), (0x16EA0, 0x16EB8, 27),
)
# fmt: on

_ASCII_PUNCT = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
# White_Space (Rust ``char::is_whitespace``, Oniguruma ``\s``): ``str.isspace`` minus 1C..1F.
_WHITE_SPACE: Ranges = (
    (0x09, 0x0D), (0x20, 0x20), (0x85, 0x85), (0xA0, 0xA0), (0x1680, 0x1680), (0x2000, 0x200A),
    (0x2028, 0x2029), (0x202F, 0x202F), (0x205F, 0x205F), (0x3000, 0x3000),
)  # fmt: skip
_JOIN_CONTROL: Ranges = ((0x200C, 0x200D),)


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
    out: list[tuple[int, int]] = []
    nxt = 0
    for lo, hi in merge(ranges):
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


def scan_categories() -> dict[str, Ranges]:
    """One pass over every code point: general category (Python's Unicode) -> ranges."""
    spans: dict[str, list[tuple[int, int]]] = {}
    category = unicodedata.category
    start, current = 0, category("\x00")
    for cp in range(1, MAX_CODE_POINT + 1):
        cat = category(chr(cp))
        if cat != current:
            spans.setdefault(current, []).append((start, cp - 1))
            start, current = cp, cat
    spans.setdefault(current, []).append((start, MAX_CODE_POINT))
    return {cat: tuple(r) for cat, r in spans.items()}


@lru_cache(maxsize=1)
def _python_categories() -> dict[str, Ranges]:
    """General category (Python's Unicode) -> ranges: the shipped table of
    :mod:`.unicode_categories_data` when it matches ``unicodedata.unidata_version`` (under 1 ms),
    otherwise :func:`scan_categories` (0.1-0.3 s). The tests check the two agree."""
    from . import unicode_categories_data as data

    if unicodedata.unidata_version != data.UNIDATA_VERSION:
        return scan_categories()
    names = dict(zip(string.ascii_letters, data.CATEGORY_NAMES, strict=False))
    starts = data.RANGE_STARTS
    ends = (*starts[1:], MAX_CODE_POINT + 1)
    spans: dict[str, list[tuple[int, int]]] = {name: [] for name in data.CATEGORY_NAMES}
    for start, end, code in zip(starts, ends, data.RANGE_CATEGORIES, strict=True):
        spans[names[code]].append((start, end - 1))
    return {cat: tuple(r) for cat, r in spans.items()}


@lru_cache(maxsize=1)
def _categories16() -> dict[str, Ranges]:
    """General category (Unicode 16.0, as Oniguruma) -> ranges."""
    delta = tuple((lo, hi) for lo, hi, _ in _GC16_DELTA)
    out: dict[str, Ranges] = {}
    for cat, ranges in _python_categories().items():
        out[cat] = subtract(ranges, delta)
    for lo, hi, cat in _GC16_DELTA:
        out[cat] = merge((*out.get(cat, ()), (lo, hi)))
    return out


def _python_category_ranges(cats: Iterable[str]) -> Ranges:
    table = _python_categories()
    return merge(r for cat in cats for r in table.get(cat, ()))


GENERAL_CATEGORIES: tuple[str, ...] = (
    "Lu", "Ll", "Lt", "Lm", "Lo", "Mn", "Mc", "Me", "Nd", "Nl", "No", "Pc", "Pd", "Ps", "Pe",
    "Pi", "Pf", "Po", "Sm", "Sc", "Sk", "So", "Zs", "Zl", "Zp", "Cc", "Cf", "Cs", "Co", "Cn",
)  # fmt: skip


@cache
def category_ranges(name: str) -> Ranges | None:
    """Ranges of a general category (``"Lu"``) or major class (``"L"``, ``"LC"``) in Unicode 16.0.

    Returns ``None`` for a name that is not a general category.
    """
    table = _categories16()
    if name in GENERAL_CATEGORIES:
        return table.get(name, ())
    if name == "LC":
        cats = ("Lu", "Ll", "Lt")
    else:
        cats = tuple(c for c in GENERAL_CATEGORIES if c[0] == name)
        if len(name) != 1 or not cats:
            return None
    return merge(r for cat in cats for r in table.get(cat, ()))


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
    if name == "bert_punctuation":
        base = _python_category_ranges(("Pc", "Pd", "Ps", "Pe", "Pi", "Pf", "Po"))
        base = subtract(base, _OLD_PUNCT_MISSING)
        ascii_punct = tuple((ord(c), ord(c)) for c in _ASCII_PUNCT)
        return merge((*base, *ascii_punct, *_OLD_PUNCT_EXTRA))
    if name == "bert_other":
        base = subtract(_python_category_ranges(("Cc", "Cf", "Co", "Cs")), _OLD_OTHER_MISSING)
        return merge((*base, *_OLD_OTHER_EXTRA))
    if name == "bert_mn":
        base = subtract(_python_category_ranges(("Mn",)), _OLD_MN_MISSING)
        return merge((*base, *_OLD_MN_EXTRA))
    if name == "combining_mark":
        base = subtract(_python_category_ranges(("Mn", "Mc", "Me")), _OLD_MARK_MISSING)
        return merge((*base, *_OLD_MARK_EXTRA))
    raise KeyError(f"unknown character class name {name!r}")


@cache
def frozen_for_normal_form(form: str) -> Ranges:
    """Code points the ``tokenizers`` normalization crate treats as plain class-0 characters
    without decomposition under ``form`` (its Unicode data predates theirs)."""
    own = {"NFD": _FROZEN_NFD, "NFKD": _FROZEN_NFKD, "NFKC": _FROZEN_NFKC}.get(form, ())
    return merge((*own, *_OLD_NO_CCC))


def lowercase_overrides() -> dict[int, str]:
    """Lowercase mappings of Rust's Unicode that Python's ``str.lower`` lacks (cp -> str)."""
    return {cp: chr(cp + off) for lo, hi, off in _LOWER16_DELTA for cp in range(lo, hi + 1)}


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
