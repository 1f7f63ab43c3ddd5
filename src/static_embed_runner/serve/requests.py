"""Request bodies -> validated :class:`EmbedJob` s, for the OpenAI route and the TEI route.

Every field is checked here, before anything is queued, and a bad one becomes an
:class:`~.errors.ApiError` naming the field (``input[3]``, ``dimensions``) and what was expected.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from .errors import empty_input, invalid, too_large

Item = str | list[int]


@dataclass(frozen=True)
class Options:
    """Everything besides the texts that changes a vector; jobs with equal options share one
    ``encode`` call. ``max_length`` is ``"model"`` (the model's own limit), a token count, or
    None (no limit);
    with ``limit_check`` an input longer than the model's limit is refused instead of cut."""

    prompt_name: str | None = None
    prompt: str | None = None
    max_length: str | int | None = "model"
    direction: str | None = None
    normalize: bool = True
    dimensions: int | None = None
    limit_check: bool = False


@dataclass
class EmbedJob:
    """One request's inputs (texts or token-id lists) for one model, with its options."""

    model: str | None
    items: list[Item]
    options: Options


def parse_json(body: bytes) -> Any:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise invalid(f"the request body is not valid JSON: {exc}") from None


def _object(body: Any) -> dict:
    if not isinstance(body, dict):
        raise invalid(f"the request body must be a JSON object, got {_kind(body)}")
    return body


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _optional(body: dict, key: str, kind: type, expected: str) -> Any:
    value = body.get(key)
    if value is not None and type(value) is not kind:
        raise invalid(f"`{key}` must be {expected}, got {_kind(value)}", key)
    return value


def _dimensions(body: dict) -> int | None:
    value = body.get("dimensions")
    if value is None:
        return None
    if not _is_int(value):
        raise invalid(f"`dimensions` must be a positive integer, got {_kind(value)}", "dimensions")
    if value < 1:
        raise invalid(
            f"Input validation error: `dimensions` should be positive, got {value}", "dimensions"
        )
    return value


def _items(
    value: Any, field: str, max_inputs: int, max_chars: int | None, allow_empty: bool = False
) -> list[Item]:
    """``input``/``inputs``: a string, a list of strings, a list of ids or a list of id lists
    (a list may mix strings and id lists, as TEI accepts). An empty string is refused unless
    ``allow_empty``."""
    if value is None:
        raise invalid(f"`{field}` is required: a string or an array of strings", field)
    if isinstance(value, str) or (isinstance(value, list) and value and _is_int(value[0])):
        items = [value]
        single = True
    elif isinstance(value, list):
        if not value:
            raise empty_input(field)
        items = value
        single = False
    else:
        raise invalid(
            f"`{field}` must be a string, an array of strings or an array of token ids, "
            f"got {_kind(value)}",
            field,
        )
    if len(items) > max_inputs:
        raise invalid(f"batch size {len(items)} > maximum allowed batch size {max_inputs}", field)
    for index, item in enumerate(items):
        where = field if single else f"{field}[{index}]"
        if isinstance(item, str):
            if not item and not allow_empty:
                raise empty_input(where)
            if max_chars is not None and len(item) > max_chars:
                raise too_large(
                    f"Input validation error: `{where}` must have less than {max_chars} "
                    f"characters. Given: {len(item)} (send truncate: true to cut it to the "
                    f"model's token limit instead)",
                    where,
                )
        elif isinstance(item, list):
            if not item:
                raise empty_input(where)
            if not all(_is_int(i) and i >= 0 for i in item):
                raise invalid(
                    f"`{where}` must be a string or an array of token ids (integers >= 0)", where
                )
        else:
            raise invalid(
                f"`{where}` must be a string or an array of token ids, got {_kind(item)}", where
            )
    return items


def _max_length(body: dict) -> str | int | None:
    value = body.get("max_length", "model")
    if value is None or value == "model" or (_is_int(value) and value >= 0):
        return value
    raise invalid(
        f'`max_length` must be an integer >= 0, null (no limit) or "model", got '
        f"{orjson.dumps(value).decode()}",
        "max_length",
    )


def openai_job(body: Any, max_inputs: int) -> tuple[EmbedJob, str]:
    """``POST /v1/embeddings`` -> the job and its ``encoding_format``. Besides OpenAI's fields
    (``input``, ``model``, ``encoding_format``, ``dimensions``, ``user``) it takes ``encode``'s
    ``prompt_name``, ``prompt``, ``normalize`` (default true) and ``max_length`` (default
    ``"model"``: each input is cut to the model's own token limit), and ``allow_empty`` (default
    false): embed an empty string as ``encode`` does instead of refusing it."""
    body = _object(body)
    allow_empty = _optional(body, "allow_empty", bool, "true or false") or False
    items = _items(body.get("input"), "input", max_inputs, None, allow_empty)
    model = _optional(body, "model", str, "a string")
    encoding = body.get("encoding_format")
    if encoding is None:
        encoding = "float"
    elif encoding not in ("float", "base64"):
        raise invalid(
            f"`encoding_format` must be 'float' or 'base64', got {orjson.dumps(encoding).decode()}",
            "encoding_format",
        )
    _optional(body, "user", str, "a string")
    normalize = _optional(body, "normalize", bool, "true or false")
    options = Options(
        prompt_name=_optional(body, "prompt_name", str, "a string"),
        prompt=_optional(body, "prompt", str, "a string"),
        max_length=_max_length(body),
        normalize=True if normalize is None else normalize,
        dimensions=_dimensions(body),
    )
    if options.prompt_name is not None and options.prompt is not None:
        raise invalid("give `prompt` or `prompt_name`, not both", "prompt")
    return EmbedJob(model, items, options), encoding


def tei_job(body: Any, max_inputs: int, max_chars: int) -> EmbedJob:
    """``POST /embed``: ``inputs``, ``normalize`` (default true), ``truncate`` (default true:
    the model's own token limit; false refuses a longer input), ``truncation_direction``
    (``Right``/``Left``), ``prompt_name``, ``dimensions``, and ``model`` to pick a served model."""
    body = _object(body)
    truncate = _optional(body, "truncate", bool, "true or false")
    truncate = True if truncate is None else truncate
    items = _items(body.get("inputs"), "inputs", max_inputs, None if truncate else max_chars)
    normalize = _optional(body, "normalize", bool, "true or false")
    direction = body.get("truncation_direction")
    if direction is not None:
        if direction not in ("Right", "right", "Left", "left"):
            raise invalid(
                "`truncation_direction` must be 'Right' or 'Left', got "
                f"{orjson.dumps(direction).decode()}",
                "truncation_direction",
            )
        direction = direction.lower()
    options = Options(
        prompt_name=_optional(body, "prompt_name", str, "a string"),
        max_length="model" if truncate else None,
        direction=direction,
        normalize=True if normalize is None else normalize,
        dimensions=_dimensions(body),
        limit_check=not truncate,
    )
    return EmbedJob(_optional(body, "model", str, "a string"), items, options)


def check_for_model(job: EmbedJob, dim: int, prompts: dict[str, str]) -> None:
    """The checks that need the model: ``dimensions`` within its size, a known prompt name."""
    dims = job.options.dimensions
    if dims is not None and dims > dim:
        raise invalid(
            f"Input validation error: `dimensions` should be smaller than the maximum embedding "
            f"dimension ({dim}), got {dims}",
            "dimensions",
        )
    name = job.options.prompt_name
    if name is not None and name not in prompts:
        known = ", ".join(repr(p) for p in prompts) or "none"
        raise invalid(
            f"Input validation error: prompt_name {name!r} is not one of the model's prompts "
            f"({known})",
            "prompt_name",
        )
