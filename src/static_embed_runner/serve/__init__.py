"""The embedding server (extra ``serve``): OpenAI- and TEI-compatible routes over a micro-batching
queue, on Starlette and uvicorn, with Prometheus metrics.

``import static_embed_runner`` never imports this package; importing it without the extra raises
an ``ImportError`` that names the extra to install.

>>> from static_embed_runner.serve import ServeSettings, create_app  # doctest: +SKIP
>>> app = create_app(ServeSettings(models=["./my-model"]))  # doctest: +SKIP
"""

from __future__ import annotations

from importlib.util import find_spec

_REQUIRED = ("starlette", "uvicorn", "orjson", "prometheus_client", "swagger_ui_bundle")
_missing = [name for name in _REQUIRED if find_spec(name) is None]
if _missing:
    raise ImportError(
        f'the server needs {", ".join(_missing)}: pip install "static-embed-runner[serve]"'
    )

from .app import create_app  # noqa: E402
from .settings import ModelSpec, ServeSettings  # noqa: E402

__all__ = ["ModelSpec", "ServeSettings", "create_app"]
