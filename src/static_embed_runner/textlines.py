"""Lines of an input file and the text of a JSON lines record: one reading rule shared by the
CLI (``--input``) and ``embed-file``.

Files are read as bytes. A UTF-8 byte order mark at the start is dropped, only ``\\n`` ends a
line (a ``\\r\\n`` ending loses its ``\\r``), and each line is decoded on its own, so invalid
UTF-8 is reported with its line number. In a JSON lines input every line is one record, an
object with the text field: a blank line is a bad record like any other, so that output rows
stay aligned with input lines. The CLI stops at the first bad line; ``embed-file`` stops too,
or with ``--skip-bad-rows`` reports it and leaves it out.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator


class BadLine(ValueError):
    """Why one line is not what its format requires; the caller adds the file and line."""


def decoded_lines(stream: Iterable[bytes]) -> Iterator[tuple[int, str | BadLine]]:
    """(line number from 1, the line's text without its line end, or a :class:`BadLine` when
    it is not valid UTF-8)."""
    for number, raw in enumerate(stream, start=1):
        if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        if raw.endswith(b"\n"):
            raw = raw[:-2] if raw.endswith(b"\r\n") else raw[:-1]
        try:
            yield number, raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            yield number, BadLine(f"not valid UTF-8 ({exc.reason} at byte {exc.start})")


def json_record(line: str, field: str) -> tuple[dict, str]:
    """The JSON object on ``line`` and its string ``field``; :class:`BadLine` otherwise."""
    if not line.strip():
        raise BadLine(
            "blank line; every line of a JSON lines input must be an object, so that output "
            "rows match input lines (remove blank lines first)"
        )
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise BadLine(f"not valid JSON ({exc.msg} at column {exc.colno})") from None
    if not isinstance(record, dict) or field not in record:
        found = sorted(record)[:10] if isinstance(record, dict) else type(record).__name__
        raise BadLine(f"expected an object with a {field!r} field, found {found}")
    text = record[field]
    if not isinstance(text, str):
        raise BadLine(f"field {field!r} must be a string, found {type(text).__name__}")
    return record, text
