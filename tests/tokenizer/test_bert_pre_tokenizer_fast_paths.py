"""BertPreTokenizer's ASCII and BMP regular expressions cut exactly like its full-Unicode one.

(The full one is checked against ``tokenizers`` in test_pre_tokenizers; ``split`` always uses it.)
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from tokenizer.text_cases import TEXTS, code_point_chunks

from static_embed_runner.tokenizer.pre_tokenizers import BertPreTokenizer

BERT = BertPreTokenizer()


def full_unicode_pieces(text: str) -> list[str]:
    return [piece for piece, _ in BERT.split([(text, True)])]


def test_fast_paths_match_the_full_regex_on_corpus_and_every_code_point() -> None:
    ascii_chunk = "".join(map(chr, range(128)))  # the other chunks take the BMP or full path
    for text in [*TEXTS, *code_point_chunks(512), ascii_chunk, ascii_chunk * 3]:
        assert BERT.pre_tokenize(text) == full_unicode_pieces(text)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=0x7F)))
def test_ascii_path_matches_the_full_regex_on_random_ascii(text: str) -> None:
    assert BERT.pre_tokenize(text) == full_unicode_pieces(text)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=0xFFFF, exclude_categories=["Cs"])))
def test_bmp_path_matches_the_full_regex_on_random_bmp_text(text: str) -> None:
    assert BERT.pre_tokenize(text) == full_unicode_pieces(text)
