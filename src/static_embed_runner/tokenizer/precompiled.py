"""The sentencepiece ``precompiled_charsmap`` normalizer (XLM-R, T5, ALBERT, DeBERTa-v3, ...).

The charsmap is ``[u32 little-endian: trie size in bytes][trie: u32 units][normalised strings]``.
The trie is a darts-clone double array over UTF-8 bytes; a key's value is an offset into the
normalised-string blob, where the replacement runs up to the next NUL byte.

``tokenizers`` applies it per extended grapheme cluster, with a quirk kept here on purpose: a
cluster shorter than 6 UTF-8 bytes is looked up as a whole, and the *shortest* key that is a prefix
of it (if any) replaces the *whole* cluster; otherwise each character is looked up on its own.
:meth:`Precompiled.normalize_reference` states that algorithm plainly. :meth:`Precompiled.normalize`
is the fast path: a per-character table used through ``str.translate`` when no character of the
text can join a cluster, and a per-cluster table otherwise (both memoised, bounded); the tests
check that both paths agree.
"""

from __future__ import annotations

import base64
import binascii
import re
import struct
from collections.abc import Callable
from functools import lru_cache

from ..errors import TokenizerFormatError
from . import unicode_classes as uc

_MEMO_LIMIT = 1 << 16


class _DoubleArray:
    """Read-only darts-clone double-array trie (the units of a sentencepiece charsmap)."""

    def __init__(self, units: list[int]) -> None:
        self.units = units

    def first_prefix_value(self, key: bytes) -> int | None:
        """Value of the shortest key in the trie that is a prefix of ``key`` (stops at a NUL)."""
        units = self.units
        size = len(units)
        unit = units[0]
        node = (unit >> 10) << ((unit & 0x200) >> 6)
        for byte in key:
            if byte == 0:
                return None
            node ^= byte
            if node >= size:
                return None
            unit = units[node]
            if unit & 0x800000FF != byte:
                return None
            node ^= (unit >> 10) << ((unit & 0x200) >> 6)
            if (unit >> 8) & 1:
                if node >= size:
                    return None
                return units[node] & 0x7FFFFFFF
        return None


def parse_charsmap(blob: bytes, source: str = "precompiled_charsmap") -> tuple[list[int], bytes]:
    """Split a charsmap into its trie units and its normalised-string blob."""
    if len(blob) < 4:
        raise TokenizerFormatError(f"{source}: expected at least 4 bytes, found {len(blob)}")
    (trie_size,) = struct.unpack_from("<I", blob, 0)
    n_units = trie_size // 4
    if n_units == 0 or 4 + 4 * n_units > len(blob):
        raise TokenizerFormatError(
            f"{source}: trie of {trie_size} bytes announced, the charsmap has {len(blob)} bytes"
        )
    units = list(struct.unpack_from(f"<{n_units}I", blob, 4))
    return units, blob[4 + 4 * n_units :]


class Precompiled:
    """Normalizer applying a sentencepiece ``precompiled_charsmap`` the way ``tokenizers`` does."""

    def __init__(self, charsmap: bytes, source: str = "precompiled_charsmap") -> None:
        units, strings = parse_charsmap(charsmap, source)
        self._source = source
        self._trie = _DoubleArray(units)
        self._strings = strings
        self._chars = _Memo(self._map_char)
        self._clusters = _Memo(self._map_cluster)

    @classmethod
    def from_base64(cls, text: str, source: str = "precompiled_charsmap") -> Precompiled:
        try:
            blob = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise TokenizerFormatError(f"{source}: not valid base64 ({exc})") from exc
        return cls(blob, source)

    def transform(self, chunk: str) -> str | None:
        """Replacement of the shortest charsmap key that is a prefix of ``chunk``, if any."""
        index = self._trie.first_prefix_value(chunk.encode("utf-8"))
        if index is None:
            return None
        strings = self._strings
        if index > len(strings):
            raise TokenizerFormatError(f"{self._source}: trie value {index} is past the strings")
        end = strings.find(b"\0", index)
        raw = strings[index:] if end < 0 else strings[index:end]
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise TokenizerFormatError(f"{self._source}: replacement at {index}: {exc}") from exc

    def _map_char(self, char: str) -> str:
        out = self.transform(char)
        return char if out is None else out

    def _map_cluster(self, cluster: str) -> str:
        if len(cluster) > 1 and len(cluster.encode("utf-8")) < 6:
            out = self.transform(cluster)
            if out is not None:
                return out
        return "".join([self._chars[c] for c in cluster])

    def normalize(self, text: str) -> str:
        if not text:
            return text
        if _joiner_regex().search(text) is None:
            return text.translate(self._chars.by_ordinal)
        return "".join([self._clusters[c] for c in _cluster_regex().findall(text)])

    def normalize_with_start(self, text: str, at_start: bool) -> tuple[str, bool]:
        """See :meth:`.normalizers.Normalizer.normalize_with_start`."""
        out = self.normalize(text)
        if not at_start or not text:
            return out, at_start
        first = _cluster_regex().match(text).group()  # type: ignore[union-attr]
        whole = self.transform(first) if len(first.encode("utf-8")) < 6 else None
        return out, (whole if whole is not None else self._chars[first[0]]) != ""

    def normalize_reference(self, text: str) -> str:
        """The plain algorithm (no tables): what ``normalize`` must always equal."""
        out = []
        for cluster in graphemes(text):
            if len(cluster.encode("utf-8")) < 6:
                whole = self.transform(cluster)
                if whole is not None:
                    out.append(whole)
                    continue
            for char in cluster:
                replaced = self.transform(char)
                out.append(char if replaced is None else replaced)
        return "".join(out)


class _Memo(dict):
    """A bounded memo table: ``memo[key]`` computes and (while small) stores ``func(key)``.

    ``by_ordinal`` is the same table keyed by code point, for ``str.translate``.
    """

    def __init__(self, func: Callable[[str], str]) -> None:
        super().__init__()
        self._func = func
        self.by_ordinal = _OrdinalView(self)

    def __missing__(self, key: str) -> str:
        value = self._func(key)
        if len(self) < _MEMO_LIMIT:
            self[key] = value
        return value


class _OrdinalView(dict):
    def __init__(self, memo: _Memo) -> None:
        super().__init__()
        self._memo = memo

    def __missing__(self, cp: int) -> str:
        value = self._memo[chr(cp)]
        if len(self) < _MEMO_LIMIT:
            self[cp] = value
        return value


# --- extended grapheme clusters (UAX #29), as far as the quirk above can observe them ------------

_CR, _LF, _ZWJ = 0x0D, 0x0A, 0x200D
_PREPEND: uc.Ranges = (
    (0x0600, 0x0605), (0x06DD, 0x06DD), (0x070F, 0x070F), (0x0890, 0x0891), (0x08E2, 0x08E2),
    (0x0D4E, 0x0D4E), (0x110BD, 0x110BD), (0x110CD, 0x110CD), (0x111C2, 0x111C3),
    (0x1193F, 0x1193F), (0x11941, 0x11941), (0x11A3A, 0x11A3A), (0x11A84, 0x11A89),
    (0x11D46, 0x11D46), (0x11F02, 0x11F02), (0x113D1, 0x113D1),
)  # fmt: skip
# Spacing marks (Mc) whose Grapheme_Cluster_Break is Other: they do not join the previous character.
_MC_NOT_JOINING: uc.Ranges = (
    (0x102B, 0x102C), (0x1038, 0x1038), (0x1062, 0x1064), (0x1067, 0x106D), (0x1083, 0x1083),
    (0x1087, 0x108C), (0x108F, 0x108F), (0x109A, 0x109C), (0x1A61, 0x1A61), (0x1A63, 0x1A64),
    (0xAA7B, 0xAA7B), (0xAA7D, 0xAA7D), (0x11720, 0x11721),
)  # fmt: skip
_EXTEND_EXTRA: uc.Ranges = (
    (0x0E33, 0x0E33), (0x0EB3, 0x0EB3), (0x200C, 0x200C), (0xFF9E, 0xFF9F), (0x1F3FB, 0x1F3FF),
    (0xE0020, 0xE007F),
)  # fmt: skip
_DEFAULT_IGNORABLE_UNASSIGNED: uc.Ranges = (
    (0x2065, 0x2065), (0xFFF0, 0xFFF8), (0xE0000, 0xE0FFF),
)  # fmt: skip
_L: uc.Ranges = ((0x1100, 0x115F), (0xA960, 0xA97C))
_V: uc.Ranges = ((0x1160, 0x11A7), (0xD7B0, 0xD7C6))
_T: uc.Ranges = ((0x11A8, 0x11FF), (0xD7CB, 0xD7FB))
_RI: uc.Ranges = ((0x1F1E6, 0x1F1FF),)
_EXT_PICT: uc.Ranges = (
    (0x00A9, 0x00A9), (0x00AE, 0x00AE), (0x203C, 0x203C), (0x2049, 0x2049), (0x2122, 0x2122),
    (0x2139, 0x2139), (0x2194, 0x2199), (0x21A9, 0x21AA), (0x231A, 0x231B), (0x2328, 0x2328),
    (0x2388, 0x2388), (0x23CF, 0x23CF), (0x23E9, 0x23F3), (0x23F8, 0x23FA), (0x24C2, 0x24C2),
    (0x25AA, 0x25AB), (0x25B6, 0x25B6), (0x25C0, 0x25C0), (0x25FB, 0x25FE), (0x2600, 0x2605),
    (0x2607, 0x2612), (0x2614, 0x2685), (0x2690, 0x2705), (0x2708, 0x2712), (0x2714, 0x2714),
    (0x2716, 0x2716), (0x271D, 0x271D), (0x2721, 0x2721), (0x2728, 0x2728), (0x2733, 0x2734),
    (0x2744, 0x2744), (0x2747, 0x2747), (0x274C, 0x274C), (0x274E, 0x274E), (0x2753, 0x2755),
    (0x2757, 0x2757), (0x2763, 0x2767), (0x2795, 0x2797), (0x27A1, 0x27A1), (0x27B0, 0x27B0),
    (0x27BF, 0x27BF), (0x2934, 0x2935), (0x2B05, 0x2B07), (0x2B1B, 0x2B1C), (0x2B50, 0x2B50),
    (0x2B55, 0x2B55), (0x3030, 0x3030), (0x303D, 0x303D), (0x3297, 0x3297), (0x3299, 0x3299),
    (0x1F000, 0x1F0FF), (0x1F10D, 0x1F10F), (0x1F12F, 0x1F12F), (0x1F16C, 0x1F171),
    (0x1F17E, 0x1F17F), (0x1F18E, 0x1F18E), (0x1F191, 0x1F19A), (0x1F1AD, 0x1F1E5),
    (0x1F201, 0x1F20F), (0x1F21A, 0x1F21A), (0x1F22F, 0x1F22F), (0x1F232, 0x1F23A),
    (0x1F23C, 0x1F23F), (0x1F249, 0x1F3FA), (0x1F400, 0x1F53D), (0x1F546, 0x1F64F),
    (0x1F680, 0x1F6FF), (0x1F774, 0x1F77F), (0x1F7D5, 0x1F7FF), (0x1F80C, 0x1F80F),
    (0x1F848, 0x1F84F), (0x1F85A, 0x1F85F), (0x1F888, 0x1F88F), (0x1F8AE, 0x1F8FF),
    (0x1F90C, 0x1F93A), (0x1F93C, 0x1F945), (0x1F947, 0x1FAFF), (0x1FC00, 0x1FFFD),
)  # fmt: skip


def _hangul_syllables(with_trailing: bool) -> uc.Ranges:
    """LV syllables (no trailing consonant) or LVT syllables, as ranges."""
    first, count, per_lv = 0xAC00, 11172, 28
    if not with_trailing:
        return tuple((cp, cp) for cp in range(first, first + count, per_lv))
    return tuple((cp + 1, cp + per_lv - 1) for cp in range(first, first + count, per_lv))


@lru_cache(maxsize=1)
def _classes() -> dict[str, uc.Ranges]:
    control = uc.merge(
        (
            *(uc.category_ranges("Cc") or ()),
            *(uc.category_ranges("Zl") or ()),
            *(uc.category_ranges("Zp") or ()),
            *(uc.category_ranges("Cf") or ()),
            *uc.intersect(uc.category_ranges("Cn") or (), _DEFAULT_IGNORABLE_UNASSIGNED),
        )
    )
    control = uc.subtract(
        control,
        ((_CR, _CR), (_LF, _LF), (_ZWJ, _ZWJ), (0x200C, 0x200C), (0xE0020, 0xE007F), *_PREPEND),
    )
    extend = uc.merge(
        (
            *(uc.category_ranges("Mn") or ()),
            *(uc.category_ranges("Me") or ()),
            *uc.subtract(uc.category_ranges("Mc") or (), _MC_NOT_JOINING),
            *_EXTEND_EXTRA,
        )
    )
    return {
        "control": control,
        "extend": extend,
        "prepend": uc.merge(_PREPEND),
        "lv": _hangul_syllables(False),
        "lvt": _hangul_syllables(True),
    }


@lru_cache(maxsize=1)
def _cluster_regex() -> re.Pattern[str]:
    k = {name: uc.class_body(r) for name, r in _classes().items()}
    L, V, T = uc.class_body(_L), uc.class_body(_V), uc.class_body(_T)
    ri, pict = uc.class_body(_RI), uc.class_body(_EXT_PICT)
    zwj, ext, ctl = "\\u200D", k["extend"], k["control"]
    hangul = f"[{L}]*(?:[{V}]+|[{k['lv']}][{V}]*|[{k['lvt']}])[{T}]*|[{L}]+|[{T}]+"
    core = f"(?:{hangul}|[{ri}][{ri}]|[{pict}](?:[{ext}]*{zwj}[{pict}])*|[^{ctl}\\r\\n])"
    return re.compile(f"\\r\\n|[{ctl}\\r\\n]|[{k['prepend']}]*{core}[{ext}{zwj}]*", re.DOTALL)


@lru_cache(maxsize=1)
def _joiner_regex() -> re.Pattern[str]:
    """Characters that can join a cluster with a neighbour; without them every char is a cluster."""
    k = _classes()
    joiners = uc.merge((*k["extend"], *k["prepend"], *_L, *_V, *_T, *_RI, (_ZWJ, _ZWJ), (_CR, _CR)))
    return re.compile(f"[{uc.class_body(joiners)}]")


def graphemes(text: str) -> list[str]:
    """Split ``text`` into extended grapheme clusters (the boundaries tokenizers relies on)."""
    return _cluster_regex().findall(text)
