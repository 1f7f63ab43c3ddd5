"""static-embed-runner 0.1.0, the package on PyPI, as a contender, in its own virtualenv
(bench/.venv-v010): ``StaticEmbedRunner.load(dir)`` with its defaults (``table="q4"``,
``tokenizer_backend="auto"``, which is its pure-Python tokenizer there: only numpy is installed).

It shares this package's import name, so the child drops every ``sys.path`` entry outside its
own interpreter's prefix (a ``PYTHONPATH`` or ``$SER_BENCH_SRC`` pointing at this checkout) before
importing, and checks that what it imported is version 0.1.0 from that prefix.

    bench/setup_v010_baseline.sh
    python bench/bench_v010.py --model m2v-minilm-l6 --python bench/.venv-v010/bin/python
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from harness import BENCH_DIR, Contender, contender_main

VERSION = "0.1.0"


class V010(Contender):
    kind = "v010"
    requirement_roots = ("static-embed-runner",)

    def label(self) -> str:
        return f"static-embed-runner {VERSION} (PyPI)"

    def artifact_name(self, model_format: str) -> str:
        return f"v010_{model_format}"

    def import_library(self) -> None:
        global StaticEmbedRunner
        prefix = os.path.realpath(sys.prefix)
        keep = (prefix, os.path.realpath(sys.base_prefix), str(BENCH_DIR))
        sys.path[:] = [e for e in sys.path if os.path.realpath(e or ".").startswith(keep)]
        import static_embed_runner
        from static_embed_runner import StaticEmbedRunner

        where = os.path.realpath(static_embed_runner.__file__)
        if static_embed_runner.__version__ != VERSION or not where.startswith(prefix):
            raise SystemExit(
                f"expected static-embed-runner {VERSION} from {prefix}, imported "
                f"{static_embed_runner.__version__} from {where}: run bench/setup_v010_baseline.sh "
                "and pass --python bench/.venv-v010/bin/python"
            )

    def load(self, model_dir: Path) -> Any:
        return StaticEmbedRunner.load(str(model_dir))

    def encode(self, model: Any, texts: list[str]) -> Any:
        return model.encode(texts)

    def encode_one(self, model: Any, text: str) -> Any:
        return model.encode(text)


if __name__ == "__main__":
    raise SystemExit(contender_main(V010, __file__, __doc__.splitlines()[0]))
