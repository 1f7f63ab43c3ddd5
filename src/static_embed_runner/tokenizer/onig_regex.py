"""Oniguruma patterns from tokenizer.json, translated to Python ``re``, matched the Oniguruma way.

``tokenizers`` compiles the ``Regex`` patterns of Split and Replace with Oniguruma (Ruby-like
syntax, Unicode 16.0 tables). Python's ``re`` differs in ways that change token ids, so the
translation never passes a class shorthand through:

- ``\\p{..}``/``\\P{..}``, ``\\s``, ``\\d``, ``\\w``, ``\\h`` (and negations, in or out of a
  bracket) become explicit code point ranges from :mod:`.unicode_classes` (Python's ``\\s``
  would also match U+001C..U+001F, its ``\\w`` misses combining marks, and its tables are an
  older Unicode);
- ``^``/``$`` are line anchors in Oniguruma (``^`` never matches at the very end, even after a
  newline), ``\\Z`` may precede a final newline and ``\\z`` is Python's ``\\Z``; the ``m``
  option means "dot matches newline" (``s`` here);
- ``(?<name>..)`` becomes ``(?P<name>..)``; ``\\b``/``\\B`` use the Oniguruma word class.

Anything the translator does not know raises :class:`UnsupportedTokenizerError` naming the
construct, so ``auto`` falls back to the Rust backend instead of tokenizing differently.
:func:`find_spans` reproduces the ``onig`` crate's iteration over matches, which drops an empty
match that touches the end of the previous match (``re.finditer`` keeps it).
"""

from __future__ import annotations

import re
from functools import lru_cache

from ..errors import UnsupportedTokenizerError
from . import unicode_classes as uc
from .regex_safety import check_backtracking

_SIMPLE_ESCAPES = {"n": 0x0A, "r": 0x0D, "t": 0x09, "f": 0x0C, "v": 0x0B, "a": 0x07, "e": 0x1B}
_HEX_DIGIT: uc.Ranges = ((0x30, 0x39), (0x41, 0x46), (0x61, 0x66))
_PROPERTY_ALIASES = {
    "letter": "L", "mark": "M", "number": "N", "punctuation": "P", "punct": "P", "symbol": "S",
    "separator": "Z", "other": "C", "uppercase_letter": "Lu", "lowercase_letter": "Ll",
    "decimal_number": "Nd", "any": "any", "space": "space", "digit": "digit", "word": "word",
}  # fmt: skip


def _unsupported(pattern: str, what: str) -> UnsupportedTokenizerError:
    return UnsupportedTokenizerError(f"regex pattern {pattern!r}: {what} is not supported")


def _property_ranges(pattern: str, name: str) -> uc.Ranges:
    key = name.replace(" ", "").replace("-", "_")
    negate = key.startswith("^")
    key = key.lstrip("^")
    alias = _PROPERTY_ALIASES.get(key.lower(), key)
    if alias == "any":
        ranges: uc.Ranges | None = ((0, uc.MAX_CODE_POINT),)
    elif alias == "space":
        ranges = uc.named_ranges("white_space")
    elif alias == "digit":
        ranges = uc.named_ranges("digit")
    elif alias == "word":
        ranges = uc.named_ranges("onig_word")
    else:
        ranges = uc.category_ranges(alias)
    if ranges is None:
        raise _unsupported(pattern, f"the Unicode property \\p{{{name}}}")
    return uc.complement(ranges) if negate else ranges


def _shorthand_ranges(letter: str, in_class: bool = False) -> uc.Ranges | None:
    lower = letter.lower()
    if lower == "s":
        ranges = uc.named_ranges("white_space")
    elif lower == "d":
        ranges = uc.named_ranges("digit")
    elif lower == "w":
        ranges = uc.named_ranges("onig_word_in_class" if in_class else "onig_word")
    elif lower == "h":
        ranges = _HEX_DIGIT
    else:
        return None
    return uc.complement(ranges) if letter.isupper() else ranges


def _class_source(ranges: uc.Ranges, negate: bool = False) -> str:
    ranges = uc.merge(ranges)
    if not ranges:
        return "[\\x00-\\U0010FFFF]" if negate else "(?!)"
    return "[" + ("^" if negate else "") + uc.class_body(ranges) + "]"


class _Translator:
    """A single left-to-right pass over an Oniguruma pattern, emitting Python ``re`` source."""

    def __init__(self, pattern: str) -> None:
        self.src = pattern
        self.i = 0
        self.out: list[str] = []
        self.ignore_case = [False]  # per open group
        self.literal_run = ""  # consecutive literal characters under (?i)

    def end_literal_run(self) -> None:
        """Oniguruma's (?i) also matches multi-character case folds (``ss`` matches ``ß``)."""
        run, self.literal_run = self.literal_run.casefold(), ""
        for target in _multi_char_folds():
            if target in run:
                raise self.fail(f"a case-insensitive {target!r} (it also matches one character)")

    def fail(self, what: str) -> UnsupportedTokenizerError:
        return _unsupported(self.src, what)

    def peek(self, k: int = 0) -> str:
        j = self.i + k
        return self.src[j] if j < len(self.src) else ""

    def read_braced(self) -> str:
        end = self.src.find("}", self.i)
        if self.peek() != "{" or end < 0:
            raise self.fail(f"an unterminated '{{' after position {self.i}")
        body = self.src[self.i + 1 : end]
        self.i = end + 1
        return body

    def read_code_point(self, letter: str) -> int:
        """Parse the digits of ``\\x..``/``\\u....`` (``self.i`` just after the letter)."""
        if letter == "x" and self.peek() == "{":
            digits = self.read_braced()
        else:
            width = 2 if letter == "x" else 4
            digits = self.src[self.i : self.i + width]
            if letter == "x":
                digits = re.match(r"[0-9A-Fa-f]{0,2}", digits).group(0)  # type: ignore[union-attr]
            self.i += len(digits)
        try:
            return int(digits, 16)
        except ValueError:
            raise self.fail(f"the escape \\{letter}{digits}") from None

    def translate(self) -> str:
        while self.i < len(self.src):
            ch = self.src[self.i]
            self.i += 1
            if self.ignore_case[-1] and (ch.isalnum() or ch == "'"):
                self.literal_run += ch
            else:
                self.end_literal_run()
            if ch == "\\":
                self.out.append(self.escape())
            elif ch == "[":
                self.out.append(_class_source(*self.bracket()))
            elif ch == "(":
                group = self.group_open()
                self.ignore_case.append(
                    "i" in group.split(":")[0].split("-")[0]
                    or (self.ignore_case[-1] and "-i" not in group)
                )
                self.out.append(group)
            elif ch == ")":
                if len(self.ignore_case) > 1:
                    self.ignore_case.pop()
                self.out.append(ch)
            elif ch == "^":
                self.out.append("(?:\\A|(?<=\\n)(?!\\Z))")
            elif ch == "$":
                self.out.append("(?m:$)")
            else:
                self.out.append(ch)
        self.end_literal_run()
        return "".join(self.out)

    def group_open(self) -> str:
        if self.peek() != "?":
            return "("
        nxt = self.peek(1)
        if nxt == "<" and self.peek(2) not in ("=", "!"):
            self.i += 2
            return "(?P<"
        if nxt in (":", "=", "!", ">", "#") or (nxt == "<" and self.peek(2) in ("=", "!")):
            return "("
        match = re.match(r"\?([imx]*)(?:-([imx]*))?([:)])", self.src[self.i :])
        if match is None:
            raise self.fail(f"the group '{self.src[self.i - 1 : self.i + 3]}'")
        self.i += match.end()
        on, off, end = match.group(1), match.group(2) or "", match.group(3)
        if end == ")":
            raise self.fail("a flag group that applies to the rest of the pattern")
        flags = on.replace("m", "s") + ("-" + off.replace("m", "s") if off else "")
        return f"(?{flags}:"

    def escape(self) -> str:
        letter = self.peek()
        if not letter:
            raise self.fail("a trailing backslash")
        self.i += 1
        if letter in "pP":
            ranges = _property_ranges(self.src, self.read_braced())
            return _class_source(ranges, negate=letter == "P")
        shorthand = _shorthand_ranges(letter)
        if shorthand is not None:
            return _class_source(shorthand)
        if letter in _SIMPLE_ESCAPES:
            return _class_source(((_SIMPLE_ESCAPES[letter],) * 2,))
        if letter in "xu":
            cp = self.read_code_point(letter)
            return _class_source(((cp, cp),))
        if letter == "A":
            return "\\A"
        if letter == "z":
            return "\\Z"
        if letter == "Z":
            return "(?=\\n?\\Z)"
        if letter in "bB":
            word = uc.class_body(uc.named_ranges("onig_word"))
            boundary = f"(?:(?<=[{word}])(?![{word}])|(?<![{word}])(?=[{word}]))"
            return boundary if letter == "b" else f"(?!{boundary})"
        if letter.isdigit() and letter != "0":
            return "\\" + letter
        if letter == "k" and self.peek() == "<":
            end = self.src.find(">", self.i)
            name = self.src[self.i + 1 : end]
            self.i = end + 1
            return f"(?P={name})"
        if letter.isalnum():
            raise self.fail(f"the escape \\{letter}")
        return re.escape(letter)

    def bracket(self) -> tuple[uc.Ranges, bool]:
        """Parse a bracket expression after its '['; returns (ranges, negated)."""
        negate = self.peek() == "^"
        if negate:
            self.i += 1
        ranges: list[tuple[int, int]] = []
        first = True
        while True:
            ch = self.peek()
            if not ch:
                raise self.fail("an unterminated '['")
            if ch == "]" and not first:
                self.i += 1
                return uc.merge(ranges), negate
            first = False
            if ch == "[":
                raise self.fail("a nested or POSIX bracket inside a character class")
            if ch == "&" and self.peek(1) == "&":
                raise self.fail("a class intersection '&&'")
            lo = self.class_atom(ranges)
            if lo is None:
                continue
            if self.peek() == "-" and self.peek(1) not in ("]", ""):
                self.i += 1
                hi = self.class_atom(ranges)
                if hi is None or hi < lo:
                    raise self.fail("an invalid range in a character class")
                ranges.append((lo, hi))
            else:
                ranges.append((lo, lo))

    def class_atom(self, ranges: list[tuple[int, int]]) -> int | None:
        """One class element: its code point, or None after adding a whole set to ``ranges``."""
        ch = self.src[self.i]
        self.i += 1
        if ch != "\\":
            return ord(ch)
        letter = self.peek()
        self.i += 1
        if letter in ("p", "P"):
            prop = _property_ranges(self.src, self.read_braced())
            ranges.extend(prop if letter == "p" else uc.complement(prop))
            return None
        shorthand = _shorthand_ranges(letter, in_class=True)
        if shorthand is not None:
            ranges.extend(shorthand)
            return None
        if letter in _SIMPLE_ESCAPES:
            return _SIMPLE_ESCAPES[letter]
        if letter in "xu":
            return self.read_code_point(letter)
        if letter.isalnum():
            raise self.fail(f"the escape \\{letter} inside a character class")
        return ord(letter)


@lru_cache(maxsize=1)
def _multi_char_folds() -> frozenset[str]:
    """Every string that is the full case fold of a single character and is longer than one."""
    folds = (chr(cp).casefold() for cp in range(uc.MAX_CODE_POINT + 1) if not 0xD800 <= cp < 0xE000)
    return frozenset(f for f in folds if len(f) > 1)


@lru_cache(maxsize=256)
def translate(pattern: str) -> str:
    """Python ``re`` source equivalent to the Oniguruma ``pattern``."""
    return _Translator(pattern).translate()


@lru_cache(maxsize=256)
def compile_pattern(pattern: str) -> re.Pattern[str]:
    """Compile an Oniguruma pattern (cached: tokenizers share compiled patterns); a pattern that
    can backtrack catastrophically is refused (see :mod:`.regex_safety`)."""
    source = translate(pattern)
    try:
        compiled = re.compile(source)
    except re.error as exc:
        raise _unsupported(pattern, f"its Python translation ({exc})") from exc
    check_backtracking(pattern, source)
    return compiled


def compile_literal(literal: str) -> re.Pattern[str]:
    """The pattern tokenizers builds for a ``{"String": ...}`` pattern: the literal, escaped."""
    return re.compile(re.escape(literal))


def find_spans(rx: re.Pattern[str], text: str) -> list[tuple[int, int]]:
    """Match spans in ``text`` as the ``onig`` crate's ``find_iter`` yields them.

    Identical to ``re.finditer`` until an empty match appears; from there on, an empty match that
    starts where the previous match ended is skipped (and the search resumes one character later).
    """
    spans: list[tuple[int, int]] = []
    last_end = -1
    for match in rx.finditer(text):
        start, end = match.span()
        if start == end:
            return _find_spans_slow(rx, text, spans, start, last_end)
        spans.append((start, end))
        last_end = end
    return spans


def _find_spans_slow(
    rx: re.Pattern[str], text: str, spans: list[tuple[int, int]], pos: int, last_end: int
) -> list[tuple[int, int]]:
    n = len(text)
    while pos <= n:
        match = rx.search(text, pos)
        if match is None:
            break
        start, end = match.span()
        if start == end and start == last_end:
            pos = start + 1
            continue
        spans.append((start, end))
        last_end = pos = end
    return spans
