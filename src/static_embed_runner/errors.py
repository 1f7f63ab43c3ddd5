"""One exception hierarchy for every failure a user can act on.

Every error raised by the package derives from :class:`StaticEmbedRunnerError`, and also from the
built-in exception a caller would naturally catch (``ValueError`` for malformed files,
``FileNotFoundError`` for missing ones, ``OSError`` for network and disk problems), so both
``except StaticEmbedRunnerError`` and ``except ValueError`` work. Messages name the file, the field,
what was expected and what was found.
"""

from __future__ import annotations


class StaticEmbedRunnerError(Exception):
    """Base class of every error raised by static-embed-runner."""


class ModelFormatError(StaticEmbedRunnerError, ValueError):
    """A model file exists but its content is not what the detected layout requires."""


class SafetensorsError(ModelFormatError):
    """A ``.safetensors`` file is truncated, corrupt, or describes tensors inconsistently."""


class UnknownModelLayoutError(ModelFormatError):
    """A directory holds no layout this package knows how to load."""


class ModelFileNotFoundError(StaticEmbedRunnerError, FileNotFoundError):
    """A file the detected layout needs is missing (or the model path itself does not exist)."""


class TokenizerFormatError(ModelFormatError):
    """``tokenizer.json`` is not valid JSON or a component is missing a required field."""


class UnsupportedTokenizerError(StaticEmbedRunnerError, NotImplementedError):
    """The pure-Python tokenizer cannot reproduce a component and no fallback is available."""


class TokenizerInputError(StaticEmbedRunnerError, ValueError):
    """A text cannot be tokenized (for example it contains a lone surrogate)."""


class HubError(StaticEmbedRunnerError, OSError):
    """A Hugging Face Hub download or cache lookup failed."""


class RepositoryNotFoundError(HubError):
    """The Hub answered 404 for the repository or revision."""


class GatedRepoError(HubError):
    """The Hub answered 401/403: the repository is gated or private and the token lacks access."""


class OfflineModeError(HubError):
    """``HF_HUB_OFFLINE`` is set (or the Hub is unreachable) and the model is not in the cache."""


class DownloadIntegrityError(HubError):
    """A downloaded file does not match the size or sha256 the Hub announced."""


class WorkerError(StaticEmbedRunnerError, RuntimeError):
    """A worker process of an encode pool died (killed, out of memory, crashed); the pool is
    closed."""


class StoreError(StaticEmbedRunnerError, ValueError):
    """An embedding store file is not a store this package wrote, or it is damaged."""


def is_failure(exc: BaseException) -> bool:
    """Whether ``exc`` is a failure to report rather than a request to stop: any ``Exception``,
    or a Rust panic from a compiled extension (``pyo3_runtime.PanicException``, which derives from
    ``BaseException`` so that ``except Exception`` misses it); never ``KeyboardInterrupt``,
    ``SystemExit`` or ``GeneratorExit``."""
    if isinstance(exc, Exception):
        return True
    kind = type(exc)
    return kind.__name__ == "PanicException" and kind.__module__ == "pyo3_runtime"
