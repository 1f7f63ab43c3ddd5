"""``static-embed-runner embed-file``: every input and output format gives encode's vectors with
the input's ids; a run killed mid-way (SIGKILL) and started again equals an uninterrupted run;
bad rows are reported with file and line; the store skips documents already embedded."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from corpus import REAL_SENTENCES

from static_embed_runner import (
    EmbeddingStore,
    StaticEmbedRunner,
    UnsupportedTokenizerError,
    WorkerError,
)
from static_embed_runner.cli import main

DOCS = [(f"doc-{i}", f"{text} [{i}]") for i, text in enumerate(REAL_SENTENCES * 3)]


@pytest.fixture(scope="module")
def runner() -> StaticEmbedRunner:
    return StaticEmbedRunner.load()


def write_input(path: Path, docs=DOCS) -> Path:
    ids = [doc_id for doc_id, _ in docs]
    texts = [text for _, text in docs]
    if path.suffix == ".txt":
        path.write_text("".join(text.replace("\n", " ") + "\n" for text in texts))
    elif path.suffix == ".jsonl":
        path.write_text("".join(json.dumps({"id": i, "body": t}) + "\n" for i, t in docs))
    elif path.suffix == ".csv":
        with open(path, "w", newline="", encoding="utf-8") as stream:
            writer = csv.writer(stream)
            writer.writerow(["id", "body"])
            writer.writerows(docs)
    else:
        pq.write_table(pa.table({"id": ids, "body": texts}), path, row_group_size=17)
    return path


def read_output(path: Path) -> tuple[list[object], np.ndarray]:
    if path.suffix == ".npy":
        ids = [json.loads(line) for line in path.with_name(path.stem + ".ids.jsonl").open()]
        return ids, np.load(path)
    if path.suffix == ".parquet":
        table = pq.read_table(path)
        vectors = np.array(table.column("embedding").to_pylist(), dtype=np.float32)
        return table.column("id").to_pylist(), vectors
    records = [json.loads(line) for line in path.open()]
    vectors = np.array([r["embedding"] for r in records], dtype=np.float32)
    return [r["id"] for r in records], vectors


def embed_file(*args: str) -> int:
    return main(["embed-file", *args, "--no-progress"])


@pytest.mark.parametrize(
    ("source", "out"),
    [(".txt", ".npy"), (".jsonl", ".jsonl"), (".csv", ".parquet"), (".parquet", ".parquet")],
)
def test_every_input_format_gives_encode_vectors_with_the_input_ids(tmp_path, runner, source, out):
    path = write_input(tmp_path / f"docs{source}")
    target = tmp_path / f"emb{out}"
    assert embed_file(str(path), "--out", str(target), "--text-column", "body") == 0
    ids, vectors = read_output(target)
    texts = [text.replace("\n", " ") if source == ".txt" else text for _, text in DOCS]
    assert np.array_equal(vectors, runner.encode(texts))
    assert ids == (list(range(len(DOCS))) if source == ".txt" else [i for i, _ in DOCS])
    assert not (tmp_path / f"emb{out}.parts").exists()


@pytest.mark.parametrize("out", [".npy", ".parquet", ".jsonl"])
def test_the_three_outputs_hold_the_same_vectors_with_workers(tmp_path, runner, out):
    path = write_input(tmp_path / "docs.jsonl")
    target = tmp_path / f"emb{out}"
    args = ["--text-column", "body", "--workers", "2", "--chunk-rows", "10"]
    assert embed_file(str(path), "--out", str(target), *args, "--truncate-dim", "64") == 0
    ids, vectors = read_output(target)
    assert ids == [i for i, _ in DOCS]
    assert np.array_equal(vectors, runner.encode([t for _, t in DOCS], truncate_dim=64))


def test_a_run_killed_mid_way_and_started_again_equals_an_uninterrupted_run(tmp_path, runner):
    docs = [(i * 7, f"document {i} seen for the first time, {i % 97} things") for i in range(8_000)]
    path = write_input(tmp_path / "docs.parquet", docs)
    target = tmp_path / "emb.parquet"
    command = [
        sys.executable, "-m", "static_embed_runner.cli", "embed-file", str(path), "--out",
        str(target), "--text-column", "body", "--chunk-rows", "100", "--no-progress",
    ]  # fmt: skip
    parts = tmp_path / "emb.parquet.parts"
    first = subprocess.Popen(command, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while len(list(parts.glob("0*.json"))) < 3 and first.poll() is None:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    os.kill(first.pid, signal.SIGKILL)
    first.wait(30)
    done = len(list(parts.glob("0*.json")))
    assert 3 <= done < 80, "the run must be killed half-way for this test to mean anything"
    assert not target.exists()
    second = subprocess.run(command, capture_output=True, timeout=300)
    assert second.returncode == 0, second.stderr.decode()
    ids, vectors = read_output(target)
    assert ids == [doc_id for doc_id, _ in docs]
    assert np.array_equal(vectors, runner.encode([text for _, text in docs]))


BAD_FILES = [
    ("docs.jsonl", '{"id": 1, "body": "fine"}\n{"id": 2, "body": 7}\n',
     "docs.jsonl:2: field 'body' must be a string, found int"),
    ("docs.jsonl", '{"id": 1, "body": "fine"}\n{"id": 2, "title": "x"}\n',
     "docs.jsonl:2: expected an object with a 'body' field"),
    ("docs.jsonl", '{"id": 1, "body": "fine"}\n \t\n{"id": 2, "body": "x"}\n',
     "docs.jsonl:2: blank line; every line of a JSON lines input must be an object"),
    ("docs.txt", b"fine\nbad \xff byte\n",
     "docs.txt:2: not valid UTF-8 (invalid start byte at byte 4)"),
    ("docs.csv", b"id,body\n1,fine\n2,bad \xc3\x28\n", "docs.csv:3: not valid UTF-8"),
    ("docs.csv", "id,title\n1,fine\n", "docs.csv: no text column 'body'; columns: id, title"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "content", "message"), BAD_FILES)
def test_bad_rows_are_reported_with_file_and_line(tmp_path, capsys, name, content, message):
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    text_column = "text" if name.endswith(".txt") else "body"
    code = embed_file(str(path), "--out", str(tmp_path / "e.npy"), "--text-column", text_column)
    assert code == 1
    assert message in capsys.readouterr().err
    assert not (tmp_path / "e.npy").exists()


def test_parquet_bad_columns_and_null_texts_are_reported(tmp_path, capsys):
    path = tmp_path / "docs.parquet"
    pq.write_table(pa.table({"id": [1, 2], "body": [3, 4]}), path)
    assert embed_file(str(path), "--out", str(tmp_path / "e.npy"), "--text-column", "body") == 1
    assert "text column 'body' holds int64, expected strings" in capsys.readouterr().err
    pq.write_table(pa.table({"id": [1, 2, 3], "body": ["a", None, "c"]}), path)
    out = tmp_path / "e.parquet"
    assert embed_file(str(path), "--out", str(out), "--text-column", "body") == 1
    assert "docs.parquet: row 2: the text is null" in capsys.readouterr().err
    args = ["--text-column", "body", "--skip-bad-rows"]
    assert embed_file(str(path), "--out", str(out), *args, "--restart") == 0
    assert "skipped" in capsys.readouterr().err
    assert read_output(out)[0] == [1, 3]


def test_skipping_bad_rows_keeps_ids_aligned(tmp_path, capsys, runner):
    path = tmp_path / "docs.jsonl"
    path.write_text(
        '{"id": "a", "body": "one"}\n{"id": "b", "body": null}\n{"id": "c", "body": "three"}\n'
    )
    out = tmp_path / "e.jsonl"
    assert embed_file(str(path), "--out", str(out), "--text-column", "body", "--skip-bad-rows") == 0
    assert "docs.jsonl:2: field 'body' must be a string, found NoneType" in capsys.readouterr().err
    ids, vectors = read_output(out)
    assert ids == ["a", "c"]
    assert np.array_equal(vectors, runner.encode(["one", "three"]))


def test_a_blank_jsonl_line_is_a_bad_row_skipped_with_its_line_and_positions_stay_lines(
    tmp_path, capsys, runner
):
    """The CLI's rule (tests/cli): a blank JSON line is an error naming the line; here
    --skip-bad-rows leaves it out, and positional ids stay line numbers minus one."""
    path = tmp_path / "docs.jsonl"
    path.write_text('{"body": "one"}\n\n{"body": "three"}\n')
    out = tmp_path / "e.jsonl"
    assert embed_file(str(path), "--out", str(out), "--text-column", "body") == 1
    assert "docs.jsonl:2: blank line" in capsys.readouterr().err
    args = ["--text-column", "body", "--skip-bad-rows", "--restart"]
    assert embed_file(str(path), "--out", str(out), *args) == 0
    assert "skipped " in capsys.readouterr().err
    ids, vectors = read_output(out)
    assert ids == [0, 2]
    assert np.array_equal(vectors, runner.encode(["one", "three"]))


def test_the_store_skips_documents_already_embedded(tmp_path, runner):
    path = write_input(tmp_path / "docs.csv")
    store_path = tmp_path / "store.sqlite"
    out = tmp_path / "e.npy"
    args = ["--text-column", "body", "--store", str(store_path)]
    assert embed_file(str(path), "--out", str(out), *args) == 0
    stored = len(EmbeddingStore(store_path))
    assert stored == len({t for _, t in DOCS})
    changed = [*DOCS[:-1], (DOCS[-1][0], "a document that changed")]
    write_input(path, changed)
    assert embed_file(str(path), "--out", str(out), *args) == 0
    assert len(EmbeddingStore(store_path)) == stored + 1
    assert np.array_equal(read_output(out)[1], runner.encode([t for _, t in changed]))


def test_parts_of_another_job_are_kept_unless_restart(tmp_path, capsys):
    path = write_input(tmp_path / "docs.jsonl")
    out = tmp_path / "e.npy"
    (tmp_path / "e.npy.parts").mkdir()
    (tmp_path / "e.npy.parts" / "manifest.json").write_text('{"input": "another"}')
    assert embed_file(str(path), "--out", str(out), "--text-column", "body") == 1
    assert "another job" in capsys.readouterr().err
    assert embed_file(str(path), "--out", str(out), "--text-column", "body", "--restart") == 0


def test_progress_shows_rate_and_time_left(tmp_path):
    path = write_input(tmp_path / "docs.txt")
    command = [sys.executable, "-m", "static_embed_runner.cli", "embed-file", str(path),
               "--out", str(tmp_path / "e.npy"), "--progress"]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "rows/s" in result.stderr
    assert f"{len(DOCS)}/{len(DOCS)}" in result.stderr


@pytest.mark.parametrize(
    "error",
    [
        WorkerError("a worker process of this encode pool died (exit status -9)"),
        UnsupportedTokenizerError("the lite tokenizer cannot\nreproduce this normalizer"),
    ],
)
def test_package_errors_end_with_one_clear_line_and_exit_status_1(
    tmp_path, capsys, monkeypatch, error
):
    def fail(*args, **kwargs):
        raise error

    monkeypatch.setattr(StaticEmbedRunner, "load", fail)
    path = write_input(tmp_path / "docs.txt")
    assert embed_file(str(path), "--out", str(tmp_path / "e.npy")) == 1
    err = capsys.readouterr().err
    assert err == f"static-embed-runner embed-file: error: {' '.join(str(error).split())}\n"


def test_each_part_and_the_output_are_flushed_to_disk_before_their_rename(tmp_path, monkeypatch):
    events: list[tuple[str, str]] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(descriptor: int) -> None:
        events.append(("fsync", os.readlink(f"/proc/self/fd/{descriptor}")))
        real_fsync(descriptor)

    def replace(source, target) -> None:
        events.append(("replace", str(target)))
        real_replace(source, target)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    path = write_input(tmp_path / "docs.jsonl", DOCS[:10])
    out = tmp_path / "e.jsonl"
    args = ["--text-column", "body", "--chunk-rows", "4"]
    assert embed_file(str(path), "--out", str(out), *args) == 0
    folder = str(tmp_path / "e.jsonl.parts")
    renamed = [(i, target) for i, (kind, target) in enumerate(events) if kind == "replace"]
    parts = [(i, target) for i, target in renamed if target.startswith(folder + os.sep)]
    assert len(parts) == 1 + 2 * 3  # the manifest, then a part file and its mark per chunk
    for index, target in parts:
        name = Path(target).name
        assert events[index - 1] == ("fsync", str(Path(folder) / f".{name}.tmp")), target
        assert events[index + 1] == ("fsync", folder), target
    final = [i for i, target in renamed if target == str(out)]
    assert len(final) == 1 and final[0] > parts[-1][0]
    assert events[final[0] - 1] == ("fsync", str(tmp_path / ".e.jsonl.tmp"))
    assert events[final[0] + 1] == ("fsync", str(tmp_path))  # the output is durable, then
    assert not (tmp_path / "e.jsonl.parts").exists()  # the parts are removed


@pytest.mark.parametrize("content", [b'{"start": 0, "stop": 4, "ids": [', b"[]", b"\xff"])
def test_a_damaged_part_mark_is_named_and_restart_is_suggested(tmp_path, capsys, content):
    path = tmp_path / "docs.jsonl"
    lines = [json.dumps({"id": i, "body": text}) for i, text in DOCS[:5]] + ["not json"]
    path.write_text("\n".join(lines) + "\n")
    out = tmp_path / "e.jsonl"
    args = ["--text-column", "body", "--chunk-rows", "4"]
    assert embed_file(str(path), "--out", str(out), *args) == 1  # stops at line 6, after a part
    mark = tmp_path / "e.jsonl.parts" / f"{0:012d}.json"
    assert json.loads(mark.read_text())["stop"] == 4
    capsys.readouterr()
    mark.write_bytes(content)
    assert embed_file(str(path), "--out", str(out), *args) == 1
    err = capsys.readouterr().err
    assert f"{mark}: damaged part mark" in err and "--restart" in err
    assert len(err.splitlines()) == 1
