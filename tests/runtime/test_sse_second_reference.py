"""SSE 4-bit files read by static-embed-runner 0.1.0 (PyPI, own venv) give this package's vectors.

The float64 formula in ``reference_models.sse_formula`` shares this package's reading of the layout
(nibble order, where the scales sit, the decode and head formulas); version 0.1.0 is code written
separately, so a misreading common to both sides of the first comparison shows up here. Texts
without tokens are left out: 0.1.0 returns ``beta * tanh(bias)`` for them, this package zeros.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from corpus import CORPUS
from runtime import sse_v010
from runtime.reference_models import SseModel
from verification import assert_within

from static_embed_runner.runner import StaticEmbedRunner


@pytest.fixture(scope="session")
def v010_python() -> Path:
    return sse_v010.venv_python()


@pytest.mark.parametrize("case", ["head", "truncation-64"])
def test_sse_vectors_equal_those_static_embed_runner_0_1_0_reads_from_the_same_files(
    case: str, sse_models: dict[str, SseModel], v010_python: Path, tmp_path: Path
) -> None:
    model = sse_models[case]
    runner = StaticEmbedRunner.load(model.path, tokenizer_backend="tokenizers")
    texts = [text for text, ids in zip(CORPUS, runner.token_ids(CORPUS), strict=True) if ids]
    assert len(texts) >= len(CORPUS) - 4
    theirs = sse_v010.encode(v010_python, model.path, texts, tmp_path)
    ours = runner.encode(texts, normalize=False)
    assert theirs.dtype == np.float32
    assert_within(f"sse-q4/v0.1.0/{case}", ours, theirs)
