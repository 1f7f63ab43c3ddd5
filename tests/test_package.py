"""The package as installed: numpy is the only runtime dependency and the import is light."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import tomllib

import static_embed_runner

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("torch", "tokenizers", "transformers", "sentence_transformers", "model2vec", "regex")


def test_runtime_dependencies_are_numpy_only():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert [dep.split(">")[0].split("=")[0] for dep in project["dependencies"]] == ["numpy"]
    extras = project["optional-dependencies"]
    assert "rust" not in extras, "one extra per optional part: tokenizers is the Rust tokenizer"
    assert "torch==2.13.0" in project["optional-dependencies"]["test"]


def test_import_load_and_encode_with_the_lite_backend_import_no_heavy_library():
    code = (
        "import json, sys\n"
        "import static_embed_runner as ser\n"
        "vec = ser.StaticEmbedRunner.load(tokenizer_backend='lite').encode('a short text')\n"
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules] + [vec.shape[0]]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert json.loads(out.stdout) == [256]


def test_public_api_is_an_explicit_list_of_names_that_exist():
    exported = static_embed_runner.__all__
    assert {"StaticEmbedRunner", "Tokenizer", "similarity", "StaticEmbedRunnerError"} <= set(
        exported
    )
    assert all(hasattr(static_embed_runner, name) for name in exported)
    assert exported == sorted(exported)


def test_the_embedding_store_is_imported_on_first_use_only():
    code = (
        "import sys\n"
        "import static_embed_runner\n"
        "assert 'sqlite3' not in sys.modules and 'static_embed_runner.store' not in sys.modules\n"
        "from static_embed_runner import EmbeddingStore\n"
        "from static_embed_runner.store import EmbeddingStore as Direct\n"
        "assert EmbeddingStore is Direct and 'sqlite3' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
