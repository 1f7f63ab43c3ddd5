"""Smoke test of the benchmark suite: it runs end to end on a tiny model and writes valid JSON.

Benchmarks are not tests, so nothing here looks at a timing; it checks that every contender ran
in its own processes, that the artifacts and the summary carry the figures and ratios the README
table is rendered from, and that rendering touches only the text between the markers.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "bench"
MODEL = "tiny-st-30k-8"


def _bench_module(name: str):
    sys.path.insert(0, str(BENCH))
    try:
        return __import__(name)
    finally:
        sys.path.remove(str(BENCH))


@pytest.fixture(scope="session")
def smoke_results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("bench-smoke")
    command = [
        sys.executable,
        str(BENCH / "run_all.py"),
        "--models", MODEL,
        "--rounds", "1",
        "--first-sight-samples", "2",
        "--limit-texts", "12",
        "--sizes", "16", "48",
        "--warm-reps", "1",
        "--no-cold-load",
        "--cache-dir", str(base / "models"),
        "--out", str(base / "results"),
        "--baseline-python", sys.executable,
        "--contenders", "runner", "sentence-transformers", "model2vec", "floor",
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    return base / "results"


def test_run_all_writes_one_artifact_per_contender_named_by_format_table_and_backend(
    smoke_results: Path,
) -> None:
    names = sorted(p.name for p in (smoke_results / MODEL).glob("*.json"))
    assert names == [
        "baseline_sentence-transformers_sentence-transformers.json",
        "floor_tokenizers_numpy.json",
        "runner_sentence-transformers_f32_lite.json",
        "runner_sentence-transformers_f32_tokenizers.json",
    ]
    for name in names:
        record = json.loads((smoke_results / MODEL / name).read_text())
        main = record["median"]["main"]
        assert len(record["rounds"]["main"]) == 1
        first_sight = [r["cold_sentences_ms_per_text"] for r in record["rounds"]["first_sight"]]
        assert len(first_sight) == 2 and min(first_sight) > 0
        assert record["first_sight_samples"] == 3
        assert (
            record["first_sight_ms_per_text"]
            == sorted([main["cold_sentences_ms_per_text"], *first_sight])[1]
        )
        assert main["warm_sentences_texts_per_s"] > 0
        assert set(main["scaling_ms"]) == {"16", "48"}
        assert main["child_ru_maxrss_bytes"] > main["rss_start_bytes"] > 0
        assert record["dependencies"]["total_bytes"] > 0
        assert "numpy" in record["dependencies"]["distributions"]


def test_summary_holds_ratios_against_sentence_transformers_and_the_floor(
    smoke_results: Path,
) -> None:
    summary = json.loads((smoke_results / "summary.json").read_text())
    model = summary["models"][MODEL]
    kinds = sorted(h["kind"] for h in model["contenders"])
    assert kinds == ["floor", "runner", "runner", "sentence-transformers"]
    for head in model["contenders"]:
        for group in ("vs_st", "x_floor"):
            assert all(math.isfinite(v) and v > 0 for v in head[group].values()), head
        if head["kind"] == "sentence-transformers":
            assert head["vs_st"]["warm_batch"] == 1.0
        if head["kind"] == "floor":
            assert head["warm_tokenize_ms_per_text"] > 0 and head["warm_pool_ms_per_text"] > 0
    targets = {(t["contender"], t["target"]) for t in model["targets"]}
    assert len(targets) == 2 * 3  # two runner contenders x (warm, cold, single-text) vs ST
    assert summary["settings"]["sentences"] == 12
    assert summary["settings"]["first_sight_samples_per_round"] == 3
    for name in (p.name for p in (smoke_results / MODEL).glob("*.json")):
        record = json.loads((smoke_results / MODEL / name).read_text())
        head = next(h for h in model["contenders"] if h["artifact"] == record["artifact"])
        assert head["cold_ms_per_text"] == record["first_sight_ms_per_text"]
        assert head["cold_samples"] == 3


def test_render_tables_replaces_only_the_text_between_the_markers(
    smoke_results: Path, tmp_path: Path
) -> None:
    head, tail = "# Title\n\nIntro.\n\n", "\n\n## After\n\nMore text.\n"
    full = "<!-- bench:start -->\nstale table\n<!-- bench:end -->"
    short = "<!-- bench-summary:start -->\nstale table\n<!-- bench-summary:end -->"
    bench_readme = tmp_path / "bench-README.md"
    readme, readme_ja = tmp_path / "README.md", tmp_path / "README.ja.md"
    bench_readme.write_text(head + full + tail, encoding="utf-8")
    readme.write_text(head + short + tail, encoding="utf-8")
    readme_ja.write_text("# 題名\n" + short + tail, encoding="utf-8")
    args = [
        "--summary", str(smoke_results / "summary.json"),
        "--bench-readme", str(bench_readme),
        "--readme", str(readme),
        "--readme-ja", str(readme_ja),
        "--no-plot",
    ]  # fmt: skip
    render = _bench_module("render_tables")
    assert render.main(args) == 0
    tables = bench_readme.read_text(encoding="utf-8")
    english, japanese = readme.read_text(encoding="utf-8"), readme_ja.read_text(encoding="utf-8")
    assert tables.startswith(head + "<!-- bench:start -->\n")
    assert tables.endswith("<!-- bench:end -->" + tail)
    assert "| sentence-transformers + torch |" in tables
    assert english.startswith(head + "<!-- bench-summary:start -->\n")
    assert english.endswith("<!-- bench-summary:end -->" + tail)
    assert japanese.startswith("# 題名\n<!-- bench-summary:start -->\n")
    assert "stale table" not in tables + english + japanese
    assert f"| `{MODEL}` (" in english and "this package / sentence-transformers" in english
    assert "このパッケージ" in japanese and "this package" not in japanese
    assert render.main([*args, "--check"]) == 0


def test_corpus_mixes_at_least_224_english_and_japanese_sentences_and_documents() -> None:
    texts = _bench_module("texts")
    assert len(set(texts.SENTENCES)) >= 224
    japanese = [t for t in texts.SENTENCES if any("\u3040" <= c <= "\u30ff" for c in t)]
    assert 80 <= len(japanese) <= len(texts.SENTENCES) - 80
    assert all("\n\n" in doc for doc in texts.DOCUMENTS)
    assert texts.repeat_to(texts.SENTENCES, 16384)[-1] == texts.SENTENCES[16384 % 236 - 1]
