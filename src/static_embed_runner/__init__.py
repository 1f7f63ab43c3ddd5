"""static-embed-runner: sentence embeddings from static-embedding models, numpy only.

>>> from static_embed_runner import StaticEmbedRunner
>>> runner = StaticEmbedRunner.load()  # the embedded default model  # doctest: +SKIP
>>> runner.encode(["A cat sits on the mat."]).shape  # doctest: +SKIP
(1, 256)
"""

from typing import TYPE_CHECKING

from .errors import (
    DownloadIntegrityError,
    GatedRepoError,
    HubError,
    ModelFileNotFoundError,
    ModelFormatError,
    OfflineModeError,
    RepositoryNotFoundError,
    SafetensorsError,
    StaticEmbedRunnerError,
    StoreError,
    TokenizerFormatError,
    TokenizerInputError,
    UnknownModelLayoutError,
    UnsupportedTokenizerError,
    WorkerError,
)
from .quantize import (
    dequantize_embeddings,
    faiss_binary_codes,
    quantization_ranges,
    quantize_embeddings,
    rescore,
)
from .runner import StaticEmbedRunner
from .similarity import semantic_search, similarity, similarity_pairwise
from .tokenizer import Tokenizer

if TYPE_CHECKING:
    from .store import EmbeddingStore

__version__ = "0.1.0"

__all__ = [
    "DownloadIntegrityError",
    "EmbeddingStore",
    "GatedRepoError",
    "HubError",
    "ModelFileNotFoundError",
    "ModelFormatError",
    "OfflineModeError",
    "RepositoryNotFoundError",
    "SafetensorsError",
    "StaticEmbedRunner",
    "StaticEmbedRunnerError",
    "StoreError",
    "Tokenizer",
    "TokenizerFormatError",
    "TokenizerInputError",
    "UnknownModelLayoutError",
    "UnsupportedTokenizerError",
    "WorkerError",
    "__version__",
    "dequantize_embeddings",
    "faiss_binary_codes",
    "quantization_ranges",
    "quantize_embeddings",
    "rescore",
    "semantic_search",
    "similarity",
    "similarity_pairwise",
]


def __getattr__(name: str) -> object:
    """``EmbeddingStore`` on first use, so importing the package does not import sqlite3."""
    if name == "EmbeddingStore":
        from .store import EmbeddingStore

        return EmbeddingStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
