"""The ``static-embed-runner`` command: parse arguments, read texts, write vectors.

All embedding work is delegated to :class:`StaticEmbedRunner`; this module only does argument
parsing and I/O. Input is read and encoded batch by batch and written as it goes, so memory stays
bounded however long the input is. stdout carries data only; messages go to stderr.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import struct
import sys
import time
import traceback
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Protocol, TextIO

import numpy as np

from .errors import is_failure
from .progress import Progress
from .textlines import BadLine, decoded_lines, json_record

if TYPE_CHECKING:
    from .runner import StaticEmbedRunner

PROG = "static-embed-runner"
OUTPUT_SUFFIXES = (".npy", ".npz", ".jsonl")

DESCRIPTION = """\
Embed texts with a static-embedding model (sentence-transformers StaticEmbedding, Model2Vec,
SSE 4-bit). Vectors are float32, L2-normalised unless --no-normalize.

Which positional is the model:
  - With -m/--model, every positional argument is a text.
  - Otherwise the first positional is the MODEL when it is an existing directory, or when it
    has no whitespace and contains a '/' (a path such as ./models/x, or a Hugging Face id such
    as org/name). Anything else is the first TEXT, and the embedded default model is used.
  - Except: a first positional that looks like a model name - one word of letters and digits
    joined by '-', '_' or '.', such as potion-base-8M - but is no existing directory is an
    error (exit 2): a Hub id needs its owner (org/name).
  - Everything after a bare -- is a text. Use it for a text that looks like a path, a model
    name, or starts with '-':  static-embed-runner -- "and/or" well-known
  The rule never depends on the network or on what the Hub holds: a mistyped model name is
  an error, never silently embedded as a text.

Input: TEXT arguments, or -i FILE (-i - for stdin). With neither, texts are read from stdin
when it is not a terminal (cat texts.txt | static-embed-runner). Every input line gives one
output row, in order: an empty line of a text file is an empty text (a zero vector); a blank
line in --format jsonl is an error naming the line.
"""

EPILOG = """\
output:
  Without --out, stdout gets one JSON array per text (JSON lines), in input order.
  --out FILE.npy   one float32 array (n, dim)
  --out FILE.npz   the same array stored as "embeddings"
  --out FILE.jsonl one JSON array per line, as on stdout
  The file appears only when complete (written to a temporary name, then renamed).
  Input is read, encoded and written batch by batch, so memory stays bounded; with -i and a
  terminal on stderr, progress is shown there.

environment:
  HF_HUB_CACHE / HF_HOME   Hub cache shared with huggingface_hub (~/.cache/huggingface/hub)
  HF_HUB_OFFLINE=1         use cached models only, no network
  HF_TOKEN                 token for gated or private repositories
  HF_ENDPOINT              Hub mirror (default https://huggingface.co)

examples:
  static-embed-runner "A cat sits on the mat." "A dog lies on the rug."
  static-embed-runner minishlab/potion-base-8M "one text" "another text"
  static-embed-runner path/to/model -i texts.txt --out emb.npy
  cat texts.txt | static-embed-runner -i - --truncate-dim 128 > emb.jsonl
  static-embed-runner org/name -i docs.jsonl --format jsonl --text-field body --out emb.npz
  static-embed-runner path/to/model --bench
  HF_HUB_OFFLINE=1 static-embed-runner org/name "uses the local Hub cache only"

exit status: 0 success, 2 usage error, 1 runtime error (one line on stderr; --debug for a
traceback).
"""

BENCH_TEXTS = (
    "The quick brown fox jumps over the lazy dog.",
    "Static embeddings average the rows of a token table.",
    "Prices rose 12.5% in the third quarter, according to the report.",
    "How do I reset my password if I no longer have access to my email?",
    "東京は日本の首都です。",
    "Der schnelle braune Fuchs springt über den faulen Hund.",
    "A short query",
    "Machine learning models turn sentences into vectors that can be compared with cosine "
    "similarity, which makes semantic search over large document collections fast and cheap.",
)


class UsageError(Exception):
    """A command-line mistake: reported with the usage line and exit status 2."""


class InputError(Exception):
    """The input file cannot be read as the requested format: exit status 1."""


def build_parser() -> argparse.ArgumentParser:
    from . import __version__
    from .runner import DEFAULT_BATCH_SIZE

    parser = argparse.ArgumentParser(
        prog=PROG,
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "args",
        nargs="*",
        metavar="[MODEL] TEXT",
        help="optional model (directory or org/name, see above), then texts to embed",
    )
    parser.add_argument(
        "-m", "--model", help="model directory or Hub id org/name (default: the embedded model)"
    )
    parser.add_argument("--revision", help="Hub branch, tag or commit (default: main)")
    parser.add_argument(
        "-i",
        "--input",
        metavar="FILE|-",
        help="read texts from FILE ('-' for stdin): one per line, or JSON lines with --format",
    )
    parser.add_argument(
        "--format",
        choices=("lines", "jsonl"),
        default="lines",
        help="input format of -i or stdin (default: lines; every line is a text, empty ones "
        "included; jsonl: one JSON object per line, blank lines are an error)",
    )
    parser.add_argument(
        "--text-field",
        default="text",
        metavar="NAME",
        help="field holding the text in --format jsonl (default: text)",
    )
    parser.add_argument(
        "-o", "--out", metavar="FILE", help="write vectors to FILE.npy, FILE.npz or FILE.jsonl"
    )
    parser.add_argument(
        "--truncate-dim",
        type=_positive_int,
        metavar="N",
        help="keep the first N dimensions (Matryoshka), then normalise",
    )
    parser.add_argument(
        "--no-normalize", action="store_true", help="do not L2-normalise the vectors"
    )
    parser.add_argument(
        "--max-length",
        type=_token_limit,
        default="model",
        metavar="N|none|model",
        help="keep the first N tokens of each text, or all of them with 'none' (default: model, "
        "the model's own limit; Model2Vec models also cut strings, as model2vec does)",
    )
    prompts = parser.add_mutually_exclusive_group()
    prompts.add_argument(
        "--prompt-name",
        metavar="NAME",
        help="prepend the model's prompt NAME to every text (sentence-transformers prompts, "
        "e.g. query or document; default: the model's default prompt, if any)",
    )
    prompts.add_argument(
        "--prompt", metavar="TEXT", help="prepend TEXT to every text instead of a named prompt"
    )
    parser.add_argument(
        "--table",
        choices=("q4", "f32"),
        default="q4",
        help="4-bit, float16 and bfloat16 tables: keep them as stored (q4, default) or convert "
        "them to float32 at load (f32); same vectors",
    )
    parser.add_argument(
        "--tokenizer",
        choices=("auto", "lite", "tokenizers"),
        default="auto",
        help="tokenizer backend: pure Python (lite), Rust tokenizers package, or auto (default)",
    )
    parser.add_argument(
        "--no-prefetch",
        action="store_true",
        help="map the table's pages only as texts need them (default: mapped in the background "
        "at load when two or more CPUs are usable)",
    )
    parser.add_argument(
        "--batch-size",
        type=_positive_int,
        default=DEFAULT_BATCH_SIZE,
        metavar="N",
        help=f"texts encoded and written per step (default: {DEFAULT_BATCH_SIZE})",
    )
    parser.add_argument(
        "--bench",
        action="store_true",
        help="print load time, single-text latency p50/p95 and batch texts/s (on the -i or "
        "TEXT inputs if given, else a built-in sample), then exit",
    )
    parser.add_argument("--debug", action="store_true", help="show a traceback on errors")
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    return parser


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _token_limit(text: str) -> int | str | None:
    if text.lower() in ("none", "model"):
        return None if text.lower() == "none" else "model"
    if not (text.isascii() and text.isdigit()):  # no sign: a count of tokens
        raise argparse.ArgumentTypeError(f"expected a token count, 'none' or 'model', got {text!r}")
    return int(text)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 ok, 1 runtime error, 2 usage error)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["serve"]:
        return _serve(argv[1:])
    if argv[:1] == ["embed-file"]:
        from .bulk.command import main as embed_file

        return embed_file(argv[1:])
    options, after_dashdash = _split_at_dashdash(argv)
    parser = build_parser()
    try:
        args = parser.parse_intermixed_args(options)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 2
    try:
        return _run(args, after_dashdash)
    except UsageError as exc:
        parser.print_usage(sys.stderr)
        _report(f"error: {exc}")
        return 2
    except KeyboardInterrupt:
        _report("interrupted")
        return 130
    except BrokenPipeError:
        # The reader of stdout went away (e.g. `| head`): stop quietly, as Python's docs advise.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    except BaseException as exc:  # a Rust panic from tokenizers is a BaseException
        if not is_failure(exc):
            raise
        if args.debug:
            traceback.print_exc()
        message = " ".join(str(exc).split()) or type(exc).__name__
        hint = "" if args.debug else " (--debug for a traceback)"
        _report(f"error: {message}{hint}")
        return 1


def _serve(argv: list[str]) -> int:
    """``static-embed-runner serve ...``: the server, from the ``serve`` extra."""
    try:
        from .serve.command import main as serve_main
    except ImportError as exc:
        _report(f"error: {exc}")
        return 1
    return serve_main(argv)


def _report(message: str) -> None:
    print(f"{PROG}: {message}", file=sys.stderr)


def _split_at_dashdash(argv: list[str]) -> tuple[list[str], list[str]]:
    if "--" in argv:
        cut = argv.index("--")
        return argv[:cut], argv[cut + 1 :]
    return argv, []


def _run(args: argparse.Namespace, after_dashdash: list[str]) -> int:
    model, texts = choose_model(args.model, args.args, after_dashdash)
    if texts and args.input is not None:
        raise UsageError("give texts either as arguments or with -i, not both")
    if not texts and args.input is None and not args.bench:
        if sys.stdin is None or sys.stdin.isatty():
            raise UsageError(_nothing_to_embed(args, model))
        args.input = "-"  # texts piped in
    if args.out is not None and not args.out.endswith(OUTPUT_SUFFIXES):
        raise UsageError(f"--out must end in {', '.join(OUTPUT_SUFFIXES)}, got {args.out!r}")
    if args.format != "lines" and args.input is None:
        raise UsageError("--format applies to -i input only")
    if args.bench and (args.prompt_name, args.prompt, args.max_length) != (None, None, "model"):
        raise UsageError(
            "--bench measures the model as loaded: drop --prompt-name, --prompt and --max-length"
        )

    source = (
        iter(texts) if args.input is None else read_texts(args.input, args.format, args.text_field)
    )
    started = time.perf_counter()
    runner = _load(args, model)
    load_seconds = time.perf_counter() - started
    if args.truncate_dim is not None and args.truncate_dim > runner.dim:
        raise UsageError(
            f"--truncate-dim {args.truncate_dim} exceeds the model dimension {runner.dim}"
        )
    if args.prompt_name is not None:
        try:
            runner.token_ids([], prompt_name=args.prompt_name)
        except ValueError as exc:
            raise UsageError(f"--prompt-name: {exc}") from None
    if args.bench:
        sample = list(islice(source, 10_000))
        _print_bench(runner, model, bench(runner, sample, batch_size=args.batch_size), load_seconds)
    else:
        _embed_all(runner, source, args)
    return 0


def _load(args: argparse.Namespace, model: str | None) -> StaticEmbedRunner:
    from .errors import ModelFileNotFoundError, RepositoryNotFoundError
    from .runner import StaticEmbedRunner

    try:
        return StaticEmbedRunner.load(
            model,
            table=args.table,
            tokenizer_backend=args.tokenizer,
            revision=args.revision,
            prefetch=False if args.no_prefetch else None,
        )
    except (RepositoryNotFoundError, ModelFileNotFoundError) as exc:
        if model is None or args.model is not None:
            raise
        raise type(exc)(
            f"{exc} (if {model!r} was meant as a text, put it after --: {PROG} -- {_quote(model)})"
        ) from exc


def _embed_all(runner: StaticEmbedRunner, texts: Iterator[str], args: argparse.Namespace) -> None:
    """Encode and write batch by batch; the output file appears only if every batch succeeded."""
    writer = open_writer(args.out, args.truncate_dim or runner.dim)
    progress = Progress(enabled=args.input is not None and sys.stderr.isatty())
    try:
        for batch in _batched(texts, args.batch_size):
            vectors = runner.encode(
                batch,
                prompt_name=args.prompt_name,
                prompt=args.prompt,
                max_length=args.max_length,
                normalize=not args.no_normalize,
                truncate_dim=args.truncate_dim,
                batch_size=args.batch_size,
            )
            writer.write(vectors)
            progress.update(len(batch))
        writer.finish()
    except BaseException:
        writer.abort()
        raise
    finally:
        progress.close()


def _nothing_to_embed(args: argparse.Namespace, model: str | None) -> str:
    message = "nothing to embed: give TEXT arguments, -i FILE|-, or pipe texts in (see --help)"
    if model is not None and args.model is None:
        message += (
            f"; {model!r} was taken as the model (a folder or org/name): to embed it as a "
            f"text, put it after --: {PROG} -- {_quote(model)}"
        )
    return message


def choose_model(
    model_option: str | None, positionals: list[str], after_dashdash: list[str]
) -> tuple[str | None, list[str]]:
    """Split the command line into (model or None for the default, texts); see ``--help``."""
    if model_option is not None:
        return model_option, [*positionals, *after_dashdash]
    if positionals:
        first = positionals[0]
        path = Path(first).expanduser()
        if path.is_dir():
            return first, [*positionals[1:], *after_dashdash]
        if _looks_like_a_path(first):
            if path.is_file():
                raise UsageError(
                    f"{first!r} is a file, not a model folder; to embed its lines use -i {first}"
                )
            return first, [*positionals[1:], *after_dashdash]
        if _MODEL_NAME.fullmatch(first):
            raise UsageError(
                f"{first!r} looks like a model name, but there is no folder of that name here "
                f"and a Hugging Face model id needs its owner (org/name); to embed {first!r} "
                f"as a text, put it after --: {PROG} -- {_quote(first)}"
            )
    return None, [*positionals, *after_dashdash]


# One word of letters and digits joined by '-', '_' or '.' (potion-base-8M, all-MiniLM-L6-v2):
# a model name without its owner, never taken as a text.
_MODEL_NAME = re.compile(r"[A-Za-z0-9]+(?:[-_.][A-Za-z0-9]+)+")


def _looks_like_a_path(text: str) -> bool:
    separators = {"/", os.sep} | ({os.altsep} if os.altsep else set())
    return bool(text) and not any(c.isspace() for c in text) and any(s in text for s in separators)


def _quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


# --------------------------------------------------------------------------------------------
# Input


def read_texts(source: str, fmt: str, field: str) -> Iterator[str]:
    """Texts from a file (opened now, so a bad path fails before the model loads) or stdin,
    read lazily: one per line, or ``field`` of each JSON line (see :mod:`.textlines`)."""
    if source == "-":
        return _parse(None, "<stdin>", fmt, field)
    try:
        stream = open(source, "rb")  # noqa: SIM115
    except OSError as exc:
        raise InputError(f"cannot read {source}: {exc.strerror or exc}") from exc
    return _parse(stream, source, fmt, field)


def _parse(file: BinaryIO | None, name: str, fmt: str, field: str) -> Iterator[str]:
    stream = file or sys.stdin.buffer
    try:
        for number, line in decoded_lines(stream):
            try:
                if isinstance(line, BadLine):
                    raise line
                yield line if fmt == "lines" else json_record(line, field)[1]
            except BadLine as exc:
                raise InputError(f"{name}:{number}: {exc}") from None
    finally:
        if file is not None:
            file.close()


def _batched(items: Iterable[str], size: int) -> Iterator[list[str]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


# --------------------------------------------------------------------------------------------
# Output


class Writer(Protocol):
    def write(self, vectors: np.ndarray) -> None: ...
    def finish(self) -> None: ...
    def abort(self) -> None: ...


def open_writer(out: str | None, dim: int) -> Writer:
    """A writer for stdout (JSON lines) or for ``out`` by its suffix."""
    if out is None:
        return JsonLinesWriter(sys.stdout, None)
    path = Path(out)
    if not path.parent.is_dir():
        raise OSError(f"cannot write {out}: the directory {path.parent} does not exist")
    if out.endswith(".npy"):
        return NpyWriter(path, dim)
    if out.endswith(".npz"):
        return NpzWriter(path, dim)
    return JsonLinesWriter(None, path)


def _temporary_sibling(path: Path, suffix: str) -> Path:
    return path.with_name(f".{path.name}.{os.getpid()}{suffix}")


class JsonLinesWriter:
    """One JSON array per vector, to a stream or (atomically) to a file."""

    def __init__(self, stream: TextIO | None, path: Path | None) -> None:
        self.path = path
        self.tmp = _temporary_sibling(path, ".tmp") if path is not None else None
        self.stream: TextIO = (
            open(self.tmp, "w", encoding="utf-8", newline="\n")  # noqa: SIM115
            if self.tmp is not None
            else stream  # type: ignore[assignment]
        )

    def write(self, vectors: np.ndarray) -> None:
        from .jsonfloat import json_lines

        text = json_lines(vectors)
        binary = getattr(self.stream, "buffer", None)
        if binary is None:
            self.stream.write(text.decode("ascii"))
        else:
            self.stream.flush()  # what the text layer holds goes first
            binary.write(text)

    def finish(self) -> None:
        self.stream.flush()
        if self.tmp is not None and self.path is not None:
            self.stream.close()
            os.replace(self.tmp, self.path)

    def abort(self) -> None:
        if self.tmp is not None:
            self.stream.close()
            self.tmp.unlink(missing_ok=True)


_NPY_HEADER_BYTES = 128  # fixed, so the header can be rewritten once the row count is known


def npy_header(rows: int, dim: int) -> bytes:
    """A version 1.0 ``.npy`` header for a C-order little-endian float32 (rows, dim) array."""
    text = f"{{'descr': '<f4', 'fortran_order': False, 'shape': ({rows}, {dim}), }}"
    body = text.ljust(_NPY_HEADER_BYTES - 11) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(body)) + body.encode("latin-1")


class NpyWriter:
    """Rows streamed into a ``.npy`` file whose header gets the final row count at the end."""

    def __init__(self, path: Path, dim: int) -> None:
        self.path = path
        self.dim = dim
        self.rows = 0
        self.tmp = _temporary_sibling(path, ".tmp")
        self.file = open(self.tmp, "wb")  # noqa: SIM115
        self.file.write(npy_header(0, dim))

    def write(self, vectors: np.ndarray) -> None:
        self.file.write(np.ascontiguousarray(vectors, dtype="<f4").tobytes())
        self.rows += len(vectors)

    def finish(self) -> None:
        self.file.seek(0)
        self.file.write(npy_header(self.rows, self.dim))
        self.file.close()
        os.replace(self.tmp, self.path)

    def abort(self) -> None:
        self.file.close()
        self.tmp.unlink(missing_ok=True)


class NpzWriter:
    """A streamed ``.npy`` copied into a ``.npz`` (stored, member ``embeddings``) at the end."""

    def __init__(self, path: Path, dim: int) -> None:
        self.path = path
        self.npy = NpyWriter(_temporary_sibling(path, ".embeddings.npy"), dim)

    def write(self, vectors: np.ndarray) -> None:
        self.npy.write(vectors)

    def finish(self) -> None:
        self.npy.finish()
        tmp = _temporary_sibling(self.path, ".tmp")
        try:
            with zipfile.ZipFile(tmp, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
                archive.write(self.npy.path, "embeddings.npy")
            os.replace(tmp, self.path)
        finally:
            tmp.unlink(missing_ok=True)
            self.npy.path.unlink(missing_ok=True)

    def abort(self) -> None:
        self.npy.abort()


# --------------------------------------------------------------------------------------------
# Benchmark


def bench(runner: StaticEmbedRunner, texts: Sequence[str], *, batch_size: int) -> dict[str, float]:
    """Headline speed of ``runner``: single-text latency percentiles and batch throughput.

    Uses ``texts`` (or a small built-in multilingual sample), made distinct by a numeric suffix
    so that no two timed texts are identical.
    """
    sample = list(texts) or list(BENCH_TEXTS)
    runner.encode(sample[: min(len(sample), batch_size)], batch_size=batch_size)  # warm-up
    latencies = []
    for i in range(200):
        text = f"{sample[i % len(sample)]} {i}"
        started = time.perf_counter()
        runner.encode(text)
        latencies.append(time.perf_counter() - started)
    count = max(2000, len(sample))
    batch = [f"{sample[i % len(sample)]} {i}" for i in range(count)]
    started = time.perf_counter()
    runner.encode(batch, batch_size=batch_size)
    elapsed = time.perf_counter() - started
    return {
        "single_p50_ms": 1000 * float(np.percentile(latencies, 50)),
        "single_p95_ms": 1000 * float(np.percentile(latencies, 95)),
        "batch_texts": float(count),
        "batch_texts_per_s": count / elapsed if elapsed > 0 else math.inf,
    }


def _print_bench(
    runner: StaticEmbedRunner, model: str | None, figures: dict[str, float], load_seconds: float
) -> None:
    tokenizer = getattr(runner.tokenizer, "backend", "?")
    print(
        f"model: {model or 'embedded default'} ({runner.model_format}, dim {runner.dim}, "
        f"tokenizer {tokenizer})"
    )
    print(f"load: {load_seconds * 1000:.1f} ms")
    print(
        f"single text: p50 {figures['single_p50_ms']:.3f} ms, p95 {figures['single_p95_ms']:.3f} ms"
        " (200 texts)"
    )
    print(
        f"batch: {figures['batch_texts_per_s']:,.0f} texts/s "
        f"({int(figures['batch_texts']):,} texts)"
    )


if __name__ == "__main__":
    sys.exit(main())
