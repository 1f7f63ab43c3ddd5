"""sentence-transformers + torch (CPU) baseline, run in its own virtualenv (bench/.venv-st).

The model directory it loads is the model itself for sentence-transformers layouts and the
``st/`` copy of the same table for the others (see models.py). Normalisation is part of the
saved pipeline (a ``Normalize`` module), as in the runtime's default.

    bench/setup_baseline_env.sh
    python bench/bench_baseline.py --model st-en-30k-1024 --python bench/.venv-st/bin/python
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from harness import Contender, contender_main


class SentenceTransformersBaseline(Contender):
    kind = "sentence-transformers"
    requirement_roots = ("sentence-transformers", "torch")

    def label(self) -> str:
        return "sentence-transformers + torch"

    def artifact_name(self, model_format: str) -> str:
        return f"baseline_sentence-transformers_{model_format}"

    def import_library(self) -> None:
        global SentenceTransformer
        from sentence_transformers import SentenceTransformer

    def load(self, model_dir: Path) -> Any:
        return SentenceTransformer(str(_st_dir(model_dir)), device="cpu")

    def files_read(self, model_dir: Path) -> list[Path]:
        return sorted(p for p in _st_dir(model_dir).rglob("*") if p.is_file())

    def encode(self, model: Any, texts: list[str]) -> Any:
        return model.encode(texts, batch_size=self.args.batch_size, show_progress_bar=False)

    def encode_one(self, model: Any, text: str) -> Any:
        return model.encode(text, show_progress_bar=False)


def _st_dir(model_dir: Path) -> Path:
    """The model itself for sentence-transformers layouts, else its ``st/`` copy (models.py)."""
    return model_dir / "st" if (model_dir / "st").is_dir() else model_dir


if __name__ == "__main__":
    raise SystemExit(
        contender_main(SentenceTransformersBaseline, __file__, __doc__.splitlines()[0])
    )
