"""``static-embed-runner embed-file INPUT --out OUT``: the resumable bulk job.

Reads rows in chunks, encodes them (on ``--workers`` processes), keeps each finished chunk as a
part (see :mod:`.parts`), and joins the parts into ``OUT`` at the end. A killed run started
again with the same arguments continues after the last finished chunk; the result equals an
uninterrupted run. ``--store`` reuses the vectors of documents already embedded.
"""

from __future__ import annotations

import argparse
import sys
from collections import deque
from collections.abc import Iterator
from itertools import islice
from pathlib import Path
from typing import Any

from ..errors import StaticEmbedRunnerError
from ..progress import Progress
from ..store import EmbeddingStore, vector_options
from .parts import OUTPUTS, Checkpoint, ids_path
from .readers import FORMATS, BadRow, BulkInputError, Reader

PROG = "static-embed-runner embed-file"
DEFAULT_CHUNK_ROWS = 4096


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Embed every row of a .txt, .jsonl, .csv or .parquet file into a .npy, "
        ".parquet or .jsonl file, with each row's id beside its vector. Finished chunks are "
        "kept in OUT.parts/, so a run that was killed continues where it stopped when started "
        "again with the same arguments.",
    )
    parser.add_argument("input", metavar="INPUT", help=f"input file ({', '.join(FORMATS)})")
    parser.add_argument(
        "-o", "--out", required=True, metavar="OUT", help=f"output file ({', '.join(OUTPUTS)})"
    )
    parser.add_argument("-m", "--model", help="model folder or Hub id (default: embedded model)")
    parser.add_argument("--revision", help="Hub branch, tag or commit")
    parser.add_argument(
        "--text-column", default="text", metavar="NAME", help="column or field with the text"
    )
    parser.add_argument(
        "--id-column",
        metavar="NAME",
        help="column or field carried beside each vector (default: 'id' when the input has "
        "it, else the row's position, 0, 1, ...)",
    )
    parser.add_argument("--workers", type=int, default=1, metavar="N", help="processes (1)")
    parser.add_argument(
        "--chunk-rows",
        type=int,
        default=DEFAULT_CHUNK_ROWS,
        metavar="N",
        help=f"rows per finished part (default {DEFAULT_CHUNK_ROWS})",
    )
    parser.add_argument("--store", metavar="FILE", help="an embedding store to reuse and fill")
    parser.add_argument(
        "--skip-bad-rows",
        action="store_true",
        help="report bad rows on stderr and leave them out (default: stop at the first one)",
    )
    parser.add_argument(
        "--restart", action="store_true", help="discard the parts of an earlier, different job"
    )
    progress = parser.add_mutually_exclusive_group()
    progress.add_argument("--progress", action="store_true", default=None, help="always show")
    progress.add_argument("--no-progress", dest="progress", action="store_false", help="never")
    parser.add_argument("--truncate-dim", type=int, metavar="N", help="keep N dimensions")
    parser.add_argument("--no-normalize", action="store_true", help="do not L2-normalise")
    prompts = parser.add_mutually_exclusive_group()
    prompts.add_argument("--prompt-name", metavar="NAME", help="prepend the model's prompt NAME")
    prompts.add_argument("--prompt", metavar="TEXT", help="prepend TEXT to every text")
    parser.add_argument("--table", choices=("q4", "f32"), default="q4", help="table mode")
    parser.add_argument(
        "--tokenizer", choices=("auto", "lite", "tokenizers"), default="auto", help="backend"
    )
    return parser


def main(argv: list[str]) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    for name in ("workers", "chunk_rows"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be a positive integer")
    try:
        run(args)
    except (StaticEmbedRunnerError, OSError, ValueError, ImportError) as exc:
        message = " ".join(str(exc).split()) or type(exc).__name__
        print(f"{PROG}: error: {message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted (finished chunks are kept)", file=sys.stderr)
        return 130
    return 0


def run(args: argparse.Namespace) -> None:
    from ..runner import StaticEmbedRunner

    reader = Reader(args.input, args.text_column, args.id_column)
    runner = StaticEmbedRunner.load(
        args.model, table=args.table, tokenizer_backend=args.tokenizer, revision=args.revision
    )
    options: dict[str, Any] = {
        "prompt_name": args.prompt_name,
        "prompt": args.prompt,
        "normalize": not args.no_normalize,
        "truncate_dim": args.truncate_dim,
    }
    dim, key = vector_options(runner, options)
    stat = reader.path.stat()
    manifest = {
        "input": str(reader.path.resolve()),
        "input_size": stat.st_size,
        "input_mtime_ns": stat.st_mtime_ns,
        "text_column": reader.text_column,
        "id_column": reader.id_column,
        "skip_bad_rows": args.skip_bad_rows,
        "model": runner.content_fingerprint,
        "options": key,
        "chunk_rows": args.chunk_rows,
    }
    checkpoint = Checkpoint(Path(args.out), manifest, restart=args.restart)
    show = sys.stderr.isatty() if args.progress is None else args.progress
    progress = Progress(
        enabled=show, total=reader.total, initial=checkpoint.consumed, unit="rows", delay=0.0
    )
    store = EmbeddingStore(args.store) if args.store else None
    chunks: deque[tuple[int, int, list[object]]] = deque()
    batches = _chunks(reader, checkpoint.consumed, args.chunk_rows, args.skip_bad_rows, chunks)
    try:
        if args.workers > 1:
            with runner.pool(args.workers) as pool:
                _commit_all(
                    pool.encode_batches(batches, store=store, **options),
                    chunks,
                    checkpoint,
                    progress,
                )
        else:
            results = (_encode(runner, texts, store, options) for texts in batches)
            _commit_all(results, chunks, checkpoint, progress)
    finally:
        progress.close()
        if store is not None:
            store.close()
    checkpoint.finish(dim)
    if checkpoint.out.suffix == ".npy":
        print(f"{PROG}: ids in {ids_path(checkpoint.out)}", file=sys.stderr)


def _encode(runner, texts: list[str], store: EmbeddingStore | None, options: dict):
    return runner.encode(texts, store=store, **options)


def _commit_all(results, chunks: deque, checkpoint: Checkpoint, progress: Progress) -> None:
    for vectors in results:
        start, stop, ids = chunks.popleft()
        checkpoint.commit(start, stop, ids, vectors)
        progress.update(stop - start)


def _chunks(
    reader: Reader, skip: int, size: int, skip_bad: bool, pending: deque
) -> Iterator[list[str]]:
    """The texts of each chunk of ``size`` input rows after the first ``skip``; each chunk's
    (start, stop, ids) is queued on ``pending`` as its texts are handed out."""
    rows = islice(reader.rows(), skip, None)
    start = skip
    while chunk := list(islice(rows, size)):
        ids: list[object] = []
        texts: list[str] = []
        for row in chunk:
            if isinstance(row, BadRow):
                if not skip_bad:
                    raise BulkInputError(f"{row} (--skip-bad-rows leaves such rows out)")
                print(f"{PROG}: skipped {row}", file=sys.stderr)
                continue
            ids.append(row.id)
            texts.append(row.text)
        pending.append((start, start + len(chunk), ids))
        start += len(chunk)
        yield texts
