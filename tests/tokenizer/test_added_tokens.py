"""Added tokens are assigned ids and cut out of the text exactly as ``tokenizers`` does it."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from tokenizer.reference_tokenizers import reference_ids, reference_tokenizer

from static_embed_runner.errors import UnsupportedTokenizerError
from static_embed_runner.tokenizer.added_tokens import WHITE_SPACE, is_word_char
from static_embed_runner.tokenizer.pipeline import Tokenizer


def with_tokens(json_text: str, *tokens) -> str:
    from tokenizers import Tokenizer as RustTokenizer

    tok = RustTokenizer.from_str(json_text)
    tok.add_tokens(list(tokens))
    return tok.to_str()


def assert_same(json_text: str, texts: list[str]) -> None:
    assert Tokenizer.from_str(json_text).encode_batch(texts) == reference_ids(json_text, texts)


def test_ids_are_assigned_like_tokenizers_and_ignore_the_ids_written_in_the_file(
    tokenizer_json: Callable[[str], str],
) -> None:
    config = json.loads(tokenizer_json("gpt2"))
    flags = {"single_word": False, "lstrip": False, "rstrip": False}
    config["added_tokens"] += [
        {**flags, "id": 5, "content": "<new1>", "special": True, "normalized": False},
        {**flags, "id": 5, "content": "hello", "special": False, "normalized": True},
        {**flags, "id": 99999, "content": "<new2>", "special": False, "normalized": False},
        {**flags, "id": 7, "content": "<new1>", "special": True, "normalized": False},
        {
            **flags,
            "id": 8,
            "content": "<new1>",
            "special": False,
            "normalized": True,
            "lstrip": True,
        },
    ]
    json_text = json.dumps(config)
    lite, rust = Tokenizer.from_str(json_text), reference_tokenizer(json_text)
    for content in ["<|endoftext|>", "<new1>", "hello", "<new2>"]:
        assert lite.token_to_id(content) == rust.token_to_id(content)
    assert lite.get_vocab_size() == rust.get_vocab_size(with_added_tokens=True)
    assert_same(json_text, ["a <new1> b<new2>c hello", "  <new1>", "hello<new1>hello"])


def test_leftmost_longest_matching_of_overlapping_tokens(
    tokenizer_json: Callable[[str], str],
) -> None:
    from tokenizers import AddedToken

    json_text = with_tokens(
        tokenizer_json("gpt2"),
        AddedToken("<a>", normalized=False),
        AddedToken("<a><b>", normalized=False),
        AddedToken("a<", normalized=False),
        AddedToken("b>x", normalized=True),
        AddedToken("<a><b>x", normalized=True),
    )
    assert_same(json_text, ["<a><b>x", "x<a><b>", "a<a>", "<a><a><b><b>x", "a<b>x<a>", "<a"])


def test_single_word_uses_rust_word_characters_including_marks_and_connectors(
    tokenizer_json: Callable[[str], str],
) -> None:
    from tokenizers import AddedToken

    json_text = with_tokens(
        tokenizer_json("gpt2"), AddedToken("tok", single_word=True, normalized=False)
    )
    neighbours = [
        "a",
        "1",
        "_",
        "\u203f",
        "\u0301",
        "\u200d",
        "\u24b6",
        "²",
        "½",
        "-",
        " ",
        "日",
        "😀",
    ]
    texts = [f"{n}tok" for n in neighbours] + [f"tok{n}" for n in neighbours]
    assert_same(json_text, texts)
    assert is_word_char("\u0301") and is_word_char("\u203f") and is_word_char("\u24b6")
    assert not is_word_char("²") and not is_word_char("-")


def test_lstrip_and_rstrip_absorb_only_rust_white_space(
    tokenizer_json: Callable[[str], str],
) -> None:
    from tokenizers import AddedToken

    json_text = with_tokens(
        tokenizer_json("gpt2"),
        AddedToken("<L>", lstrip=True, normalized=False),
        AddedToken("<R>", rstrip=True, normalized=False),
    )
    spaces = [" ", "\t", "\n", "\u00a0", "\u3000", "\u2028", "\x1c", "\x1f", "\u200b", "\x85"]
    texts = [f"a{s}{s}<L>{s}b" for s in spaces] + [f"a{s}<R>{s}{s}b" for s in spaces]
    assert_same(json_text, [*texts, "<R>   <L>", "<L><R> <L>", "  <L>", "<R>  "])
    assert "\x1c" not in WHITE_SPACE and "\x85" in WHITE_SPACE


def test_rstrip_running_into_the_next_match_overlaps_like_tokenizers(
    tokenizer_json: Callable[[str], str],
) -> None:
    from tokenizers import AddedToken

    json_text = with_tokens(
        tokenizer_json("gpt-neox-20b"),  # carries whitespace-run added tokens
        AddedToken("<R>", rstrip=True, normalized=False),
        AddedToken("<L>", lstrip=True, normalized=False),
    )
    assert_same(json_text, ["<R>    x", "<R>      <L>", "a<R>  \t  b", "<R>" + " " * 30 + "end"])


def test_normalized_tokens_match_their_normalized_form_in_normalized_text(
    tokenizer_json: Callable[[str], str],
) -> None:
    from tokenizers import AddedToken

    json_text = with_tokens(
        tokenizer_json("bert-base-uncased"),
        AddedToken("HeLLo", normalized=True),
        AddedToken("hello", normalized=True),
        AddedToken("WORLD", normalized=False),
        AddedToken("Ünï", normalized=True),
    )
    texts = ["hello HELLO HeLLo", "WORLD world World", "ÜNÏ ünï Uni", "xhelloy"]
    assert_same(json_text, texts)


def test_metaspace_first_prepends_only_before_the_piece_that_starts_the_text(
    tokenizer_json: Callable[[str], str],
) -> None:
    from tokenizers import AddedToken

    json_text = with_tokens(
        tokenizer_json("trained-unigram-metaspace-first-nosplit"),
        AddedToken("<sep>", normalized=False, special=True),
        AddedToken("<mid>", normalized=True, lstrip=True),
    )
    texts = ["<sep>hello world", "hello<sep>world", "hello <mid> world", "<mid>x", " <sep> a"]
    assert_same(json_text, texts)


def test_added_token_normalizing_to_nothing_is_unsupported(
    tokenizer_json: Callable[[str], str],
) -> None:
    from tokenizers import AddedToken

    json_text = with_tokens(
        tokenizer_json("bert-base-uncased"), AddedToken("\u200b", normalized=True)
    )
    with pytest.raises(UnsupportedTokenizerError, match="normalizes to the empty string"):
        Tokenizer.from_str(json_text)


@pytest.mark.parametrize(
    "normalizer",
    [
        {
            "type": "BertNormalizer",
            "clean_text": True,
            "handle_chinese_chars": False,
            "strip_accents": False,
            "lowercase": False,
        },
        {"type": "Strip", "strip_left": True, "strip_right": False},
        {"type": "Replace", "pattern": {"String": "x"}, "content": ""},
    ],
    ids=["clean_text", "strip", "replace"],
)
def test_metaspace_first_is_not_prepended_when_the_normalizer_deletes_the_leading_character(
    normalizer: dict, tokenizer_json: Callable[[str], str]
) -> None:
    from tokenizers import AddedToken

    config = json.loads(tokenizer_json("trained-unigram-metaspace-first-nosplit"))
    config["normalizer"] = normalizer
    json_text = with_tokens(json.dumps(config), AddedToken("<sep>", normalized=False))
    texts = ["\x00hello", "  hello", "xhello", "hello", "<sep>\x00hi", "\x00<sep> hi", "x<sep>x"]
    assert_same(json_text, texts)


def test_a_text_no_added_token_can_cut_is_one_segment_and_any_other_takes_the_general_path(
    tokenizer_json: Callable[[str], str],
) -> None:
    from tokenizers import AddedToken

    bert = tokenizer_json("bert-base-uncased")  # its special tokens are all normalized: false
    added = Tokenizer.from_str(bert).added_vocabulary
    assert added.untouched("plain words, [cls] in lower case") is True
    assert added.untouched("") is True
    assert added.untouched("a [CLS] b") is False
    texts = ["plain words", "a [CLS] b[SEP]", "", "\x00\x01", "[MASK]", " [PAD] x"]
    assert_same(bert, texts)
    normalized = with_tokens(bert, AddedToken("hello", normalized=True))
    assert Tokenizer.from_str(normalized).added_vocabulary.untouched("no match here") is False
    assert_same(normalized, ["HELLO there", "no match here", "sayhello"])
