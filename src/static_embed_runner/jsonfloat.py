"""float32 vectors as JSON arrays, formatted by numpy for the whole batch at once.

Plain algorithm (what :func:`json_array_plain` does one value at a time): write each float32
with 9 significant digits (enough for the float32 to read back exactly), trailing zeros of the
digits dropped, as ``d.ddde±x``; zero as ``0.0`` or ``-0.0``.

Fast form: the sign, leading digit, point, eight more digits, ``e`` and exponent of every value
are computed as arrays of ASCII codes in a fixed-width byte grid, and the bytes a value does not
use (trailing zeros, a ``+`` or two-digit exponent it does not need) are masked out in one pass,
so a batch costs a few dozen numpy operations instead of a Python call per number.
Non-finite values (not valid JSON) are written as ``NaN``, ``Infinity`` and ``-Infinity``, as
Python's ``json`` module writes them.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np

_WIDTH = 16  # sign, digit, point, 8 digits, e, exponent sign, 2 exponent digits, separator
_BLOCK_VALUES = 1 << 13
_U = np.uint64
_B = {char: _U(ord(char)) for char in "-0.e,"}
# "dddd" for 0..9999 as a little-endian uint32 (the first digit in the lowest byte).
_FOUR_DIGITS = np.frombuffer(
    "".join(f"{i:04d}" for i in range(10_000)).encode(), dtype="<u4"
).astype(np.uint64)
_TRAILING_ZEROS = np.array(
    [4 if i == 0 else len(f"{i:04d}") - len(f"{i:04d}".rstrip("0")) for i in range(10_000)]
)
# Bits kept for k digits after the point: the first digit (bit 1), the point (bit 2), k digits
# (bits 3..), and the separator (bit 15).
_KEEP_DIGITS = np.array(
    [0b110 | (((1 << k) - 1) << 3) | (1 << 15) for k in range(9)], dtype=np.uint16
)
_LOG10_2 = 0.30102999566398120
_EXACT_POWERS = 10.0 ** np.arange(23)  # 10**0 .. 10**22, each exact in float64


def json_arrays(vectors: np.ndarray) -> list[bytes]:
    """One JSON array (bytes, no newline) per row of a 2-D float array, read back as float32
    to the same bits."""
    values = _check(vectors)
    if values.size == 0 or not np.isfinite(values).all():
        return [json_array_plain(row) for row in values]
    rows: list[bytes] = []
    for grid, keep in _blocks(values, lines=False):
        ends = np.cumsum(keep.sum(axis=1)).tolist()
        text = grid[keep].tobytes()
        rows += [text[begin:end] for begin, end in zip([0, *ends[:-1]], ends, strict=True)]
    return rows


def json_lines(vectors: np.ndarray) -> bytes:
    """Every row of a 2-D float array as a JSON array followed by a newline, as one string of
    bytes: ``b"".join(row + b"\n" for row in json_arrays(vectors))`` without a bytes object
    per row."""
    values = _check(vectors)
    if values.size == 0 or not np.isfinite(values).all():
        return b"".join(json_array_plain(row) + b"\n" for row in values)
    return b"".join(grid[keep].tobytes() + b"\n" for grid, keep in _blocks(values, lines=True))


def _check(vectors: np.ndarray) -> np.ndarray:
    values = np.asarray(vectors, dtype=np.float32)
    if values.ndim != 2:
        raise ValueError(f"expected a 2-D array of vectors, got shape {values.shape}")
    return values


def _blocks(values: np.ndarray, *, lines: bool) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """The grid and kept bytes of blocks of rows small enough for the temporaries to stay in
    cache. With ``lines``, every row of a block but its first starts with a newline."""
    step = max(1, _BLOCK_VALUES // values.shape[1])
    for start in range(0, values.shape[0], step):
        grid, keep = _grid(values[start : start + step].astype(np.float64))
        if lines:
            keep[1:, 0] = True
        yield grid, keep


def _grid(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The fixed-width ASCII grid of every value, with a ``[`` before each row, and which bytes
    to keep. Each value's 16 bytes are two little-endian 64-bit words put together with shifts;
    digits come four at a time from a table of the 10,000 four-digit strings."""
    n, dim = x.shape
    padded = np.zeros((n, dim + 1))  # column 0: a place for each row's "["
    padded[:, 1:] = x
    digits_int, exponent = _decimal(np.abs(padded).ravel())
    # Integer division in float64, exact here (integers below 2**53; the doubles nearest 1e-8
    # and 1e-4 lie above them, so a product never falls short of a whole quotient).
    first = np.floor(digits_int * 1e-8)
    rest = digits_int - first * 1e8
    upper_f = np.floor(rest * 1e-4)
    upper = upper_f.astype(np.intp)
    lower = (rest - upper_f * 1e4).astype(np.intp)
    up = _FOUR_DIGITS[upper]
    low = _FOUR_DIGITS[lower]
    tens = np.abs(exponent) // 10
    ones = np.abs(exponent) - 10 * tens
    negative = np.signbit(padded.ravel())
    word0 = (
        _B["-"]
        | ((first.astype(np.uint64) + _B["0"]) << _U(8))
        | (_B["."] << _U(16))
        | (up << _U(24))
        | ((low & _U(0xFF)) << _U(56))
    )
    word1 = (
        (low >> _U(8))
        | (_B["e"] << _U(24))
        | (_B["-"] << _U(32))
        | ((tens.astype(np.uint64) + _B["0"]) << _U(40))
        | ((ones.astype(np.uint64) + _B["0"]) << _U(48))
        | (_B[","] << _U(56))
    )
    grid = np.stack([word0, word1], axis=1).view(np.uint8).reshape(n, dim + 1, _WIDTH)
    grid[:, -1, -1] = ord("]")
    grid[:, 0, 0] = ord("\n")  # kept only between lines (json_lines)
    grid[:, 0, 1] = ord("[")
    # Which bytes each value keeps, as 16 bits: the sign if negative, the digits after the
    # point up to the last non-zero one (at least one), the exponent if not zero.
    trailing = np.where(lower == 0, 4 + _TRAILING_ZEROS[upper], _TRAILING_ZEROS[lower])
    bits = _KEEP_DIGITS[np.maximum(8 - trailing, 1)]
    bits |= negative.astype(np.uint16)
    has_exponent = exponent != 0
    bits |= has_exponent.astype(np.uint16) * np.uint16(0b0100_1000_0000_0000)  # "e", last digit
    bits |= (has_exponent & (exponent < 0)).astype(np.uint16) << np.uint16(12)
    bits |= (tens > 0).astype(np.uint16) << np.uint16(13)
    bits = bits.reshape(n, dim + 1)
    bits[:, 0] = 0b10  # the "[" alone
    keep = np.unpackbits(bits.view(np.uint8), bitorder="little").view(bool)
    return grid.reshape(n, -1), keep.reshape(n, -1)


def _decimal(magnitude: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each value's 9 significant digits as a whole float and its decimal exponent, correctly
    rounded (as ``f"{value:.8e}"``): ``magnitude * 10**k`` is one rounding of an exact product
    when the power is exact (k in 0..22); the few values whose product lands within 1e-6 of a
    rounding tie, or that need another power, are formatted by Python instead."""
    zero = magnitude == 0
    # The decimal exponent from the binary one (frexp: magnitude in [2**(b-1), 2**b)): the
    # estimate is the exponent or one below it, and the scaled value says which.
    binary = np.frexp(magnitude)[1]
    exponent = np.floor((binary - 1) * _LOG10_2).astype(np.int64)
    exponent[zero] = 0
    power = 8 - exponent
    exact = (power >= 1) & (power <= 22) & ~zero
    power[~exact] = 1
    scaled = magnitude * _EXACT_POWERS[power]
    up = np.rint(scaled) >= 1e9
    exponent[up] += 1
    scaled[up] = magnitude[up] * _EXACT_POWERS[power[up] - 1]
    fraction = scaled - np.floor(scaled)
    slow = ~zero & (~exact | (np.abs(fraction - 0.5) < 1e-6))
    digits = np.rint(scaled)
    digits[zero | slow] = 0.0
    for index in zip(*np.nonzero(slow), strict=True):
        mantissa_text, exponent_text = f"{float(magnitude[index]):.8e}".split("e")
        digits[index] = float(mantissa_text.replace(".", ""))
        exponent[index] = int(exponent_text)
    return digits, exponent


def json_array_plain(row: np.ndarray) -> bytes:
    """One vector, one value at a time (the readable form of :func:`json_arrays`)."""
    return ("[" + ",".join(_plain_value(float(value)) for value in row) + "]").encode()


def _plain_value(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0:
        return "-0.0" if math.copysign(1.0, value) < 0 else "0.0"
    mantissa, exponent = f"{value:.8e}".split("e")
    mantissa = mantissa.rstrip("0")
    if mantissa.endswith("."):
        mantissa += "0"
    power = int(exponent)
    return mantissa if power == 0 else f"{mantissa}e{power}"
