"""StaticEmbedRunner: ``load()`` wires files -> layout -> tokenizer; ``encode()`` runs the pipeline.

encode, each step only where the layout's semantics ask for it: prepend the prompt (the caller's,
else the model's default) -> cut strings -> tokenize -> drop the unknown token -> mean-pool ->
head -> Matryoshka truncation -> L2 normalisation.

>>> runner = StaticEmbedRunner.load()  # doctest: +SKIP
>>> runner.encode(["a text", "another"]).shape  # doctest: +SKIP
(2, 256)
"""

from __future__ import annotations

import hashlib
import numbers
import re
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from itertools import chain
from pathlib import Path
from typing import Literal

import numpy as np

from .errors import ModelFileNotFoundError, ModelFormatError
from .formats.base import EncodeSemantics, ModelParts
from .formats.detect import detect_layout
from .head import Head, l2_normalize, truncate
from .io.prefetch import prefetch as start_prefetch
from .io.prefetch import usable_cpus
from .io.table import Table
from .pooling import RowScratch, block_bytes_for, mean_pool, mean_pool_one
from .tokenizer.backend import BACKENDS, Backend, TokenizerLike, load_tokenizer
from .tokenizer.truncation import Truncation

TABLES = ("q4", "f32")
_DIRECTIONS = ("right", "left")
_PLAIN_INT = {int}
DEFAULT_MODEL_DIR = Path(__file__).resolve().parent / "data" / "default_model"
DEFAULT_BATCH_SIZE = 1024
# encode's max_length: a token count, None (no limit), or "model": the model's own limit
# (tokenizer.json's truncation for sentence-transformers and SSE models, config.json's
# max_length for Model2Vec models).
MaxLength = int | None | Literal["model"]
_REPO_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
# What the background warm-up makes room for, a first batch of a few hundred sentences: about
# 1,200 distinct tokens to decode (2.5 MiB at 512-d float32), and the sums of 256 texts beside
# one bucket of gathered rows (see pooling.block_bytes_for). A larger batch grows the buffers.
_RESERVED_ROWS = 1280
_RESERVED_TEXTS = 256


class StaticEmbedRunner:
    """A loaded static-embedding model; safe to share between threads (its only mutable state
    is the tokenizer's bounded cache and a lock-guarded pooling buffer)."""

    def __init__(
        self, parts: ModelParts, tokenizer: TokenizerLike, scratch: RowScratch | None = None
    ) -> None:
        self._table: Table = parts.table
        self._scratch = RowScratch() if scratch is None else scratch
        self._head: Head | None = parts.head
        self._semantics: EncodeSemantics = parts.semantics
        self.tokenizer = tokenizer
        self.model_format: str = parts.format
        self.dim: int = parts.table.dim
        self.vocab_size: int = parts.table.vocab_size  # rows in the table: ids 0..vocab_size-1
        self._unk_id = tokenizer.unk_token_id if parts.semantics.drop_unk else None
        # The model's identity for caches: load() sets it from the files (the same files give
        # the same fingerprint in every process); a runner built otherwise gets a unique one.
        self.fingerprint: str = uuid.uuid4().hex
        # Where load() found the model, so that adapters can store the model by reference and load
        # it again: the folder (absolute) or the Hub id with its revision; None for the embedded
        # default model.
        self.source: str | None = None
        self.revision: str | None = None
        self._default_steps = _TokenSteps(
            parts.semantics.default_prompt, parts.semantics.char_limit, tokenizer, self._unk_id
        )

    @classmethod
    def load(
        cls,
        path: str | Path | None = None,
        *,
        table: str = "q4",
        tokenizer_backend: Backend = "auto",
        revision: str | None = None,
        prefetch: bool | None = None,
    ) -> StaticEmbedRunner:
        """Load a model folder, a Hub repository ("org/name") or, with no path, the default model.

        ``table="q4"`` keeps a packed 4-bit table packed and a float16/bfloat16 table memory-mapped
        as stored (a batch decodes only its rows); ``"f32"`` converts either to an in-memory
        float32 table once at load. float32, float64 and int8 tables are memory-mapped as stored
        either way. Vectors are identical. ``tokenizer_backend``: ``"auto"``, ``"lite"`` (pure
        Python) or ``"tokenizers"`` (the Rust package).

        ``prefetch``: map a memory-mapped table's pages in a background thread while the tokenizer
        loads, so the first batch does not pay a page fault per row (see :mod:`.io.prefetch`);
        that thread also allocates the buffer a batch gathers its tokens' rows into and, for a
        table whose rows are decoded (4-bit, float16, mapped), the buffer they are decoded into
        (see :class:`.pooling.RowScratch`). The table's pages then count as resident memory
        (shared with the page cache, not copied). None (default) prefetches when the process may
        use at least two CPUs; False never does, True always does.
        """
        if table not in TABLES:
            raise ValueError(f"table must be one of {TABLES}, got {table!r}")
        if tokenizer_backend not in BACKENDS:
            raise ValueError(
                f"tokenizer_backend must be one of {BACKENDS}, got {tokenizer_backend!r}"
            )
        if prefetch is not None and not isinstance(prefetch, bool):
            raise TypeError(f"prefetch must be True, False or None, got {prefetch!r}")
        directory = _resolve(path, revision)
        parts = detect_layout(directory).load(directory, table)
        scratch = RowScratch()
        if prefetch or (prefetch is None and usable_cpus() >= 2):
            start_prefetch(parts.table.stored_arrays(), then=_reserve_for(parts.table, scratch))
        tokenizer = load_tokenizer(parts.tokenizer_file, tokenizer_backend)
        parts = replace(parts, semantics=parts.semantics.for_vocab(tokenizer.get_vocab))
        tokenizer = _configure(tokenizer, parts)
        vocab_size = tokenizer.get_vocab_size()
        if vocab_size > parts.table.vocab_size:
            raise ModelFormatError(
                f"{directory}: the tokenizer has {vocab_size} tokens but the token table has only "
                f"{parts.table.vocab_size} rows; ids {parts.table.vocab_size}..{vocab_size - 1} "
                f"would have no vector"
            )
        runner = cls(parts, tokenizer, scratch)
        runner.fingerprint = _fingerprint(directory)
        if path is not None:
            from_hub = not Path(path).expanduser().is_dir()
            runner.source = str(path) if from_hub else str(directory.resolve())
            runner.revision = revision if from_hub else None
        return runner

    @property
    def prompts(self) -> dict[str, str]:
        """The model's named prompts (sentence-transformers' ``prompts``; empty for other
        layouts): ``encode(prompt_name=name)`` prepends ``prompts[name]`` to every text."""
        return dict(self._semantics.prompts)

    @property
    def normalize_default(self) -> bool:
        """Whether the model's own library L2-normalises by default (``normalize=None``)."""
        return self._semantics.normalize_default

    @property
    def default_prompt_name(self) -> str | None:
        """The prompt ``encode`` prepends when given neither ``prompt`` nor ``prompt_name``."""
        return self._semantics.default_prompt_name

    def encode(
        self,
        texts: str | Iterable[str],
        *,
        prompt_name: str | None = None,
        prompt: str | None = None,
        max_length: MaxLength = "model",
        normalize: bool | None = True,
        truncate_dim: int | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
    ) -> np.ndarray:
        """Embed a text (-> ``(dim,)``) or a list of texts (-> ``(n, dim)``); float32, C-contiguous.

        ``prompt_name`` prepends the model's prompt of that name (see :attr:`prompts`), ``prompt``
        prepends the given string; with neither, the model's default prompt applies, if it has
        one (as ``SentenceTransformer.encode``; giving both is a ``ValueError`` here, where
        sentence-transformers ignores the name). ``max_length`` keeps ``max_length`` tokens of
        each text (None: all of them) instead of the model's own limit: the first ones, or the
        last where tokenizer.json truncates from the left; for a Model2Vec model it is
        ``StaticModel.encode(max_length=...)``, which also cuts each string first.
        ``normalize``: True (default) L2-normalises, False returns the raw mean (after the head),
        None does what the model's reference library does by default. ``truncate_dim`` keeps the
        first dimensions (Matryoshka) before normalising. ``batch_size`` bounds how many texts are
        tokenized at once; it does not change the result.
        """
        out_dim = self.dim if truncate_dim is None else self._check_truncate_dim(truncate_dim)
        if type(batch_size) is not int or batch_size < 1:
            _check_batch_size(batch_size)
        if normalize is None:
            normalize = self._semantics.normalize_default
        steps = self._steps(prompt_name, prompt, max_length)
        if isinstance(texts, str):  # one text: the chunk below without the batch bookkeeping
            return self._embed_one(texts, steps, out_dim, normalize)
        batch = _check_texts(texts)
        step = int(batch_size)
        if len(batch) <= step:  # one chunk: its own fresh array is the result, not copied
            return self._embed(batch, steps, out_dim, normalize)
        out = np.empty((len(batch), out_dim), dtype=np.float32)
        for start in range(0, len(batch), step):
            chunk = batch[start : start + step]
            out[start : start + len(chunk)] = self._embed(chunk, steps, out_dim, normalize)
        return out

    def encode_query(
        self,
        texts: str | Iterable[str],
        *,
        prompt_name: str | None = None,
        prompt: str | None = None,
        max_length: MaxLength = "model",
        normalize: bool | None = True,
        truncate_dim: int | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
    ) -> np.ndarray:
        """:meth:`encode` for search queries: without ``prompt`` or ``prompt_name``, the model's
        ``query`` prompt (empty unless the model defines it), as
        ``SentenceTransformer.encode_query``."""
        return self.encode(
            texts,
            prompt_name=self._role_prompt_name("query", prompt_name, prompt),
            prompt=prompt,
            max_length=max_length,
            normalize=normalize,
            truncate_dim=truncate_dim,
            batch_size=batch_size,
        )

    def encode_document(
        self,
        texts: str | Iterable[str],
        *,
        prompt_name: str | None = None,
        prompt: str | None = None,
        max_length: MaxLength = "model",
        normalize: bool | None = True,
        truncate_dim: int | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
    ) -> np.ndarray:
        """:meth:`encode` for the searched documents: without ``prompt`` or ``prompt_name``, the
        model's ``document`` prompt (empty unless the model defines it), as
        ``SentenceTransformer.encode_document``, which looks for ``passage`` and ``corpus`` only
        when ``document`` is missing, and it never is in a loaded sentence-transformers model."""
        return self.encode(
            texts,
            prompt_name=self._role_prompt_name("document", prompt_name, prompt),
            prompt=prompt,
            max_length=max_length,
            normalize=normalize,
            truncate_dim=truncate_dim,
            batch_size=batch_size,
        )

    def _role_prompt_name(
        self, role: str, prompt_name: str | None, prompt: str | None
    ) -> str | None:
        return role_prompt_name(role, prompt_name, prompt, self._semantics.prompts)

    def _steps(
        self,
        prompt_name: str | None,
        prompt: str | None,
        max_length: MaxLength,
        direction: str | None = None,
    ) -> _TokenSteps:
        """How one call turns strings into ids, from its prompt, ``max_length`` and truncation
        direction arguments (``direction`` None: the model's own, :attr:`truncation_direction`)."""
        if direction is not None and direction not in _DIRECTIONS:
            raise ValueError(f"truncation_direction must be 'right' or 'left', got {direction!r}")
        own_direction = direction is None or direction == self.truncation_direction
        if prompt_name is None and prompt is None:
            if isinstance(max_length, str) and max_length == "model" and own_direction:
                return self._default_steps
            prefix = self._semantics.default_prompt
        else:
            prefix = self._resolve_prompt(prompt_name, prompt)
        if isinstance(max_length, str):
            if max_length != "model":
                raise ValueError(f"max_length must be an int, None or 'model', got {max_length!r}")
            if own_direction:
                return _TokenSteps(prefix, self._semantics.char_limit, self.tokenizer, self._unk_id)
            max_length = self.max_tokens
        if max_length is None:
            limit = truncation = None
        else:
            if not _is_integer(max_length):
                raise TypeError(f"max_length must be an int, None or 'model', got {max_length!r}")
            if max_length < 0:
                raise ValueError(f"max_length must be >= 0 or None, got {max_length}")
            limit = int(max_length)
            truncation = Truncation(limit, direction or self._cut_direction())
        tokenizer = self.tokenizer.with_truncation(truncation)  # replaces the model's own
        # A string cut keeps a text's start, so it only goes with keeping the first tokens.
        char_limit = self._semantics.char_limit_for(limit) if own_direction else None
        return _TokenSteps(prefix, char_limit, tokenizer, self._unk_id)

    @property
    def max_tokens(self) -> int | None:
        """The model's own token limit, what ``max_length="model"`` keeps (None: no limit)."""
        own = self.tokenizer.truncation
        return None if own is None else own.max_length

    @property
    def truncation_direction(self) -> str:
        """Which end the model's own limit and an explicit ``max_length`` keep: ``"right"``
        keeps the first tokens, ``"left"`` the last (tokenizer.json's direction, where the
        layout applies that block)."""
        return self._cut_direction()

    def _cut_direction(self) -> str:
        """Which end a caller's ``max_length`` keeps: tokenizer.json's truncation direction where
        the layout applies that block, else the start (model2vec replaces the block)."""
        own = self.tokenizer.truncation
        if own is not None and self._semantics.apply_tokenizer_truncation:
            return own.direction
        return "right"

    def _resolve_prompt(self, prompt_name: str | None, prompt: str | None) -> str:
        """The string a call's ``prompt_name`` or ``prompt`` prepends (one of them given)."""
        if prompt is not None:
            if prompt_name is not None:
                raise ValueError(
                    f"give prompt or prompt_name, not both (got prompt={prompt!r} and "
                    f"prompt_name={prompt_name!r})"
                )
            if not isinstance(prompt, str):
                raise TypeError(f"prompt must be a str, got {type(prompt).__name__}")
            return prompt
        if not isinstance(prompt_name, str):
            raise TypeError(f"prompt_name must be a str, got {type(prompt_name).__name__}")
        prompts = self._semantics.prompts
        if prompt_name not in prompts:
            known = ", ".join(repr(name) for name in prompts) or "none"
            raise ValueError(
                f"prompt_name {prompt_name!r} is not one of this model's prompts ({known})"
            )
        return prompts[prompt_name]

    def _embed(
        self, texts: list[str], steps: _TokenSteps, out_dim: int, normalize: bool
    ) -> np.ndarray:
        """One chunk of texts -> a new ``(len(texts), out_dim)`` float32 array.

        Head and normalisation work in place on the pooled array: every extra output-sized
        array would cost a page fault per 4 KiB in a process's first batches."""
        return self._pool(steps.batch(texts), out_dim, normalize)

    def _pool(self, ids: list[list[int]], out_dim: int, normalize: bool) -> np.ndarray:
        """Token ids -> a new ``(len(ids), out_dim)`` float32 array (see :meth:`_embed`)."""
        vectors = mean_pool(ids, self._table, scratch=self._scratch)
        if self._head is not None:
            self._head(vectors, out=vectors)
            empty = [i for i, seq in enumerate(ids) if not seq]
            if empty:
                vectors[empty] = 0.0  # no tokens -> zeros, head or not
        vectors = truncate(vectors, out_dim)
        return l2_normalize(vectors, out=vectors) if normalize else vectors

    def _embed_one(
        self, text: str, steps: _TokenSteps, out_dim: int, normalize: bool
    ) -> np.ndarray:
        """``_embed([text], ...)[0]``, the same operations on one ``(dim,)`` vector."""
        ids = steps.one(text)
        vector = mean_pool_one(ids, self._table)
        if self._head is not None and ids:  # no tokens -> zeros, head or not
            self._head(vector, out=vector)
        vector = truncate(vector, out_dim)
        return l2_normalize(vector, out=vector) if normalize else vector

    def token_ids(
        self,
        texts: str | Iterable[str],
        *,
        prompt_name: str | None = None,
        prompt: str | None = None,
        max_length: MaxLength = "model",
        truncation_direction: str | None = None,
    ) -> list[list[int]]:
        """The ids each text averages over, after the prompt and the cuts :meth:`encode` applies
        with the same arguments, and the unknown token's removal where the layout drops it.

        ``truncation_direction`` (``"right"`` or ``"left"``) chooses which end a limit keeps in
        place of :attr:`truncation_direction`; keeping the last tokens tokenizes the whole text
        (no string cut). ``embed_ids(token_ids(texts, ...))`` equals ``encode(texts, ...)``."""
        steps = self._steps(prompt_name, prompt, max_length, truncation_direction)
        return steps.batch(_check_texts(texts))

    def embed_ids(
        self,
        token_ids: Sequence[Sequence[int]],
        *,
        normalize: bool | None = True,
        truncate_dim: int | None = None,
    ) -> np.ndarray:
        """Embed pre-tokenized texts: the mean of each list's rows, then head, truncation and
        normalisation as in :meth:`encode` -> ``(len(token_ids), dim)`` float32. The ids are used
        as given (no prompt, no limit, the unknown token kept); an id outside the vocabulary
        raises ``ValueError``."""
        return self._embed_known_ids(
            _check_ids(token_ids, self._table.vocab_size), normalize, truncate_dim
        )

    def _embed_known_ids(
        self, token_ids: list[list[int]], normalize: bool | None, truncate_dim: int | None
    ) -> np.ndarray:
        """:meth:`embed_ids` for lists of ints already known to be in range (the tokenizer's,
        or checked by the caller, as the server does)."""
        out_dim = self._check_truncate_dim(truncate_dim)
        if normalize is None:
            normalize = self._semantics.normalize_default
        return self._pool(token_ids, out_dim, normalize)

    def _check_truncate_dim(self, truncate_dim: int | None) -> int:
        if truncate_dim is None:
            return self.dim
        if not _is_integer(truncate_dim):
            raise TypeError(f"truncate_dim must be an int or None, got {truncate_dim!r}")
        truncate_dim = int(truncate_dim)
        if not 1 <= truncate_dim <= self.dim:
            raise ValueError(
                f"truncate_dim must be between 1 and the model dimension {self.dim}, "
                f"got {truncate_dim}"
            )
        return truncate_dim

    def __repr__(self) -> str:
        return (
            f"StaticEmbedRunner(format={self.model_format!r}, dim={self.dim}, "
            f"vocab={self._table.vocab_size}, table={self._table.storage!r}, "
            f"tokenizer={self.tokenizer.backend!r})"
        )


class _TokenSteps:
    """Strings -> the ids they average, for one call: prepend ``prefix``, cut each string to
    ``char_limit`` characters, tokenize (with the tokenizer's truncation), drop ``unk_id``."""

    __slots__ = ("char_limit", "prefix", "tokenizer", "unk_id")

    def __init__(
        self, prefix: str, char_limit: int | None, tokenizer: TokenizerLike, unk_id: int | None
    ) -> None:
        self.prefix = prefix
        self.char_limit = char_limit
        self.tokenizer = tokenizer
        self.unk_id = unk_id

    def batch(self, texts: list[str]) -> list[list[int]]:
        prefix = self.prefix
        if prefix:
            texts = [prefix + text for text in texts]
        limit = self.char_limit
        if limit is not None:
            texts = [text[:limit] for text in texts]
        ids = self.tokenizer.encode_batch(texts)
        unk = self.unk_id
        if unk is not None:
            ids = [[i for i in seq if i != unk] if unk in seq else seq for seq in ids]
        return ids

    def one(self, text: str) -> list[int]:
        """``batch([text])[0]`` through the tokenizer's one-text call."""
        text = self.prefix + text
        limit = self.char_limit
        if limit is not None:
            text = text[:limit]
        ids = self.tokenizer.encode(text)
        unk = self.unk_id
        if unk is not None and unk in ids:
            return [i for i in ids if i != unk]
        return ids


def role_prompt_name(
    role: str, prompt_name: str | None, prompt: str | None, prompts: Mapping[str, str]
) -> str | None:
    """``encode_query``/``encode_document``'s choice (``role`` is ``"query"`` or
    ``"document"``): the caller's prompt if given one, else the model's prompt named ``role``
    if it has one, else the default (None)."""
    if prompt_name is None and prompt is None and role in prompts:
        return role
    return prompt_name


def _for_role(role: str, options: dict, prompts: Mapping[str, str]) -> dict:
    """``options`` with the prompt ``encode_query``/``encode_document`` choose."""
    name = role_prompt_name(role, options.get("prompt_name"), options.get("prompt"), prompts)
    return {**options, "prompt_name": name}


def _reserve_for(table: Table, scratch: RowScratch) -> Callable[[], None]:
    """The warm-up step that sizes ``scratch`` for ``table``: its gathered token blocks, and the
    decoded rows and distinct-id marks of a table that decodes its rows."""
    row_bytes = table.dim * table.compute_dtype.itemsize
    block_bytes = block_bytes_for(_RESERVED_TEXTS, row_bytes)
    if table.direct_rows() is not None:
        return lambda: scratch.reserve(0, block_bytes=block_bytes)
    return lambda: scratch.reserve(_RESERVED_ROWS * row_bytes, table.vocab_size, block_bytes)


def _configure(tokenizer: TokenizerLike, parts: ModelParts) -> TokenizerLike:
    semantics = parts.semantics
    if semantics.token_limit is not None:
        return tokenizer.with_truncation(Truncation(semantics.token_limit))
    if not semantics.apply_tokenizer_truncation:
        return tokenizer.with_truncation(None)
    return tokenizer


def _is_integer(value: object) -> bool:
    """An int or numpy integer, not a bool."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _check_batch_size(batch_size: object) -> None:
    if not _is_integer(batch_size) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")


def _check_texts(texts: object) -> list[str]:
    if isinstance(texts, str):
        return [texts]
    if texts is None or isinstance(texts, (bytes, bytearray)) or not isinstance(texts, Iterable):
        raise TypeError(f"texts must be a str or a list of str, got {type(texts).__name__}")
    batch = list(texts)
    for index, text in enumerate(batch):
        if not isinstance(text, str):
            raise TypeError(f"texts[{index}] must be a str, got {type(text).__name__}")
    return batch


def _check_ids(token_ids: object, vocab_size: int) -> list[list[int]]:
    if isinstance(token_ids, (str, bytes, bytearray)) or not isinstance(token_ids, Iterable):
        raise TypeError(f"token_ids must be a list of lists of int, got {type(token_ids).__name__}")
    batch = []
    for index, seq in enumerate(token_ids):
        if type(seq) is not list:
            if isinstance(seq, (str, bytes, bytearray)) or not isinstance(seq, Iterable):
                kind = type(seq).__name__
                raise TypeError(f"token_ids[{index}] must be a list of int, got {kind}")
            seq = list(seq)
        batch.append(seq)
    # One pass over all ids for the common case, lists of plain ints in range (what the
    # tokenizer returns); the per-list pass below only runs to convert or to name the culprit.
    flat = list(chain.from_iterable(batch))
    if set(map(type, flat)) <= _PLAIN_INT and (
        not flat or 0 <= min(flat) <= max(flat) < vocab_size
    ):
        return batch
    for index, ids in enumerate(batch):
        if not all(_is_integer(i) for i in ids):
            raise TypeError(f"token_ids[{index}] must hold only ints")
        ids = [int(i) for i in ids]
        if ids and not 0 <= min(ids) <= max(ids) < vocab_size:
            bad = next(i for i in ids if not 0 <= i < vocab_size)
            raise ValueError(
                f"token_ids[{index}] holds {bad}, outside the model's ids 0..{vocab_size - 1}"
            )
        batch[index] = ids
    return batch


def _fingerprint(directory: Path) -> str:
    """A digest of a model folder's files by relative path, size and modification time."""
    digest = hashlib.blake2b(digest_size=16)
    for file in sorted(directory.rglob("*")):
        if file.is_file():
            stat = file.stat()
            relative = file.relative_to(directory).as_posix()
            digest.update(f"{relative}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def _resolve(path: str | Path | None, revision: str | None) -> Path:
    if path is None:
        if not DEFAULT_MODEL_DIR.is_dir():
            raise ModelFileNotFoundError(
                f"the embedded default model is missing from {DEFAULT_MODEL_DIR}; "
                f"reinstall static-embed-runner or pass a model path"
            )
        return DEFAULT_MODEL_DIR
    local = Path(path).expanduser()
    if local.is_dir():
        return local
    if local.exists():
        raise ModelFileNotFoundError(f"{local}: expected a model folder, found a file")
    if isinstance(path, str) and _REPO_ID.match(path):
        from .io.hub import snapshot_download

        return Path(snapshot_download(path, revision=revision))
    raise ModelFileNotFoundError(
        f"{path}: no such model folder (and not a Hugging Face repository id like 'org/name')"
    )
