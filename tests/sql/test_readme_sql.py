"""The READMEs' SQL parts (English and Japanese) run as written: the sqlite-vec example under
"Using the vectors" and every Python block of "Embeddings inside SQL" (SQLite with sqlite-vec,
DuckDB, the vss HNSW index), the blocks of a section in order in one namespace, each printed
result checked against the ``# [...]`` comment that shows it."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SECTIONS = {
    "README.md": ("## Using the vectors", "## Embeddings inside SQL"),
    "README.ja.md": ("## ベクトルの使い方", "## SQL の中で埋め込む"),
}


def _section(readme: str, heading: str) -> str:
    text = (ROOT / readme).read_text(encoding="utf-8")
    start = text.index(heading + "\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def _python_blocks(section: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", section, flags=re.DOTALL)


def _sql_blocks(readme: str) -> dict[str, list[str]]:
    using, inside = SECTIONS[readme]
    sqlite_vec_blocks = [b for b in _python_blocks(_section(readme, using)) if "sqlite_vec" in b]
    return {
        "using-the-vectors": sqlite_vec_blocks,
        "inside-sql": _python_blocks(_section(readme, inside)),
    }


def _expected_prints(block: str) -> list[str]:
    """``print(x)  # [...]`` comments: the shown result, with ``...`` standing for more digits."""
    return re.findall(r"^print\(.*\)\s+# (\[.*\])$", block, flags=re.MULTILINE)


def _matches(shown: str, printed: str) -> bool:
    pattern = ".*?".join(re.escape(part) for part in shown.split("..."))
    return re.fullmatch(pattern, printed.strip()) is not None


@pytest.mark.parametrize("readme", list(SECTIONS))
@pytest.mark.parametrize("part", ["using-the-vectors", "inside-sql"])
def test_the_readme_sql_examples_run_and_print_what_they_show(readme, part, tmp_path, monkeypatch):
    blocks = _sql_blocks(readme)[part]
    assert blocks, f"{readme}: no Python block in the {part} part"
    joined = "\n".join(blocks)
    needed = {
        "using-the-vectors": ("apsw", "distance_metric=cosine", "MATCH ? AND k = 2"),
        "inside-sql": ("apsw", "MATCH embed(?) AND k = 2", "duckdb.connect()", "USING HNSW"),
    }[part]
    assert all(snippet in joined for snippet in needed)
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": "__readme__"}
    for block in blocks:
        output = io.StringIO()
        with contextlib.redirect_stdout(output):
            exec(compile(block, f"{readme}:{part}", "exec"), namespace)
        printed = output.getvalue().splitlines()
        shown = _expected_prints(block)
        assert len(printed) == len(shown)
        for want, got in zip(shown, printed, strict=True):
            assert _matches(want, got), (want, got)
    if part == "inside-sql":
        rows = namespace["rows"]
        assert [row[0] for row in rows] == [
            "The cat sleeps on the sofa.",
            "A kitten is napping on the couch.",
        ]
