"""Each framework is an extra: importing the package (or the integrations package) imports none of
them, and an adapter whose framework is missing raises an ImportError naming the extra."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parents[2]
# adapter module -> (the import that must fail, the extra, the package to name)
ADAPTERS = {
    "langchain": ("langchain_core", "langchain", "langchain-core"),
    "llamaindex": ("llama_index", "llamaindex", "llama-index-core"),
    "chroma": ("chromadb", "chroma", "chromadb"),
    "haystack": ("haystack", "haystack", "haystack-ai"),
}


def _run(code: str) -> object:
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    return json.loads(out.stdout)


def test_importing_the_package_and_the_memory_embedder_imports_no_framework() -> None:
    frameworks = [framework for framework, _, _ in ADAPTERS.values()]
    code = (
        "import json, sys\n"
        "import static_embed_runner, static_embed_runner.integrations\n"
        "import static_embed_runner.integrations.memory\n"
        f"print(json.dumps([m for m in {frameworks!r} if m in sys.modules]))\n"
    )
    assert _run(code) == []


def test_an_adapter_without_its_framework_raises_an_error_naming_the_extra() -> None:
    blocked = [framework for framework, _, _ in ADAPTERS.values()]
    code = (
        "import importlib, json, sys\n"
        f"for name in {blocked!r}:\n"
        "    sys.modules[name] = None\n"
        "errors = {}\n"
        f"for module in {list(ADAPTERS)!r}:\n"
        "    try:\n"
        "        importlib.import_module('static_embed_runner.integrations.' + module)\n"
        "    except ImportError as error:\n"
        "        errors[module] = [type(error).__name__, str(error), repr(error.__cause__)]\n"
        "print(json.dumps(errors))\n"
    )
    errors = _run(code)
    for module, (_, extra, package) in ADAPTERS.items():
        kind, message, cause = errors[module]
        assert kind == "ImportError"
        assert f'pip install "static-embed-runner[{extra}]"' in message
        assert f"needs {package}" in message
        assert "ModuleNotFoundError" in cause


def test_each_framework_is_its_own_extra_and_all_are_in_the_test_extra() -> None:
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"][
        "optional-dependencies"
    ]
    for _, extra, package in ADAPTERS.values():
        assert [requirement.split(">")[0] for requirement in extras[extra]] == [package]
    test_self = [r for r in extras["test"] if r.startswith("static-embed-runner[")]
    assert set(ADAPTERS) <= set(test_self[0].split("[")[1].rstrip("]").split(","))


# module, the imports to block, the extra its error must name
DATA_EXTRAS = {
    "static_embed_runner.integrations.ray": (["ray"], "ray"),
    "static_embed_runner.sql.duckdb": (["duckdb"], "duckdb"),
    "static_embed_runner.bulk.readers": (["pyarrow", "pyarrow.parquet"], "parquet"),
}


def test_the_data_extras_without_their_library_raise_an_error_naming_the_extra() -> None:
    """Ray and DuckDB fail on import; Parquet (read lazily by embed-file) fails on first use."""
    code = (
        "import importlib, json, sys\n"
        "errors = {}\n"
        f"for module, (blocked, _) in {DATA_EXTRAS!r}.items():\n"
        "    saved = {name: sys.modules.pop(name, None) for name in blocked}\n"
        "    sys.modules.update(dict.fromkeys(blocked))\n"
        "    try:\n"
        "        loaded = importlib.import_module(module)\n"
        "        loaded.require_pyarrow('reading Parquet')\n"
        "    except ImportError as error:\n"
        "        errors[module] = [type(error).__name__, str(error)]\n"
        "    for name, value in saved.items():\n"
        "        sys.modules.pop(name)\n"
        "        if value is not None:\n"
        "            sys.modules[name] = value\n"
        "print(json.dumps(errors))\n"
    )
    errors = _run(code)
    for module, (_, extra) in DATA_EXTRAS.items():
        kind, message = errors[module]
        assert kind == "ImportError"
        assert "pip install" in message and f"static-embed-runner[{extra}]" in message


def test_embed_file_without_pyarrow_names_the_parquet_extra_in_one_line(tmp_path) -> None:
    source = tmp_path / "docs.parquet"
    source.write_bytes(b"PAR1")
    code = (
        "import sys\n"
        "sys.modules['pyarrow'] = sys.modules['pyarrow.parquet'] = None\n"
        "from static_embed_runner.cli import main\n"
        f"sys.exit(main(['embed-file', {str(source)!r}, '--out', {str(tmp_path / 'e.npy')!r}]))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 1
    assert result.stderr == (
        "static-embed-runner embed-file: error: reading Parquet needs pyarrow: "
        "pip install 'static-embed-runner[parquet]'\n"
    )


def test_every_extra_asks_for_the_same_pyarrow_floor_and_the_data_extras_are_tested() -> None:
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"][
        "optional-dependencies"
    ]
    floors = {
        extra: requirement
        for extra, requirements in extras.items()
        for requirement in requirements
        if requirement.startswith("pyarrow")
    }
    assert set(floors) >= {"parquet", "ray", "duckdb"}
    assert len(set(floors.values())) == 1, floors
    test_self = [r for r in extras["test"] if r.startswith("static-embed-runner[")]
    assert {"parquet", "ray", "duckdb"} <= set(test_self[0].split("[")[1].rstrip("]").split(","))
