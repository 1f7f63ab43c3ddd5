"""The UnicodeScripts pre-tokenizer against ``tokenizers``: every code point, its script table, and
end to end through ``Tokenizer`` on tokenizers trained with a UnicodeScripts pre-tokenizer.

Corpus, adversarial cases, random Unicode and Sequences are in ``test_pre_tokenizers`` (CONFIGS
``unicode-scripts`` and ``sequence-*-unicode-scripts-*``); the consecutive-code-point chain is
there too. Here every code point is placed next to chosen characters so that each split decision
(is it Any? which script class is it in?) shows in the output; together the contexts prove that
the table partitions the code points exactly as tokenizers does.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from tokenizer.text_cases import TEXTS, unicode_text
from tokenizers.pre_tokenizers import UnicodeScripts as ReferenceUnicodeScripts

from static_embed_runner import Tokenizer
from static_embed_runner.tokenizer import unicode_scripts_data as data
from static_embed_runner.tokenizer.pre_tokenizers import build_pre_tokenizer
from static_embed_runner.tokenizer.unicode_scripts import class_table

CODE_POINTS = np.array(
    [cp for cp in range(0x110000) if not 0xD800 <= cp <= 0xDFFF], dtype=np.uint32
)
CHUNK = 8192  # tokenizers is about 3x slower on one multi-megabyte string than on chunks
LATIN, HAN = ord("a"), ord("\u4e00")


def _interleave(*columns: np.ndarray) -> str:
    """``columns[0][0] columns[1][0] ... columns[0][1] columns[1][1] ...`` as one string."""
    out = np.stack(columns, axis=1).astype("<u4")
    return out.tobytes().decode("utf-32-le")


def _mismatches(text: str, group: int) -> tuple[int, str]:
    """Chunks of ``text`` (cut between groups of ``group`` characters) that ours and tokenizers
    split differently: their count and the first difference."""
    ours = build_pre_tokenizer({"type": "UnicodeScripts"})
    assert ours is not None
    theirs = ReferenceUnicodeScripts().pre_tokenize_str
    size = CHUNK - CHUNK % group
    bad: list[str] = []
    for i in range(0, len(text), size):
        chunk = text[i : i + size]
        mine, reference = ours.pre_tokenize(chunk), [piece for piece, _ in theirs(chunk)]
        if mine != reference:
            bad.append(f"at {i}: ours {mine[:6]!r}, tokenizers {reference[:6]!r}")
    return len(bad), bad[0] if bad else ""


def _classes() -> np.ndarray:
    return np.frombuffer(class_table().encode("latin-1"), dtype=np.uint8)


def _representatives() -> np.ndarray:
    """The first code point of every class (class 0, Any, gets "a")."""
    classes = _classes()
    reps = np.full(len(data.SCRIPT_NAMES), LATIN, dtype=np.uint32)
    seen, first = np.unique(classes, return_index=True)
    reps[seen[seen > 0]] = first[seen > 0]
    return reps


def test_every_code_point_the_table_calls_any_is_any_for_tokenizers() -> None:
    """``a c1 c2 ... ck 一 c1 c2 ... ck`` over blocks of Any code points is two pieces; a ``ci`` of
    any script would add a cut in the Latin half or (if Latin) in the Han half."""
    any_cps = CODE_POINTS[_classes()[CODE_POINTS] == 0]
    block = CHUNK // 2 - 1
    texts = [
        "a" + part + "\u4e00" + part
        for part in (
            any_cps[i : i + block].astype("<u4").tobytes().decode("utf-32-le")
            for i in range(0, len(any_cps), block)
        )
    ]
    assert len(any_cps) > 900_000
    assert _mismatches("".join(texts), 2 * block + 2) == (0, "")


def test_every_other_code_point_shares_the_script_of_its_class_representative() -> None:
    """``o c rep(c) c`` with ``o`` (a, or 一 for Latin) of another class: ours cuts before the first
    ``c`` only; tokenizers would also cut before ``rep(c)`` if ``c`` were Any or of another class.
    With the Any test above and the pairwise test below, tokenizers' partition of the code points
    into scripts is exactly the table's, and the split decision depends on nothing else."""
    classes = _classes()[CODE_POINTS]
    cps, classes = CODE_POINTS[classes > 0], classes[classes > 0]
    other = np.where(classes == data.SCRIPT_NAMES.index("Latin"), HAN, LATIN).astype(np.uint32)
    rep = _representatives()[classes]
    assert _mismatches(_interleave(other, cps, rep, cps), 4) == (0, "")


def test_class_representatives_have_pairwise_different_scripts() -> None:
    reps = _representatives()[1:]
    pairs = np.array([(a, b) for a in reps for b in reps if a != b], dtype=np.uint32)
    assert _mismatches(_interleave(pairs[:, 0], pairs[:, 1]), 2) == (0, "")


@pytest.mark.parametrize("ref", ["a", "\u3042", "\u30fc", "0", "\u0301", " ", "\u3000"])
def test_common_inherited_and_kana_code_points_split_like_tokenizers_next_to_them(ref: str) -> None:
    """Latin, Hiragana, U+30FC (both Han), Common, Inherited, space (Any) and ideographic space
    (Common) next to every Common, Inherited, space and Han-class code point of the kana blocks."""
    classes = _classes()[CODE_POINTS]
    common = np.isin(classes, [data.SCRIPT_NAMES.index(n) for n in ("Common", "Inherited")])
    han = classes == data.SCRIPT_NAMES.index("Han")
    kana = han & (((CODE_POINTS >= 0x3000) & (CODE_POINTS < 0x3100)) | (CODE_POINTS >= 0xFF00))
    cps = np.concatenate([[0x20], CODE_POINTS[common | (kana & (CODE_POINTS < 0x20000))]])
    text = _interleave(np.full(len(cps), ord(ref), dtype=np.uint32), cps.astype(np.uint32))
    assert _mismatches(text, 2) == (0, "")


def test_table_is_sorted_and_names_every_class() -> None:
    starts = data.RANGE_STARTS
    assert starts[0] == 0 and list(starts) == sorted(set(starts))
    assert len(data.RANGE_SCRIPTS) == len(starts)
    assert set(data.RANGE_SCRIPTS) == set(range(len(data.SCRIPT_NAMES)))
    assert data.SCRIPT_NAMES[0] == "Any" and len(class_table()) == sys.maxunicode + 1


def test_fixed_scripts_kana_and_prolonged_mark_join_han_and_only_u0020_is_any() -> None:
    ours = build_pre_tokenizer({"type": "UnicodeScripts"})
    assert ours is not None
    assert ours.pre_tokenize("どこで生れ。Yes") == ["どこで生れ", "。", "Yes"]
    assert ours.pre_tokenize("Apples are りんご 林檎") == ["Apples are ", "りんご 林檎"]
    assert ours.pre_tokenize("  ab\u3000cd") == ["ab", "\u3000", "cd"]
    assert ours.pre_tokenize("a\u0301b ") == ["a", "\u0301", "b "]
    assert ours.pre_tokenize("   ") == []


def test_script_table_loads_only_when_a_tokenizer_uses_unicode_scripts() -> None:
    code = (
        "import sys\n"
        "from static_embed_runner.tokenizer.pre_tokenizers import build_pre_tokenizer\n"
        "name = 'static_embed_runner.tokenizer.unicode_scripts_data'\n"
        "build_pre_tokenizer({'type': 'Sequence', 'pretokenizers': [{'type': 'UnicodeScripts'}]})\n"
        "assert name not in sys.modules\n"
        "build_pre_tokenizer({'type': 'UnicodeScripts'}).pre_tokenize('x')\n"
        "assert name in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# ------------------------------------------------------------------------ end to end, trained


@pytest.fixture(scope="module")
def trained() -> dict[str, str]:
    """Tokenizers trained with the tokenizers trainers, whose pre-tokenizer uses UnicodeScripts."""
    from tokenizers import Tokenizer as RustTokenizer
    from tokenizers import models, normalizers, pre_tokenizers, trainers

    out: dict[str, str] = {}
    tok = RustTokenizer(models.BPE(unk_token="<unk>"))
    tok.normalizer = normalizers.NFKC()
    tok.pre_tokenizer = pre_tokenizers.UnicodeScripts()
    trainer = trainers.BpeTrainer(vocab_size=600, special_tokens=["<unk>"], limit_alphabet=80)
    tok.train_from_iterator(TEXTS, trainer)
    out["bpe-unicode-scripts"] = tok.to_str()

    tok = RustTokenizer(models.Unigram())
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.UnicodeScripts(), pre_tokenizers.Metaspace(prepend_scheme="first")]
    )
    trainer = trainers.UnigramTrainer(
        vocab_size=500, unk_token="<unk>", special_tokens=["<unk>"], max_piece_length=8
    )
    tok.train_from_iterator(TEXTS, trainer)
    out["unigram-unicode-scripts-metaspace-first"] = tok.to_str()
    return out


def _assert_same_ids(json_text: str, texts: list[str]) -> None:
    from tokenizers import Tokenizer as RustTokenizer

    reference = RustTokenizer.from_str(json_text)
    ours = Tokenizer.from_str(json_text)
    expected = [reference.encode(t, add_special_tokens=False).ids for t in texts]
    bad = [t for t, ids in zip(texts, expected, strict=True) if ours.encode(t) != ids]
    assert bad == [], [t[:40] for t in bad[:3]]


@pytest.mark.parametrize("name", ["bpe-unicode-scripts", "unigram-unicode-scripts-metaspace-first"])
def test_trained_tokenizer_with_unicode_scripts_encodes_like_tokenizers(
    trained: dict[str, str], name: str
) -> None:
    _assert_same_ids(trained[name], TEXTS)


@pytest.mark.parametrize("name", ["bpe-unicode-scripts", "unigram-unicode-scripts-metaspace-first"])
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=unicode_text)
def test_trained_tokenizer_with_unicode_scripts_encodes_random_unicode_like_tokenizers(
    trained: dict[str, str], name: str, text: str
) -> None:
    _assert_same_ids(trained[name], [text])
