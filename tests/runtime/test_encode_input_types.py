"""Containers that iterate to something other than the texts meant get the package's TypeError."""

from __future__ import annotations

import numpy as np
import pytest

from static_embed_runner.runner import StaticEmbedRunner


@pytest.fixture(scope="module")
def runner() -> StaticEmbedRunner:
    return StaticEmbedRunner.load()


@pytest.mark.parametrize(
    ("texts", "message"),
    [
        ({"a": "first text", "b": "second text"}, r"got a dict: pass a list"),
        ({"first text", "second text"}, r"got a set: pass a list"),
        (frozenset({"first text"}), r"got a frozenset: pass a list"),
        (np.array("one text"), r"got a 0-d array: pass texts.item\(\)"),
    ],
)
def test_dict_set_and_0d_array_are_refused_with_the_package_type_error(
    runner: StaticEmbedRunner, texts: object, message: str
) -> None:
    with pytest.raises(TypeError, match=r"^texts must be a str or a list of str, " + message):
        runner.encode(texts)
    with pytest.raises(TypeError, match=message):
        runner.token_ids(texts)


def test_a_1d_numpy_array_of_str_is_a_list_of_texts(runner: StaticEmbedRunner) -> None:
    texts = ["A cat sits on the mat.", "Dogs bark."]
    assert np.array_equal(runner.encode(np.array(texts)), runner.encode(texts))
