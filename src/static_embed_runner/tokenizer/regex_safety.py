"""Refusing regex patterns whose backtracking can take exponential (or high polynomial) time.

Python's ``re`` backtracks without limit, so a pattern from an untrusted tokenizer.json such as
``(a+)+$`` can take minutes on 31 characters. Oniguruma inside ``tokenizers`` stops such a
search after ten million retries and then panics. Here the translated pattern is checked before
it is compiled, on ``re``'s own parse tree, and refused when it has one of the shapes that make a
backtracking matcher blow up:

- a repetition (``*``, ``+``, ``{m,}``, or a bound of 3 or more) of a body whose iterations can
  split the same text in more than one way: a variable-length repetition inside the body that can
  end it and shares characters with the body's start (``(a+)+``, ``(\\w+\\s?)+``), or can start it
  and share characters with its end (``(a?a)+``); a body that can match the empty string and
  contains a variable repetition (``(a*)*``); or alternatives inside the body that can start with
  the same character or can both match the empty string (``(a|ab)+``; ``(a|a)*``, which ``re``
  parses as ``a(?:|)``), or that differ in length (``(a|aa)+``);
- three or more unbounded repetitions in a row that share characters with their neighbours, with
  only optional items between them (``\\s*\\s*\\s*x``: the ways to split a run grow as its length
  squared, so each failing attempt costs the cube). Two in a row (``\\s*[\\r\\n]+``, as real
  byte-level BPE patterns have) are accepted.

Atomic groups and possessive repetitions never give characters back, so they count as fixed.
Lookarounds are checked inside but add nothing to the surrounding sequence. The check is
conservative: it may refuse a pattern that is in fact safe, never the other way round for these
shapes. A refused pattern raises :class:`UnsupportedTokenizerError`, so ``auto`` falls back to
``tokenizers``, whose Oniguruma bounds every search.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import chain

from ..errors import UnsupportedTokenizerError
from . import unicode_classes as uc

try:  # Python >= 3.11
    from re import _parser as sre_parse  # type: ignore[attr-defined]
except ImportError:  # Python 3.10
    import sre_parse  # type: ignore[no-redef]

_ALL: uc.Ranges = ((0, uc.MAX_CODE_POINT),)
_EMPTY: uc.Ranges = ()
_IGNORECASE = 2  # re.IGNORECASE as the parse tree stores it
# A repetition bound from which a body's ambiguity counts (``{1,3}`` of a fixed body is harmless).
_REPEATED = 3


@dataclass
class _Info:
    """What the checks need to know about one piece of a pattern."""

    nullable: bool = True
    first: uc.Ranges = _EMPTY  # characters a match can start with
    last: uc.Ranges = _EMPTY  # characters a match can end with
    chars: uc.Ranges = _EMPTY  # every character a match can hold
    has_var: bool = False  # holds a variable-length repetition that can give characters back
    head_var: uc.Ranges = _EMPTY  # characters of variable repetitions that can start a match
    tail_var: uc.Ranges = _EMPTY  # characters of variable repetitions that can end a match
    forked: bool = False  # holds alternatives that can start with the same character
    unbounded: bool = False  # is itself an unbounded, variable repetition
    length: int | None = 0  # the length of every match, None where matches differ in length
    parts: list[_Info] = field(default_factory=list)  # a sequence's parts, for the chain check


def check_backtracking(pattern: str, source: str) -> None:
    """Raise :class:`UnsupportedTokenizerError` if ``source`` (the Python translation of the
    Oniguruma ``pattern``, which ``re`` compiles) can backtrack catastrophically; the message
    names ``pattern``."""
    _Checker(pattern).sequence(list(sre_parse.parse(source)), False)


class _Checker:
    def __init__(self, pattern: str) -> None:
        self.pattern = pattern

    def refuse(self, why: str) -> UnsupportedTokenizerError:
        return UnsupportedTokenizerError(
            f"regex pattern {self.pattern!r}: {why}, so matching can backtrack catastrophically "
            f"(exponential or high polynomial time); refused"
        )

    def sequence(self, items: list, icase: bool) -> _Info:
        parts: list[_Info] = []
        for op, av in items:
            info = self.item(op.name, av, icase)
            parts.extend(info.parts or [info])
        self.check_chain(parts)
        return _sequence_info(parts)

    def item(self, op: str, av: object, icase: bool) -> _Info:
        if op == "LITERAL":
            return _char(_with_case(((av, av),), icase))
        if op == "NOT_LITERAL":
            return _char(uc.complement(((av, av),)))
        if op == "ANY":
            return _char(_ALL)
        if op == "IN":
            return _char(_with_case(_class_ranges(av), icase))
        if op == "SUBPATTERN":
            _group, add_flags, del_flags, body = av
            inner = (icase or bool(add_flags & _IGNORECASE)) and not del_flags & _IGNORECASE
            return self.sequence(list(body), inner)  # its parts join the outer sequence
        if op == "ATOMIC_GROUP":
            return _fixed(self.sequence(list(av), icase))
        if op == "BRANCH":
            return self.branch([self.sequence(list(alt), icase) for alt in av[1]])
        if op in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            low, high, body = av
            info = self.repeat(low, high, self.sequence(list(body), icase))
            return _fixed(info) if op == "POSSESSIVE_REPEAT" else info
        if op in ("ASSERT", "ASSERT_NOT"):
            self.sequence(list(av[1]), icase)
            return _Info()
        if op == "GROUPREF_EXISTS":
            _group, yes, no = av
            alts = [self.sequence(list(yes), icase)]
            alts.append(self.sequence(list(no), icase) if no is not None else _Info())
            return self.branch(alts)
        if op == "GROUPREF":
            return _Info(first=_ALL, last=_ALL, chars=_ALL, length=None)
        return _Info()  # AT (anchors), CATEGORY-free zero-width items

    def branch(self, alts: list[_Info]) -> _Info:
        # Alternatives that can match the same text: two that start alike, or two that can
        # both match the empty string (``re`` turns ``a|a`` into ``a(?:|)``).
        forked = any(alt.forked for alt in alts) or sum(alt.nullable for alt in alts) > 1
        lengths = {alt.length for alt in alts}
        variable = len(lengths) > 1 or None in lengths
        chars = _union(alt.chars for alt in alts)
        seen: uc.Ranges = _EMPTY
        for alt in alts:
            if uc.intersect(seen, alt.first):
                forked = True
            seen = uc.merge(seen + alt.first)
        return _Info(
            nullable=any(alt.nullable for alt in alts),
            first=seen,
            last=_union(alt.last for alt in alts),
            chars=chars,
            has_var=variable or any(alt.has_var for alt in alts),
            head_var=chars if variable else _union(alt.head_var for alt in alts),
            tail_var=chars if variable else _union(alt.tail_var for alt in alts),
            forked=forked,
            length=next(iter(lengths)) if not variable else None,
        )

    def repeat(self, low: int, high: int, body: _Info) -> _Info:
        unbounded = high == sre_parse.MAXREPEAT
        if unbounded or high >= _REPEATED:
            if uc.intersect(body.tail_var, body.first):
                raise self.refuse("a repeated group can end with a repetition of characters it "
                                  "can also start with")  # fmt: skip
            if uc.intersect(body.head_var, body.last):
                raise self.refuse("a repeated group can start with a repetition of characters it "
                                  "can also end with")  # fmt: skip
            if body.nullable and body.has_var:
                raise self.refuse("a repeated group can match the empty string in several ways")
            if body.forked:
                raise self.refuse("a repeated group has alternatives that start alike")
        variable = high > low
        return _Info(
            nullable=low == 0 or body.nullable,
            first=body.first,
            last=body.last,
            chars=body.chars,
            has_var=variable or body.has_var,
            head_var=body.chars if variable else body.head_var,
            tail_var=body.chars if variable else body.tail_var,
            forked=body.forked,
            unbounded=unbounded and variable,
            length=None if variable or body.length is None else body.length * low,
        )

    def check_chain(self, parts: list[_Info]) -> None:
        """Refuse three overlapping unbounded repetitions in a row (optional items between)."""
        longest: list[int] = []
        for i, part in enumerate(parts):
            best = 1
            if part.unbounded:
                for j in range(i - 1, -1, -1):
                    before = parts[j]
                    if before.unbounded and uc.intersect(before.chars, part.chars):
                        best = max(best, longest[j] + 1)
                    if not before.nullable:
                        break
                if best >= 3:
                    raise self.refuse("three repetitions in a row can share the same characters")
            longest.append(best if part.unbounded else 0)


def _sequence_info(parts: list[_Info]) -> _Info:
    info = _Info(parts=parts if len(parts) > 1 else [])
    info.nullable = all(part.nullable for part in parts)
    info.chars = _union(part.chars for part in parts)
    info.has_var = any(part.has_var for part in parts)
    info.forked = any(part.forked for part in parts)
    lengths = [part.length for part in parts]
    info.length = None if None in lengths else sum(lengths)  # type: ignore[arg-type]
    first: list[uc.Ranges] = []
    head: list[uc.Ranges] = []
    for part in parts:
        first.append(part.first)
        head.append(part.head_var)
        if not part.nullable:
            break
    last: list[uc.Ranges] = []
    tail: list[uc.Ranges] = []
    for part in reversed(parts):
        last.append(part.last)
        tail.append(part.tail_var)
        if not part.nullable:
            break
    info.first, info.head_var = _union(first), _union(head)
    info.last, info.tail_var = _union(last), _union(tail)
    return info


def _fixed(info: _Info) -> _Info:
    """An atomic or possessive piece: it never gives characters back once matched."""
    return _Info(
        nullable=info.nullable,
        first=info.first,
        last=info.last,
        chars=info.chars,
        forked=info.forked,
        length=info.length,
    )


def _char(ranges: uc.Ranges) -> _Info:
    return _Info(nullable=False, first=ranges, last=ranges, chars=ranges, length=1)


def _union(sets: Iterable[uc.Ranges]) -> uc.Ranges:
    present = [ranges for ranges in sets if ranges]
    if len(present) <= 1:
        return present[0] if present else _EMPTY
    return uc.merge(chain.from_iterable(present))


def _class_ranges(items: list) -> uc.Ranges:
    ranges: list[tuple[int, int]] = []
    negate = False
    for op, av in items:
        name = op.name
        if name == "NEGATE":
            negate = True
        elif name == "LITERAL":
            ranges.append((av, av))
        elif name == "RANGE":
            ranges.append(av)
        else:  # CATEGORY (\d, \s, \w): the translator never emits one; assume any character
            ranges.append((0, uc.MAX_CODE_POINT))
    merged = uc.merge(ranges)
    return uc.complement(merged) if negate else merged


def _with_case(ranges: uc.Ranges, icase: bool) -> uc.Ranges:
    """Under ``(?i)`` a character also stands for its other cases (small ranges only; a large
    range already covers most of them, and missing a case only makes the check less strict)."""
    if not icase:
        return ranges
    extra: list[tuple[int, int]] = list(ranges)
    for lo, hi in ranges:
        if hi - lo > 512:
            continue
        for cp in range(lo, hi + 1):
            for other in {chr(cp).lower(), chr(cp).upper(), chr(cp).casefold()}:
                if len(other) == 1:
                    extra.append((ord(other), ord(other)))
    return uc.merge(extra)
