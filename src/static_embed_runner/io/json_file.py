"""The one JSON reader for model files: bounded size, nesting and numbers, typed errors.

Every JSON a model brings (config.json, modules.json, tokenizer.json, the safetensors header, Hub
listings) goes through :func:`parse_json` or :func:`read_json_file`, so a hostile file meets the
same bounds everywhere and every failure is the caller's error class (a
:class:`~static_embed_runner.errors.ModelFormatError` subclass by default) with a message that
names the file:

- size: a file larger than ``max_bytes`` is refused before it is read;
- nesting: the parser's own recursion guard stops a deeply nested document (``[[[[...``) and the
  :class:`RecursionError` becomes a typed error;
- numbers: an integer of more than :data:`MAX_INT_DIGITS` digits, a float outside float64's
  range (``1e400``) and the non-JSON constants ``NaN``/``Infinity`` are refused, as serde_json
  (which ``tokenizers`` and ``safetensors`` use) refuses them;
- text: the bytes must be UTF-8.

A value's *shape* (which fields, which types) is the caller's to check; :func:`describe_type`
words what was found for those messages.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import ModelFormatError, StaticEmbedRunnerError

# serde_json reads an integer beyond 64 bits as a float64, which holds at most 309 digits.
MAX_INT_DIGITS = 310
# Configuration files (config.json, modules.json, ...) are a few KiB; 16 MiB is far beyond any.
MAX_CONFIG_BYTES = 16 << 20
# tokenizer.json: the largest published ones (250k-token vocabularies with merges) are ~35 MB.
MAX_TOKENIZER_BYTES = 512 << 20

ErrorType = type[StaticEmbedRunnerError]


class _NumberOutOfRange(ValueError):
    def __init__(self, literal: str, why: str) -> None:
        super().__init__(literal)
        self.literal = literal
        self.why = why


def _parse_int(literal: str) -> int:
    digits = len(literal.lstrip("-"))
    if digits > MAX_INT_DIGITS:
        raise _NumberOutOfRange(literal, f"an integer of {digits} digits (limit {MAX_INT_DIGITS})")
    return int(literal)


def _parse_float(literal: str) -> float:
    value = float(literal)
    if not math.isfinite(value):
        raise _NumberOutOfRange(literal, "a number outside the float64 range")
    return value


def _parse_constant(literal: str) -> float:
    raise _NumberOutOfRange(literal, f"{literal}, which is not a JSON value")


def parse_json(
    text: str | bytes,
    source: str,
    *,
    error: ErrorType = ModelFormatError,
    parse_float: Callable[[str], float] | None = None,
    object_pairs_hook: Callable[[list[tuple[str, Any]]], Any] | None = None,
) -> Any:
    """Parse ``text`` (the content of ``source``) within the bounds above.

    ``parse_float`` replaces the float conversion (its ``ValueError`` becomes ``error``);
    ``object_pairs_hook`` builds each object (and may raise ``error`` to stop early).
    """
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise error(f"{source}: not UTF-8 text ({exc})") from exc
    try:
        return json.loads(
            text,
            parse_int=_parse_int,
            parse_float=parse_float or _parse_float,
            parse_constant=_parse_constant,
            object_pairs_hook=object_pairs_hook,
        )
    except _NumberOutOfRange as exc:
        raise error(
            f"{source}: the number {_shorten(exc.literal)} {_where(text, exc.literal)}is out of "
            f"range: {exc.why}"
        ) from None
    except RecursionError:
        raise error(
            f"{source}: JSON nested too deeply (arrays/objects inside each other beyond the "
            f"reader's recursion limit); refusing the file"
        ) from None
    except json.JSONDecodeError as exc:
        raise error(f"{source}: not valid JSON: {exc}") from None
    except StaticEmbedRunnerError:  # a hook's own error, already worded
        raise
    except ValueError as exc:  # from parse_float (serde_json_float) or a hook
        raise error(f"{source}: {exc}") from None


def read_json_file(
    path: str | os.PathLike[str],
    *,
    max_bytes: int = MAX_CONFIG_BYTES,
    error: ErrorType = ModelFormatError,
    expected: type | None = None,
) -> Any:
    """Read and parse the JSON file ``path``; ``expected``: the required top-level type."""
    path = Path(path)
    check_file_size(path, max_bytes, error=error)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise error(f"{path}: cannot read the file: {exc}") from exc
    value = parse_json(data, str(path), error=error)
    if expected is not None and not isinstance(value, expected):
        raise error(
            f"{path}: expected a JSON {_JSON_NAMES.get(expected, expected.__name__)} at the top "
            f"level, found {describe_type(value)}"
        )
    return value


def check_file_size(
    path: str | os.PathLike[str], max_bytes: int, *, error: ErrorType = ModelFormatError
) -> int:
    """The size of ``path``, or ``error`` when it is above ``max_bytes``."""
    try:
        size = os.stat(path).st_size
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise error(f"{path}: cannot read the file: {exc}") from exc
    if size > max_bytes:
        raise error(
            f"{path}: the file is {size:,} bytes, above the {max_bytes:,}-byte limit for this "
            f"kind of file; refusing to read it"
        )
    return size


_JSON_NAMES = {dict: "object", list: "array", str: "string", bool: "boolean", int: "integer"}


def describe_type(value: object) -> str:
    """How a JSON value is named in error messages: its JSON type and a short rendering."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, (int, float)):
        return f"the number {_shorten(repr(value))}"
    if isinstance(value, str):
        return f"the string {_shorten(json.dumps(value))}"
    if isinstance(value, list):
        return f"an array of {len(value)} item{'' if len(value) == 1 else 's'}"
    if isinstance(value, dict):
        return f"an object with keys {_shorten(repr(sorted(map(str, value))))}"
    return type(value).__name__


def _shorten(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


def _where(text: str, literal: str) -> str:
    index = text.find(literal)
    if index < 0:
        return ""
    line = text.count("\n", 0, index) + 1
    column = index - (text.rfind("\n", 0, index) + 1) + 1
    return f"at line {line} column {column} "
