"""Session fixtures for the framework adapters: the embedded default model (a real English model,
for the paraphrase searches) and a model with different query and document prompts (for checking
that each adapter passes the right one).

The prompted model is a random 16-d table in sentence-transformers' folder layout, written here
with the safetensors package (importing sentence-transformers would cost this directory's whole
time budget); tests/runtime/test_prompts.py checks the layout's prompts against
sentence-transformers itself. Here the reference is the runner's own encode_query/encode_document.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from corpus import TOKENIZER_FIXTURES
from safetensors.numpy import save_file

from static_embed_runner.runner import StaticEmbedRunner

BERT = TOKENIZER_FIXTURES / "bert-base-uncased" / "tokenizer.json"
PROMPTS = {"query": "query: ", "document": "passage: "}
MODULES = [
    {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.StaticEmbedding"}
]


@pytest.fixture(scope="session")
def runner() -> StaticEmbedRunner:
    return StaticEmbedRunner.load()


@pytest.fixture(scope="session")
def prompted_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("adapters") / "st-query-document-prompts"
    path.mkdir()
    shutil.copyfile(BERT, path / "tokenizer.json")
    vocab = len(json.loads(BERT.read_text(encoding="utf-8"))["model"]["vocab"])
    table = np.random.default_rng(18).standard_normal((vocab, 16)).astype(np.float32)
    save_file({"embedding.weight": table}, str(path / "model.safetensors"))
    (path / "modules.json").write_text(json.dumps(MODULES), encoding="utf-8")
    config = {"prompts": PROMPTS, "default_prompt_name": None}
    (path / "config_sentence_transformers.json").write_text(json.dumps(config), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def prompted(prompted_dir: Path) -> StaticEmbedRunner:
    runner = StaticEmbedRunner.load(prompted_dir)
    assert runner.prompts["query"] == "query: " and runner.prompts["document"] == "passage: "
    return runner
