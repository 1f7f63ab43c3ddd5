"""Every normalizer type against ``tokenizers`` built from the same JSON config."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import pytest
import tokenizers
from hypothesis import HealthCheck, given, settings
from tokenizer.text_cases import (
    ALL_CODE_POINTS,
    FIXTURE_FILES,
    TEXTS,
    code_point_chunks,
    fixture_config,
    reference_normalizer,
    tokenizer_json,
    unicode_text,
)

from static_embed_runner.errors import (
    TokenizerFormatError,
    TokenizerInputError,
    UnsupportedTokenizerError,
)
from static_embed_runner.tokenizer import normalizers
from static_embed_runner.tokenizer import unicode_classes as uc
from static_embed_runner.tokenizer.normalizers import (
    BertNormalizer,
    _CharClass,
    _WideClass,
    build_normalizer,
    check_text,
)

BERT_CONFIGS = [
    {
        "type": "BertNormalizer",
        "clean_text": clean,
        "handle_chinese_chars": chinese,
        "strip_accents": strip,
        "lowercase": lower,
    }
    for clean, chinese, strip, lower in itertools.product(
        (True, False), (True, False), (None, True, False), (True, False)
    )
]

CONFIGS: dict[str, dict[str, Any]] = {
    "bert-default": BERT_CONFIGS[0],
    "bert-cased": {**BERT_CONFIGS[0], "lowercase": False},
    "bert-strip-no-lower": {**BERT_CONFIGS[0], "lowercase": False, "strip_accents": True},
    "bert-lower-no-strip": {**BERT_CONFIGS[0], "strip_accents": False},
    "bert-raw": {**BERT_CONFIGS[0], "clean_text": False, "handle_chinese_chars": False},
    "nfc": {"type": "NFC"},
    "nfd": {"type": "NFD"},
    "nfkc": {"type": "NFKC"},
    "nfkd": {"type": "NFKD"},
    "lowercase": {"type": "Lowercase"},
    "strip-both": {"type": "Strip", "strip_left": True, "strip_right": True},
    "strip-left": {"type": "Strip", "strip_left": True, "strip_right": False},
    "strip-right": {"type": "Strip", "strip_left": False, "strip_right": True},
    "strip-accents": {"type": "StripAccents"},
    "nmt": {"type": "Nmt"},
    "replace-string": {"type": "Replace", "pattern": {"String": " "}, "content": "\u2581"},
    "replace-string-multi": {"type": "Replace", "pattern": {"String": "aa"}, "content": "b"},
    "replace-string-delete": {"type": "Replace", "pattern": {"String": "'"}, "content": ""},
    "replace-regex-spaces": {"type": "Replace", "pattern": {"Regex": "\\s+"}, "content": " "},
    "replace-regex-two-spaces": {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": "_"},
    "replace-regex-line-start": {
        "type": "Replace",
        "pattern": {"Regex": "(?<!\\n)^"},
        "content": "\u2581",
    },
    "replace-regex-caret": {"type": "Replace", "pattern": {"Regex": "^"}, "content": "#"},
    "replace-regex-empty-matches": {"type": "Replace", "pattern": {"Regex": "a*"}, "content": "-"},
    "replace-regex-punct": {"type": "Replace", "pattern": {"Regex": "[\\p{P}]"}, "content": ""},
    "prepend": {"type": "Prepend", "prepend": "\u2581"},
    "byte-level": {"type": "ByteLevel"},
    "sequence": {
        "type": "Sequence",
        "normalizers": [
            {"type": "NFKD"},
            {"type": "StripAccents"},
            {"type": "Lowercase"},
            {"type": "Replace", "pattern": {"String": " "}, "content": "\u2581"},
            {"type": "Prepend", "prepend": "\u2581"},
        ],
    },
}

FIXTURES_WITH_NORMALIZER = [n for n in FIXTURE_FILES if fixture_config(n).get("normalizer")]


def _assert_same(config: dict[str, Any], texts: list[str]) -> None:
    ours = build_normalizer(config)
    theirs = reference_normalizer(config)
    assert ours is not None
    mismatches = [t for t in texts if ours.normalize(t) != theirs.normalize_str(t)]
    assert mismatches == [], [
        (t[:30], ours.normalize(t)[:30], theirs.normalize_str(t)[:30]) for t in mismatches[:5]
    ]


@pytest.mark.parametrize("name", FIXTURES_WITH_NORMALIZER)
def test_fixture_normalizer_matches_tokenizers_on_corpus(name: str) -> None:
    config = fixture_config(name)["normalizer"]
    ours = build_normalizer(config)
    theirs = tokenizers.Tokenizer.from_file(str(FIXTURE_FILES[name])).normalizer
    assert ours is not None
    mismatches = [t for t in TEXTS if ours.normalize(t) != theirs.normalize_str(t)]
    assert mismatches == []


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_normalizer_matches_tokenizers_on_corpus_and_every_code_point(name: str) -> None:
    _assert_same(CONFIGS[name], TEXTS + code_point_chunks())


@pytest.mark.parametrize("index", range(len(BERT_CONFIGS)))
def test_every_bert_normalizer_flag_combination_matches_tokenizers(index: int) -> None:
    _assert_same(BERT_CONFIGS[index], TEXTS)


@pytest.mark.parametrize("name", sorted(CONFIGS))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=unicode_text)
def test_normalizer_matches_tokenizers_on_random_unicode(name: str, text: str) -> None:
    _assert_same(CONFIGS[name], [text])


@pytest.mark.parametrize("index", range(len(BERT_CONFIGS)))
def test_bert_normalizer_fast_path_equals_reference_path(index: int) -> None:
    config = {k: v for k, v in BERT_CONFIGS[index].items() if k != "type"}
    normalizer = BertNormalizer(**config)
    sampled = ALL_CODE_POINTS[:0x3400] + ALL_CODE_POINTS[0x3400::7]
    for text in [*TEXTS, sampled]:
        assert normalizer.normalize(text) == normalizer.normalize_reference(text)


# Texts aimed at each whole-string shortcut of the fast paths (see BertNormalizer.normalize).
FAST_PATH_TEXTS = [
    "",
    "Plain ASCII, Mixed Case.",
    "ascii\tcontrols\nand\r\x0b\x0c\x1c\x1f\x7f\x00\x01 gone",
    "\u039f\u0394\u039f\u03a3 \u0391\u03a3. \u03a3 \u03a3\u0391 \u03c2 \u03c3 x\u03a3",
    "\u039f\u0301\u0394\u039f\u03a3\u0301 \u039f\u03a3\u0345",
    "\u1c89\ua7cb\ua7dc x \U00010d50\U00016ea0 \u0391\u03a3",
    "\u1c89 \u00c9t\u00e9 \ufffd",
    "ctrl\x00\x01\x85\u200b\u00ad\ufeff\ue000\U000f0000\U000e0001 \ufffd end\u0890\u0378",
    "spaces\u00a0\u1680\u2000\u2028\u2029\u202f\u205f\u3000\t\n\r\x1c.",
    "\u4e2d\u6587\u5b57\u4e00\u9fff\u3400\u4dbf\U00020000\U0002b820\uf900\U0002f800 \u304b\u306a",
    "\u304c \u3071 Caf\u00e9 na\u00efve \u0344 \u0f73 \u0395\u03bb\u03bb\u03ac\u03b4\u03b1 \u1734",
    "\u1abf\u0301 \u07fd\u0300 \U00011938 \U0001d167\U0001d165 \U0001d15e",
    "Mixed \u65e5\u672c\u8a9e\u3068English\u3001\u03a3\u0391\u03a3\x00\u3099\n\u30d1",
    "\U0001f468\u200d\U0001f469 \u2764\ufe0f \U0001f44d\U0001f3fd",
]


@pytest.mark.parametrize(
    ("clean", "chinese", "strip", "lower"), list(itertools.product((True, False), repeat=4))
)
def test_bert_normalizer_fast_path_reference_and_tokenizers_agree_on_targeted_texts(
    clean: bool, chinese: bool, strip: bool, lower: bool
) -> None:
    ours = BertNormalizer(clean, chinese, strip, lower)
    theirs = tokenizers.normalizers.BertNormalizer(
        clean_text=clean, handle_chinese_chars=chinese, strip_accents=strip, lowercase=lower
    )
    for text in FAST_PATH_TEXTS:
        expected = theirs.normalize_str(text)
        assert ours.normalize(text) == expected, text
        assert ours.normalize_reference(text) == expected, text


@pytest.mark.parametrize("name", ["lowercase", "strip-accents", "nfc", "nfd", "nfkc", "nfkd"])
def test_whole_string_normalizers_match_tokenizers_on_targeted_texts(name: str) -> None:
    _assert_same(CONFIGS[name], FAST_PATH_TEXTS)


CHAR_CLASSES: dict[str, Callable[[], uc.Ranges]] = {
    "bert_mn": lambda: uc.named_ranges("bert_mn"),
    "combining_mark": lambda: uc.named_ranges("combining_mark"),
}


@pytest.mark.parametrize("name", sorted(CHAR_CLASSES))
def test_char_class_set_and_regex_engines_both_match_the_ranges_on_every_code_point(
    name: str,
) -> None:
    ranges = CHAR_CLASSES[name]()
    members = "".join(chr(cp) for lo, hi in ranges for cp in range(lo, hi + 1))
    member_set = frozenset(members)
    for compile_after in (1 << 62, 0):  # the set only, then the regex from the first text
        engine = _CharClass(CHAR_CLASSES[name])
        engine.COMPILE_AFTER = compile_after
        for chunk in code_point_chunks():
            kept = "".join(c for c in chunk if c not in member_set)
            assert engine.removed_from(chunk) == kept
            assert engine.found_in(chunk) == (kept != chunk)
            assert not engine.found_in(kept)
        assert all(engine.found_in(f"a{c}b") for c in members)
        assert engine.removed_from(members) == ""


def test_every_character_clean_text_changes_is_u_fffd_or_not_printable() -> None:
    # BertNormalizer skips clean_text for a printable text without U+FFFD.
    changed = [*uc.named_ranges("bert_other"), *uc.named_ranges("white_space")]
    chars = [chr(cp) for lo, hi in changed for cp in range(lo, hi + 1)]
    assert [c for c in chars if c.isprintable()] == [" "]


@pytest.mark.parametrize(
    "ranges", [uc.normalization_unknown, lambda: uc.category_ranges("Cn")], ids=["unknown", "Cn"]
)
def test_wide_class_finds_exactly_its_members_on_every_code_point(
    ranges: Callable[[], uc.Ranges],
) -> None:
    wide = _WideClass(ranges)
    for chunk in code_point_chunks():
        expected = [i for i, c in enumerate(chunk) if uc.contains(ranges(), ord(c))]
        assert wide.positions(chunk) == expected


def test_normalization_unknown_is_every_code_point_unicode_9_did_not_assign() -> None:
    unknown = uc.normalization_unknown()
    assert uc.contains(unknown, 0x1F970) and uc.contains(unknown, 0x32FF)  # 11.0, 12.1
    assert not uc.contains(unknown, 0x1F600) and not uc.contains(unknown, 0x00E9)  # 6.1, 1.1
    assert uc.contains(unknown, 0xE0080) and not uc.contains(unknown, 0xD800)  # unassigned


def test_python_lower_agrees_with_or_lacks_the_lowercase_overrides() -> None:
    # lowercase_text applies the overrides after str.lower, and only to a non-printable result:
    # a Python that knows an override's character lowers it the same way; one that does not
    # leaves it unchanged and does not print it.
    overrides = uc.lowercase_overrides()
    for cp, lowered in overrides.items():
        char = chr(cp)
        assert char.lower() == lowered or (char.lower() == char and not char.isprintable())
    keys = set(map(chr, overrides))
    for chunk in code_point_chunks():
        assert keys.intersection(chunk.lower()) <= keys.intersection(chunk)


def test_lowercase_on_a_python_with_newer_unicode_keeps_what_rust_leaves_unassigned(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # On such a Python (3.15: Unicode 17.0) str.lower may map code points the tables leave
    # unassigned; lowercasing then goes character by character and keeps them.
    monkeypatch.setattr(normalizers, "_PYTHON_AHEAD", True)
    monkeypatch.setattr(normalizers, "_UNASSIGNED", _WideClass(lambda: uc.category_ranges("Cn")))
    build_normalizer(CONFIGS["lowercase"])
    assert "_probe" in vars(normalizers._UNASSIGNED)  # compiled at load, not in the first batch
    _assert_same(CONFIGS["lowercase"], TEXTS + code_point_chunks())
    _assert_same(CONFIGS["bert-default"], TEXTS + code_point_chunks())


def test_only_an_unprintable_or_crate_mn_leading_character_can_vanish_in_bert_normalizer() -> None:
    # normalize_with_start relies on this to skip normalizing most first characters again.
    # clean_text deletes NUL, U+FFFD and the crate's C* characters: none is printable.
    other = uc.named_ranges("bert_other")
    assert not any(chr(cp).isprintable() for lo, hi in other for cp in range(lo, hi + 1))
    # strip_accents deletes the crate's Mn characters after NFD: every character it deletes
    # entirely is one of them.
    normalizer = BertNormalizer(clean_text=False, strip_accents=True, lowercase=False)
    vanishing = [c for c in ALL_CODE_POINTS if not normalizer.normalize(c)]
    mn = uc.named_ranges("bert_mn")
    assert len(vanishing) > 1000
    assert [c for c in vanishing if not uc.contains(mn, ord(c))] == []


def test_bert_normalizer_unset_strip_accents_follows_lowercase() -> None:
    assert BertNormalizer(strip_accents=None, lowercase=True).normalize("Café") == "cafe"
    assert BertNormalizer(strip_accents=None, lowercase=False).normalize("Café") == "Café"


def test_lowercase_maps_final_sigma_per_character_like_rust() -> None:
    normalizer = build_normalizer({"type": "Lowercase"})
    assert normalizer is not None
    assert normalizer.normalize("ΑΣ ΣΑ") == "ασ σα"


def _first_scheme_prepends(normalizer_config: dict[str, Any] | None, text: str) -> bool:
    """Whether tokenizers' Metaspace(prepend_scheme="first") prepends after this normalizer."""
    normalized = reference_normalizer(normalizer_config).normalize_str(text)
    piece = normalized.replace(" ", "\u2582")
    metaspace = {
        "type": "Metaspace",
        "replacement": "\u2582",
        "prepend_scheme": "first",
        "split": False,
    }
    model = {
        "type": "WordLevel",
        "vocab": {"[UNK]": 0, piece: 1, "\u2582" + piece: 2},
        "unk_token": "[UNK]",
    }
    json_text = tokenizer_json(model, normalizer=normalizer_config, pre_tokenizer=metaspace)
    ids = tokenizers.Tokenizer.from_str(json_text).encode(text).ids
    assert ids in ([1], [2])
    return ids == [2]


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("bert-default", "\x01hi there"),
        ("bert-default", "hi there"),
        ("bert-default", "x\u4e2d"),
        ("bert-default", "\u0301a"),
        ("bert-default", "\u0344a"),
        ("bert-default", "\u1734a"),
        ("bert-default", "\u3099a"),
        ("bert-default", "\u304ca"),
        ("bert-default", "\ufffda"),
        ("bert-default", "\u200ba"),
        ("bert-default", "\u00e9a"),
        ("bert-cased", "\u0301a"),
        ("bert-raw", "\x01a"),
        ("strip-left", "  hi"),
        ("strip-right", "hi  "),
        ("replace-string-delete", "'hi"),
        ("replace-string-multi", "aahi"),
        ("replace-string", "h i"),
        ("replace-regex-empty-matches", "aahi"),
        ("replace-regex-empty-matches", "hi"),
        ("replace-regex-line-start", "hi"),
        ("replace-regex-punct", "!hi"),
        ("strip-accents", "\u0301hi"),
        ("nmt", "\x01hi"),
        ("prepend", "hi"),
        ("sequence", "\u0301hi"),
        ("sequence", "hi"),
    ],
)
def test_normalize_with_start_tells_whether_metaspace_first_would_prepend(
    name: str, text: str
) -> None:
    normalizer = build_normalizer(CONFIGS[name])
    assert normalizer is not None
    out, at_start = normalizer.normalize_with_start(text, True)
    assert out == normalizer.normalize(text)
    assert at_start == _first_scheme_prepends(CONFIGS[name], text)
    assert normalizer.normalize_with_start(text, False)[1] is False


def test_check_text_rejects_a_lone_surrogate_with_its_position() -> None:
    with pytest.raises(TokenizerInputError, match="U\\+D800 at index 2"):
        check_text("ab\ud800c")
    check_text("ok \U0001f600")


def test_check_text_rejects_non_strings() -> None:
    with pytest.raises(TokenizerInputError, match="bytes"):
        check_text(b"abc")  # type: ignore[arg-type]


def test_unknown_normalizer_type_names_the_component() -> None:
    with pytest.raises(UnsupportedTokenizerError, match="normalizer type 'Foo'"):
        build_normalizer({"type": "Foo"})


def test_unknown_type_inside_a_sequence_names_its_position() -> None:
    config = {"type": "Sequence", "normalizers": [{"type": "NFC"}, {"type": "Foo"}]}
    with pytest.raises(UnsupportedTokenizerError, match=r"normalizers\[1\].*'Foo'"):
        build_normalizer(config)


def test_replace_without_content_is_a_format_error() -> None:
    with pytest.raises(TokenizerFormatError, match="content"):
        build_normalizer({"type": "Replace", "pattern": {"String": "a"}})


def test_absent_normalizer_builds_nothing() -> None:
    assert build_normalizer(None) is None
