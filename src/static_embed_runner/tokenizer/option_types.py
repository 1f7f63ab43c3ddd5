"""The types of tokenizer.json's component options, checked before any component is built.

The ``tokenizers`` crate deserialises each option into a typed field, so ``"lowercase": "false"``
(a string) makes it reject the file. Read with Python's ``bool()`` the same string would mean
*true*: a silently different tokenizer. :func:`check_option_types` holds every option the
pure-Python tokenizer reads to the type the crate requires and names the file and the field
(``normalizer.normalizers[1].lowercase``) when one is wrong; each component's ``type`` must be a
string. Options that are absent keep their defaults; their presence is the component builders'
business.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import TokenizerFormatError
from ..io.json_file import describe_type

_BOOL = "a boolean (true or false)"
_OPT_BOOL = "a boolean or null"
_STR = "a string"
_OPT_STR = "a string or null"
_UINT = "a non-negative integer"
_OPT_UINT = "a non-negative integer or null"
_OPT_NUMBER = "a number or null"

# component kind -> component "type" -> option -> expected type (as worded in messages)
_SCHEMA: Mapping[str, Mapping[str, Mapping[str, str]]] = {
    "normalizer": {
        "BertNormalizer": {
            "clean_text": _BOOL,
            "handle_chinese_chars": _BOOL,
            "strip_accents": _OPT_BOOL,
            "lowercase": _BOOL,
        },
        "Strip": {"strip_left": _BOOL, "strip_right": _BOOL},
        "Prepend": {"prepend": _STR},
        "Replace": {"content": _STR},
        "Precompiled": {"precompiled_charsmap": _OPT_STR},
    },
    "pre_tokenizer": {
        "ByteLevel": {"add_prefix_space": _BOOL, "trim_offsets": _BOOL, "use_regex": _BOOL},
        "Metaspace": {
            "replacement": _STR,
            "add_prefix_space": _BOOL,
            "prepend_scheme": _STR,
            "split": _BOOL,
        },
        "Split": {"behavior": _STR, "invert": _BOOL},
        "Digits": {"individual_digits": _BOOL},
        "CharDelimiterSplit": {"delimiter": _STR},
        "Punctuation": {"behavior": _STR},
    },
    "model": {
        "BPE": {
            "dropout": _OPT_NUMBER,
            "unk_token": _OPT_STR,
            "continuing_subword_prefix": _OPT_STR,
            "end_of_word_suffix": _OPT_STR,
            "fuse_unk": _BOOL,
            "byte_fallback": _BOOL,
            "ignore_merges": _BOOL,
        },
        "WordPiece": {"unk_token": _STR, "continuing_subword_prefix": _STR},
        "Unigram": {"unk_id": _OPT_UINT, "byte_fallback": _BOOL},
        "WordLevel": {"unk_token": _STR},
    },
    "truncation": {
        "": {"max_length": _UINT, "stride": _UINT, "direction": _STR, "strategy": _STR},
    },
}
_NESTED = {"normalizer": "normalizers", "pre_tokenizer": "pretokenizers"}  # Sequence members


def check_option_types(config: Mapping[str, Any], source: str) -> None:
    """Raise :class:`TokenizerFormatError` for the first option of the wrong type."""
    for kind in ("normalizer", "pre_tokenizer", "model", "truncation"):
        component = config.get(kind)
        if isinstance(component, dict):
            _check(component, kind, kind, source)


def _check(component: Mapping[str, Any], kind: str, where: str, source: str) -> None:
    name = component.get("type", "") if kind != "truncation" else ""
    if not isinstance(name, str):
        raise TokenizerFormatError(
            f"{source}: {where}.type must be a string, found {describe_type(name)}"
        )
    members = component.get(_NESTED.get(kind, ""))
    if name == "Sequence" and isinstance(members, list):
        for index, member in enumerate(members):
            if isinstance(member, dict):
                _check(member, kind, f"{where}.{_NESTED[kind]}[{index}]", source)
        return
    options = _SCHEMA[kind].get(name)
    for option, expected in (options or {}).items():
        if option in component and not _fits(component[option], expected):
            raise TokenizerFormatError(
                f"{source}: {where}.{option} must be {expected}, found "
                f"{describe_type(component[option])}"
            )


def _fits(value: object, expected: str) -> bool:
    if value is None:
        return expected.endswith("or null")
    if expected in (_BOOL, _OPT_BOOL):
        return isinstance(value, bool)
    if expected in (_STR, _OPT_STR):
        return isinstance(value, str)
    if expected in (_UINT, _OPT_UINT):
        return isinstance(value, int) and not isinstance(value, bool) and value >= 0
    return isinstance(value, (int, float)) and not isinstance(value, bool)
