"""model2vec contender: ``StaticModel.from_pretrained(dir).encode(texts)`` with its defaults.

python bench/bench_model2vec.py --model m2v-minilm-l6 [--quick]
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from harness import Contender, contender_main


class Model2Vec(Contender):
    kind = "model2vec"
    requirement_roots = ("model2vec",)

    def label(self) -> str:
        return "model2vec"

    def artifact_name(self, model_format: str) -> str:
        return f"model2vec_{model_format}"

    def import_library(self) -> None:
        global StaticModel
        from model2vec import StaticModel

    def load(self, model_dir: Path) -> Any:
        return StaticModel.from_pretrained(str(model_dir))

    def encode(self, model: Any, texts: list[str]) -> Any:
        return model.encode(texts, batch_size=self.args.batch_size, show_progress_bar=False)

    def encode_one(self, model: Any, text: str) -> Any:
        return model.encode(text)


if __name__ == "__main__":
    raise SystemExit(contender_main(Model2Vec, __file__, __doc__.splitlines()[0]))
