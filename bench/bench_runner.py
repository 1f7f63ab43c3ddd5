"""This runtime as a contender: ``StaticEmbedRunner.load(dir, table=..., tokenizer_backend=...)``.

The artifact name carries the model format, the table storage and the tokenizer backend, e.g.
``results/st-en-30k-1024/runner_sentence-transformers_f32_lite.json``. The package is imported
from run_all's source snapshot, else the installed distribution, else this checkout's ``src/``.

    python bench/bench_runner.py --model sse-q4-30k-512 --table q4 --backend lite [--quick]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
from pathlib import Path
from typing import Any

from harness import ROOT, Contender, contender_main
from models import MODELS

SOURCE_PACKAGE = ROOT / "src" / "static_embed_runner"
SNAPSHOT_ENV = "SER_BENCH_SRC"


def ensure_importable() -> None:
    """Import from ``$SER_BENCH_SRC`` if set (run_all's snapshot of the source tree, so that edits
    made during a run do not mix versions), else the installed package, else this checkout."""
    snapshot = os.environ.get(SNAPSHOT_ENV)
    if snapshot:
        sys.path.insert(0, snapshot)
    elif importlib.util.find_spec("static_embed_runner") is None:
        sys.path.insert(0, str(SOURCE_PACKAGE.parent))


class Runner(Contender):
    kind = "runner"

    @staticmethod
    def add_arguments(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--table", choices=("q4", "f32"), default="f32")
        parser.add_argument("--backend", choices=("auto", "lite", "tokenizers"), default="lite")

    def __init__(self, args: argparse.Namespace) -> None:
        super().__init__(args)
        self.requirement_roots = (
            ("numpy", "tokenizers") if args.backend == "tokenizers" else ("numpy",)
        )

    def forwarded_args(self) -> list[str]:
        return ["--table", self.args.table, "--backend", self.args.backend]

    def storage(self) -> str:
        """How the loaded table is held: ``table="f32"`` decodes or widens it to float32 at load,
        ``table="q4"`` keeps what the files store (4-bit, float16, ...)."""
        return "f32" if self.args.table == "f32" else MODELS[self.args.model].stored

    def label(self) -> str:
        return f"static-embed-runner ({self.storage()}, {self.args.backend})"

    def artifact_name(self, model_format: str) -> str:
        return f"runner_{model_format}_{self.storage()}_{self.args.backend}"

    def import_library(self) -> None:
        global StaticEmbedRunner
        ensure_importable()
        from static_embed_runner import StaticEmbedRunner

    def load(self, model_dir: Path) -> Any:
        return StaticEmbedRunner.load(
            model_dir, table=self.args.table, tokenizer_backend=self.args.backend
        )

    def encode(self, model: Any, texts: list[str]) -> Any:
        return model.encode(texts, batch_size=self.args.batch_size)

    def encode_one(self, model: Any, text: str) -> Any:
        return model.encode(text)

    def extra_package_dirs(self) -> list[Path]:
        ensure_importable()
        spec = importlib.util.find_spec("static_embed_runner")
        if spec is None or spec.origin is None:
            return []
        return [Path(spec.origin).parent]


if __name__ == "__main__":
    raise SystemExit(contender_main(Runner, __file__, __doc__.splitlines()[0]))
