"""The command line: model/text disambiguation, inputs, outputs compared to ``runner.encode``,
exit codes and stdout purity. Mostly in-process through ``main([...])``, plus real subprocesses."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from corpus import MODEL_FIXTURES, REAL_SENTENCES
from hub.fake_hub import REPO, FakeHub, read_model_dir, subprocess_env

from static_embed_runner import cli as cli_module
from static_embed_runner import progress as progress_module
from static_embed_runner.cli import choose_model, main, npy_header
from static_embed_runner.runner import StaticEmbedRunner

MODEL = str(MODEL_FIXTURES / "model2vec-rs-test-model-float32")
TEXTS = ["A cat sits on the mat.", "東京は日本の首都です。", "", "and/or"]


@pytest.fixture(scope="session")
def runner() -> StaticEmbedRunner:
    return StaticEmbedRunner.load(MODEL)


@pytest.fixture(scope="session")
def default_runner() -> StaticEmbedRunner:
    return StaticEmbedRunner.load()


def stdout_vectors(text: str) -> np.ndarray:
    rows = [json.loads(line) for line in text.splitlines()]
    return np.asarray(rows, dtype=np.float32)


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# -- which positional is the model -------------------------------------------------------------


def test_texts_as_arguments_print_one_json_array_per_text_equal_to_encode(capsys, runner):
    code, out, err = run(capsys, MODEL, *TEXTS)

    assert (code, err) == (0, "")
    assert np.array_equal(stdout_vectors(out), runner.encode(TEXTS))


def test_a_first_positional_that_is_a_text_uses_the_default_model(capsys, default_runner):
    code, out, err = run(capsys, "A cat sits on the mat.", "dogs")

    assert (code, err) == (0, "")
    assert np.array_equal(
        stdout_vectors(out), default_runner.encode(["A cat sits on the mat.", "dogs"])
    )


def test_everything_after_double_dash_is_a_text(capsys, default_runner):
    code, out, err = run(capsys, "--", "and/or", "-starts-with-dash")

    assert (code, err) == (0, "")
    assert np.array_equal(
        stdout_vectors(out), default_runner.encode(["and/or", "-starts-with-dash"])
    )


def test_model_option_makes_every_positional_a_text(capsys, runner):
    code, out, _ = run(capsys, "-m", MODEL, "x/y", "plain")

    assert code == 0
    assert np.array_equal(stdout_vectors(out), runner.encode(["x/y", "plain"]))


def test_model_choice_rule(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "local-model").mkdir()
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "texts.txt").write_text("x\n")

    assert choose_model(None, ["local-model", "t"], []) == ("local-model", ["t"])
    assert choose_model(None, ["org/name", "t"], ["u"]) == ("org/name", ["t", "u"])
    assert choose_model(None, ["./missing/dir", "t"], []) == ("./missing/dir", ["t"])
    assert choose_model(None, ["a text with/slash", "t"], []) == (None, ["a text with/slash", "t"])
    assert choose_model(None, ["word", "t"], []) == (None, ["word", "t"])
    assert choose_model(None, ["e.g. this", "t"], []) == (None, ["e.g. this", "t"])
    assert choose_model(None, ["東京-大阪"], []) == (None, ["東京-大阪"])
    assert choose_model(None, [], ["potion-base-8M"]) == (None, ["potion-base-8M"])
    for name in ("potion-base-8M", "all-MiniLM-L6-v2", "bge_small", "model.v2", "well-known"):
        with pytest.raises(cli_module.UsageError, match=r"looks like a model name"):
            choose_model(None, [name, "t"], [])
    (tmp_path / "my-model_v2").mkdir()
    assert choose_model(None, ["my-model_v2", "t"], []) == ("my-model_v2", ["t"])
    assert choose_model(None, [], ["org/name"]) == (None, ["org/name"])
    assert choose_model("m", ["org/name"], ["u"]) == ("m", ["org/name", "u"])
    with pytest.raises(cli_module.UsageError, match=r"-i notes/texts\.txt"):
        choose_model(None, ["notes/texts.txt"], [])


def test_a_model_name_without_its_owner_is_refused_not_embedded(capsys):
    code, out, err = run(capsys, "potion-base-8M", "hi")

    assert (code, out) == (2, "")
    assert "'potion-base-8M' looks like a model name" in err
    assert "needs its owner (org/name)" in err and "static-embed-runner -- 'potion-base-8M'" in err


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_no_text_with_a_terminal_on_stdin_names_what_was_taken_as_the_model(capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", _Terminal())

    code, out, err = run(capsys, "and/or")

    assert (code, out) == (2, "")
    assert "nothing to embed" in err and "'and/or' was taken as the model" in err
    assert "static-embed-runner -- 'and/or'" in err


def test_texts_are_read_from_stdin_when_it_is_not_a_terminal_and_none_are_given(
    capsys, monkeypatch, runner
):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO("one\n\n東京\n".encode())))

    code, out, err = run(capsys, MODEL)

    assert (code, err) == (0, "")
    assert np.array_equal(stdout_vectors(out), runner.encode(["one", "", "東京"]))


def test_a_missing_model_path_fails_with_a_hint_to_use_double_dash(capsys, tmp_path):
    code, out, err = run(capsys, str(tmp_path / "no" / "model"), "hi")

    assert (code, out) == (1, "")
    assert len(err.splitlines()) == 1
    assert "put it after --" in err and "Traceback" not in err


def test_an_unknown_hub_repository_fails_with_a_hint(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    with FakeHub() as hub:
        monkeypatch.setenv("HF_ENDPOINT", hub.endpoint)
        code, out, err = run(capsys, "and/or", "hi")

    assert (code, out) == (1, "")
    assert "not found" in err and "static-embed-runner -- 'and/or'" in err


def test_a_hub_model_is_downloaded_then_used_offline(capsys, monkeypatch, tmp_path, runner):
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    with FakeHub() as hub:
        hub.add_commit(REPO, read_model_dir(Path(MODEL)))
        monkeypatch.setenv("HF_ENDPOINT", hub.endpoint)
        first = run(capsys, REPO, *TEXTS)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    second = run(capsys, REPO, *TEXTS)

    assert first[0] == second[0] == 0
    assert first[1] == second[1]
    assert np.array_equal(stdout_vectors(first[1]), runner.encode(TEXTS))


# -- inputs ------------------------------------------------------------------------------------


def test_input_file_lines_keep_empty_lines_and_strip_crlf(capsys, tmp_path, runner):
    path = tmp_path / "texts.txt"
    path.write_bytes("\ufefffirst line\r\n\nthird\u2028still third\nlast".encode())

    code, out, _ = run(capsys, MODEL, "-i", str(path))

    assert code == 0
    expected = ["first line", "", "third\u2028still third", "last"]
    assert np.array_equal(stdout_vectors(out), runner.encode(expected))


def test_stdin_input(capsys, monkeypatch, runner):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"one\ntwo three\n")))

    code, out, _ = run(capsys, MODEL, "-i", "-")

    assert code == 0
    assert np.array_equal(stdout_vectors(out), runner.encode(["one", "two three"]))


def test_jsonl_input_reads_the_text_field(capsys, tmp_path, runner):
    path = tmp_path / "docs.jsonl"
    records = [{"id": 1, "body": "first doc"}, {"id": 2, "body": ""}, {"id": 3, "body": "東京"}]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n")

    code, out, _ = run(capsys, MODEL, "-i", str(path), "--format", "jsonl", "--text-field", "body")

    assert code == 0
    assert np.array_equal(stdout_vectors(out), runner.encode(["first doc", "", "東京"]))


@pytest.mark.parametrize("blank", ["", "  \t"])
def test_a_blank_jsonl_line_is_an_error_naming_the_line_and_writes_nothing(capsys, tmp_path, blank):
    path, out_path = tmp_path / "docs.jsonl", tmp_path / "emb.npy"
    path.write_text(f'{{"text": "one"}}\n{blank}\n{{"text": "three"}}\n')

    argv = ["-i", str(path), "--format", "jsonl", "--out", str(out_path)]
    code, out, err = run(capsys, MODEL, *argv)

    assert (code, out) == (1, "")
    assert f"{path}:2: blank line" in err and len(err.splitlines()) == 1
    assert not out_path.exists()


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "docs.jsonl:2: not valid JSON"),
        ('{"title": "x"}', "docs.jsonl:2: expected an object with a 'text' field"),
        ('{"text": 3}', "docs.jsonl:2: field 'text' must be a string"),
    ],
)
def test_bad_jsonl_lines_are_reported_with_file_and_line(capsys, tmp_path, line, message):
    path = tmp_path / "docs.jsonl"
    path.write_text('{"text": "ok"}\n' + line + "\n")

    code, _, err = run(capsys, MODEL, "-i", str(path), "--format", "jsonl")

    assert code == 1
    assert message in err
    assert len(err.splitlines()) == 1


def test_invalid_utf8_input_is_a_runtime_error(capsys, tmp_path):
    path = tmp_path / "bad.txt"
    path.write_bytes(b"fine\n\xff\xfe broken\n")

    code, _, err = run(capsys, MODEL, "-i", str(path))

    assert code == 1
    assert "not valid UTF-8" in err


# -- outputs -----------------------------------------------------------------------------------


@pytest.fixture
def many_lines(tmp_path) -> tuple[Path, list[str]]:
    one_line = [s for s in REAL_SENTENCES if "\n" not in s]  # a line file cannot hold newlines
    texts = [f"{one_line[i % len(one_line)]} {i}" for i in range(25)]
    path = tmp_path / "in.txt"
    path.write_text("\n".join(texts) + "\n", encoding="utf-8")
    return path, texts


@pytest.mark.parametrize("suffix", [".npy", ".npz", ".jsonl"])
def test_file_outputs_equal_encode_across_batches(capsys, tmp_path, runner, many_lines, suffix):
    source, texts = many_lines
    out_path = tmp_path / f"emb{suffix}"

    code, out, err = run(
        capsys, MODEL, "-i", str(source), "--out", str(out_path), "--batch-size", "4"
    )

    assert (code, out, err) == (0, "", "")
    if suffix == ".npy":
        got = np.load(out_path)
    elif suffix == ".npz":
        with np.load(out_path) as archive:
            assert archive.files == ["embeddings"]
            got = archive["embeddings"]
    else:
        got = stdout_vectors(out_path.read_text())
    assert got.dtype == np.float32
    assert np.array_equal(got, runner.encode(texts))
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["in.txt", out_path.name])


def test_npy_output_of_empty_input_has_zero_rows(capsys, tmp_path, runner):
    source = tmp_path / "empty.txt"
    source.write_text("")

    code, _, _ = run(capsys, MODEL, "-i", str(source), "--out", str(tmp_path / "e.npy"))

    assert code == 0
    assert np.load(tmp_path / "e.npy").shape == (0, runner.dim)


def test_npy_header_has_a_fixed_size_and_is_read_by_numpy(tmp_path):
    for rows in (0, 7, 10**12):
        header = npy_header(rows, 256)
        assert len(header) == 128
        path = tmp_path / "h.npy"
        path.write_bytes(header + b"\0" * (4 * 256 * min(rows, 7)))
        if rows <= 7:
            assert np.load(path).shape == (rows, 256)


def test_a_failure_mid_stream_leaves_no_output_file(capsys, tmp_path):
    source = tmp_path / "docs.jsonl"
    source.write_text("".join(json.dumps({"text": f"t{i}"}) + "\n" for i in range(7)) + "oops\n")
    out_path = tmp_path / "emb.npy"

    code, _, _ = run(
        capsys,
        MODEL,
        "-i",
        str(source),
        "--format",
        "jsonl",
        "--out",
        str(out_path),
        "--batch-size",
        "2",
    )

    assert code == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["docs.jsonl"]


def test_truncate_dim_and_no_normalize_match_encode(capsys, default_runner):
    texts = ["A cat sits on the mat.", "dogs bark"]
    code, out, _ = run(capsys, "--truncate-dim", "64", "--no-normalize", "--", *texts)

    assert code == 0
    expected = default_runner.encode(texts, truncate_dim=64, normalize=False)
    assert np.array_equal(stdout_vectors(out), expected)


def test_table_and_tokenizer_options_reach_the_runner(capsys, default_runner):
    texts = ["A cat sits on the mat.", "東京は日本の首都です。"]
    code, out, _ = run(capsys, "--table", "f32", "--tokenizer", "lite", "--", *texts)

    assert code == 0
    lite = StaticEmbedRunner.load(table="f32", tokenizer_backend="lite")
    assert np.array_equal(stdout_vectors(out), lite.encode(texts))


def test_no_prefetch_reaches_the_runner(capsys, monkeypatch, default_runner):
    seen = []
    real_load = StaticEmbedRunner.load.__func__

    def load(cls, *args, **kwargs):
        seen.append(kwargs["prefetch"])
        return real_load(cls, *args, **kwargs)

    monkeypatch.setattr(StaticEmbedRunner, "load", classmethod(load))
    assert run(capsys, "--no-prefetch", "--", "a text")[0] == 0
    assert run(capsys, "--", "a text")[0] == 0
    assert seen == [False, None]


@pytest.fixture
def prompted_model(tmp_path) -> Path:
    """A sentence-transformers folder (Model2Vec tensors) whose config names prompts."""
    source = MODEL_FIXTURES / "model2vec-rs-test-model-vocab-quantized"
    for name in ("model.safetensors", "modules.json", "tokenizer.json"):
        (tmp_path / name).write_bytes((source / name).read_bytes())
    config = {"prompts": {"query": "query: ", "passage": "passage: "}}
    (tmp_path / "config_sentence_transformers.json").write_text(json.dumps(config))
    return tmp_path


def test_prompt_options_match_encode_with_the_same_prompt(capsys, prompted_model):
    runner = StaticEmbedRunner.load(prompted_model)
    for option, value in (("--prompt-name", "passage"), ("--prompt", "Represent: ")):
        code, out, _ = run(capsys, str(prompted_model), option, value, *TEXTS)
        assert code == 0
        keyword = "prompt_name" if option == "--prompt-name" else "prompt"
        expected = runner.encode(TEXTS, **{keyword: value})
        assert np.array_equal(stdout_vectors(out), expected)
        assert not np.array_equal(expected, runner.encode(TEXTS))


def test_max_length_option_matches_encode_with_the_same_limit(capsys, runner):
    texts = ["A cat sits on the mat and looks at the dog.", "東京は日本の首都です。"]
    for value, limit in (("3", 3), ("none", None), ("0", 0)):
        code, out, _ = run(capsys, MODEL, "--max-length", value, *texts)
        assert code == 0
        assert np.array_equal(stdout_vectors(out), runner.encode(texts, max_length=limit))
    assert not np.array_equal(runner.encode(texts, max_length=3), runner.encode(texts))


def test_an_unknown_prompt_name_is_a_usage_error_listing_the_prompts(capsys, prompted_model):
    code, out, err = run(capsys, str(prompted_model), "--prompt-name", "qeury", "x")

    assert (code, out) == (2, "")
    assert "'qeury'" in err and "'query', 'document', 'passage'" in err
    code, out, err = run(capsys, MODEL, "--prompt-name", "query", "x")
    assert (code, out) == (2, "")
    assert "this model's prompts (none)" in err


# -- exit codes and messages -------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["--no-such-option", "x"],
        ["--batch-size", "0", "x"],
        ["--truncate-dim", "-3", "x"],
        ["--out", "emb.txt", "x"],
        ["--format", "jsonl", "x"],
        ["-i", "in.txt", "extra text"],
        ["--table", "f16", "x"],
        ["--prompt", "q: ", "--prompt-name", "query", "x"],
        ["--max-length", "-1", "x"],
        ["--max-length", "all", "x"],
        ["--max-length", "²", "x"],
        ["--bench", "--max-length", "8"],
        ["--bench", "--prompt", "q: "],
    ],
)
def test_usage_errors_exit_2_with_nothing_on_stdout(capsys, monkeypatch, argv):
    monkeypatch.setattr(sys, "stdin", _Terminal())
    code, out, err = run(capsys, *argv)

    assert (code, out) == (2, "")
    assert "usage:" in err and "error:" in err


def test_truncate_dim_above_the_model_dimension_is_a_usage_error(capsys, runner):
    code, out, err = run(capsys, MODEL, "--truncate-dim", str(runner.dim + 1), "x")

    assert (code, out) == (2, "")
    assert f"model dimension {runner.dim}" in err


def test_runtime_error_is_one_line_without_traceback_unless_debug(capsys, tmp_path):
    missing = str(tmp_path / "missing.txt")

    code, out, err = run(capsys, MODEL, "-i", missing)
    assert (code, out) == (1, "")
    assert err.count("\n") == 1 and "cannot read" in err and "Traceback" not in err

    code, _, err = run(capsys, MODEL, "-i", missing, "--debug")
    assert code == 1 and "Traceback" in err


def test_version_and_help(capsys):
    from static_embed_runner import __version__

    code, out, _ = run(capsys, "--version")
    assert (code, out.strip()) == (0, f"static-embed-runner {__version__}")

    code, out, _ = run(capsys, "--help")
    assert code == 0
    for needle in ("Which positional is the model", "examples:", "--out", "--bench", "exit status"):
        assert needle in out


def test_bench_prints_the_headline_figures(capsys):
    code, out, err = run(capsys, MODEL, "--bench")

    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert [line.split(":")[0] for line in lines] == ["model", "load", "single text", "batch"]
    assert "p50" in lines[2] and "p95" in lines[2] and "texts/s" in lines[3]


def test_bench_figures_come_from_the_runner(runner):
    figures = cli_module.bench(runner, ["a text", "another"], batch_size=16)

    assert set(figures) == {"single_p50_ms", "single_p95_ms", "batch_texts", "batch_texts_per_s"}
    assert 0 < figures["single_p50_ms"] <= figures["single_p95_ms"]
    assert figures["batch_texts"] == 2000 and figures["batch_texts_per_s"] > 0


def test_builtin_progress_is_drawn_on_stderr_without_tqdm(capsys, monkeypatch):
    clock = iter([0.0, 0.5, 1.5, 1.6, 2.0, 2.1])
    monkeypatch.setattr(progress_module.time, "perf_counter", lambda: next(clock))
    monkeypatch.setitem(sys.modules, "tqdm", None)

    progress = cli_module.Progress(enabled=True)
    for _ in range(4):
        progress.update(100)
    progress.close()

    err = capsys.readouterr().err
    assert "\r200 texts" in err and "\r400 texts" in err and err.endswith("\n")


def test_builtin_progress_ends_on_the_final_count(capsys, monkeypatch):
    clock = iter([0.0, 1.5, 1.6, 1.7, 2.0])  # start, three updates (only the first drawn), close
    monkeypatch.setattr(progress_module.time, "perf_counter", lambda: next(clock))
    monkeypatch.setitem(sys.modules, "tqdm", None)

    progress = cli_module.Progress(enabled=True)
    for _ in range(3):
        progress.update(100_000)
    progress.close()

    err = capsys.readouterr().err
    assert err.rsplit("\r", 1)[-1] == "300,000 texts, 150,000 texts/s\n"


def test_progress_is_silent_when_disabled(capsys):
    progress = cli_module.Progress(enabled=False)
    progress.update(10_000)
    progress.close()

    assert capsys.readouterr().err == ""


def test_resumed_progress_counts_earlier_rows_but_rates_only_this_run(capsys, monkeypatch):
    """embed-file's progress: 40 of 100 rows were done by an earlier run; 30 more in 1 s."""
    clock = iter([10.0, 11.0, 11.0])  # start, one update, close
    monkeypatch.setattr(progress_module.time, "perf_counter", lambda: next(clock))
    monkeypatch.setitem(sys.modules, "tqdm", None)

    progress = progress_module.Progress(enabled=True, total=100, initial=40, unit="rows", delay=0.0)
    progress.update(30)
    progress.close()

    err = capsys.readouterr().err
    assert err == "\r70/100 rows, 30 rows/s, 70%, ETA 0:00:01" * 2 + "\n"


def test_resumed_progress_starts_a_tqdm_bar_at_the_rows_already_done(capsys):
    progress = progress_module.Progress(enabled=True, total=100, initial=40, unit="rows", delay=0.0)
    assert progress.bar is not None and progress.bar.n == 40
    progress.update(60)
    progress.close()
    assert "100/100" in capsys.readouterr().err


# -- real subprocesses -------------------------------------------------------------------------


def run_cli(*argv: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "static_embed_runner.cli", *argv],
        input=stdin if stdin is not None else "",
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=subprocess_env(),
        timeout=120,
    )


def test_subprocess_stdout_carries_only_vectors(runner):
    done = run_cli(MODEL, "-i", "-", stdin="one\ntwo three\n東京\n")

    assert (done.returncode, done.stderr) == (0, "")
    assert np.array_equal(stdout_vectors(done.stdout), runner.encode(["one", "two three", "東京"]))


def test_subprocess_runtime_error_exits_1_with_one_line(tmp_path):
    done = run_cli(MODEL, "-i", str(tmp_path / "missing.txt"))

    assert (done.returncode, done.stdout) == (1, "")
    assert len(done.stderr.splitlines()) == 1 and "Traceback" not in done.stderr


def test_subprocess_reads_piped_stdin_when_no_text_is_given(runner):
    done = run_cli(MODEL, stdin="one\ntwo three\n")

    assert (done.returncode, done.stderr) == (0, "")
    assert np.array_equal(stdout_vectors(done.stdout), runner.encode(["one", "two three"]))


def test_subprocess_usage_error_exits_2():
    done = run_cli("--batch-size", "zero", "x")

    assert (done.returncode, done.stdout) == (2, "")


def test_a_missing_input_file_is_reported_before_any_model_is_fetched(
    capsys, monkeypatch, tmp_path
):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty-cache"))

    code, _, err = run(capsys, "org/not-cached", "-i", str(tmp_path / "missing.txt"))

    assert code == 1
    assert "cannot read" in err and "HF_HUB_OFFLINE" not in err


def test_an_output_directory_that_does_not_exist_is_a_runtime_error(capsys, tmp_path):
    code, out, err = run(capsys, MODEL, "--out", str(tmp_path / "nowhere" / "e.npy"), "x")

    assert (code, out) == (1, "")
    assert "does not exist" in err
