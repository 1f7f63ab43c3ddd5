"""JSON float literals read the way the ``tokenizers`` crate reads them (serde_json, no roundtrip).

serde_json without its ``float_roundtrip`` feature does not round decimal literals correctly: it
collects up to 19 significant digits into a ``u64``, converts that to ``f64`` (first rounding) and
then multiplies or divides by an ``f64`` power of ten (second rounding). For literals such as
``-3.6185367107391357`` (17 digits, typical of Unigram scores) the result is often one ulp away
from Python's correctly rounded ``float()``. Unigram breaks exact score ties by strict comparison
of float sums, so using Python's value changes real segmentations (e.g. runs of ``x`` in the
sentencepiece NMT vocab). :func:`serde_json_float` reproduces serde_json's value exactly.
"""

from __future__ import annotations

_POW10 = [float(f"1e{k}") for k in range(309)]
_U64_MAX = 2**64 - 1
_U64_MAX_DIV10, _U64_MAX_MOD10 = divmod(_U64_MAX, 10)
_I32_MAX = 2**31 - 1


def serde_json_float(literal: str) -> float:
    """The ``f64`` serde_json produces for a JSON number literal with a fraction or exponent."""
    negative = literal[0] == "-"
    body = literal[1:] if negative else literal
    if "e" not in body and "E" not in body:
        int_part, _, fraction = body.partition(".")
        if len(int_part) + len(fraction) <= 19:  # cannot overflow u64: no digit is dropped
            value = float(int(int_part + fraction)) / _POW10[len(fraction)]
            return -value if negative else value
    return _parse_general(body, negative)


def _parse_general(body: str, negative: bool) -> float:
    mantissa, has_exp, exp_text = body.replace("E", "e").partition("e")
    int_part, _, fraction = mantissa.partition(".")
    significand = 0
    exponent = 0
    overflowed = False
    for ch in int_part:
        digit = ord(ch) - 48
        if overflowed or _overflows(significand, digit):
            overflowed = True
            exponent += 1  # integer digits past u64 only scale the value
            continue
        significand = significand * 10 + digit
    for ch in fraction:
        digit = ord(ch) - 48
        if _overflows(significand, digit):
            break  # further fraction digits are ignored
        significand = significand * 10 + digit
        exponent -= 1
    if has_exp:
        positive_exp = not exp_text.startswith("-")
        digits = exp_text.lstrip("+-")
        exp_value = 0
        for ch in digits:
            exp_value = exp_value * 10 + ord(ch) - 48
            if exp_value > _I32_MAX:
                if significand != 0 and positive_exp:
                    raise ValueError(f"JSON number {body!r} is out of range")
                return -0.0 if negative else 0.0
        exponent = exponent + exp_value if positive_exp else exponent - exp_value
    return _from_parts(significand, exponent, negative, body)


def _overflows(significand: int, digit: int) -> bool:
    return significand >= _U64_MAX_DIV10 and (
        significand > _U64_MAX_DIV10 or digit > _U64_MAX_MOD10
    )


def _from_parts(significand: int, exponent: int, negative: bool, body: str) -> float:
    value = float(significand)
    while True:
        if abs(exponent) < len(_POW10):
            if exponent >= 0:
                value *= _POW10[exponent]
                if value == float("inf"):
                    raise ValueError(f"JSON number {body!r} is out of range")
            else:
                value /= _POW10[-exponent]
            break
        if value == 0.0:
            break
        if exponent >= 0:
            raise ValueError(f"JSON number {body!r} is out of range")
        value /= 1e308
        exponent += 308
    return -value if negative else value
