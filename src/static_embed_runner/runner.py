"""StaticEmbedRunner: ``load()`` wires files -> layout -> tokenizer; ``encode()`` runs the pipeline.

encode, each step only where the layout's semantics ask for it: prepend the prompt (the caller's,
else the model's default) -> cut strings -> tokenize -> drop the unknown token -> mean-pool ->
head -> Matryoshka truncation -> L2 normalisation.

>>> runner = StaticEmbedRunner.load()  # doctest: +SKIP
>>> runner.encode(["a text", "another"]).shape  # doctest: +SKIP
(2, 256)
"""

from __future__ import annotations

import numbers
import re
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import replace
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from .errors import ModelFileNotFoundError, ModelFormatError, TokenizerFormatError
from .formats.base import EncodeSemantics, ModelParts
from .formats.detect import detect_layout
from .head import Head, l2_normalize, truncate
from .io.json_file import MAX_TOKENIZER_BYTES, check_file_size
from .io.prefetch import prefetch as start_prefetch
from .io.prefetch import usable_cpus
from .io.table import Table
from .pooling import RowScratch, block_bytes_for, mean_pool, mean_pool_one
from .progress import Progress
from .quantize import PRECISIONS, Precision, quantize_embeddings
from .similarity import SimilarityFnName, check_similarity_fn_name
from .similarity import similarity as _similarity
from .similarity import similarity_pairwise as _similarity_pairwise
from .source import ModelSource, content_fingerprint, quick_fingerprint
from .tokenizer.backend import BACKENDS, Backend, TokenizerLike, load_tokenizer
from .tokenizer.truncation import Truncation

if TYPE_CHECKING:
    from collections.abc import Iterator

    from .parallel import EncodePool
    from .store import EmbeddingStore

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
        # Where and how load() read the model (folder, reference, revision, table mode, tokenizer
        # backend), so that worker processes and adapters can load it again; None for a runner
        # built otherwise.
        self.model_source: ModelSource | None = None
        self._content_fingerprint: str | None = None
        self._default_steps = _TokenSteps(
            parts.semantics.default_prompt, parts.semantics.char_limit, tokenizer, self._unk_id
        )
        self._truncate_dim: int | None = None
        self._similarity_fn_name: str = "cosine"

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

        ``prefetch``: map a memory-mapped table's pages in a background thread once the model has
        passed its checks (the table against the tokenizer's vocabulary), so the first batch does
        not pay a page fault per row (see :mod:`.io.prefetch`);
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
        check_file_size(parts.tokenizer_file, MAX_TOKENIZER_BYTES, error=TokenizerFormatError)
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
        # Only a table that passed every check is mapped in (a refused model costs no reads).
        scratch = RowScratch()
        if prefetch or (prefetch is None and usable_cpus() >= 2):
            start_prefetch(parts.table.stored_arrays(), then=_reserve_for(parts.table, scratch))
        runner = cls(parts, tokenizer, scratch)
        runner.fingerprint = quick_fingerprint(directory)
        runner.model_source = ModelSource.of(directory, path, revision, table, tokenizer_backend)
        return runner

    @property
    def source(self) -> str | None:
        """The model as ``load`` got it: its folder (absolute) or Hub id; None for the embedded
        default model or a runner not built by ``load`` (from :attr:`model_source`)."""
        return None if self.model_source is None else self.model_source.reference

    @property
    def revision(self) -> str | None:
        """The Hub revision :attr:`source` was loaded at (None: the default branch, or not a Hub
        model)."""
        return None if self.model_source is None else self.model_source.revision

    @property
    def content_fingerprint(self) -> str:
        """A digest of the model's files' bytes (table, tokenizer, config), not their path: what
        a persistent :class:`~.store.EmbeddingStore` keys vectors by. Computed on first use (a
        read of every file, about a second per GB), then kept."""
        if self._content_fingerprint is None:
            if self.model_source is None:
                raise ValueError(
                    "this runner was not built by StaticEmbedRunner.load, so it has no files "
                    "to fingerprint"
                )
            directory = self.model_source.directory
            self._content_fingerprint = content_fingerprint(directory, self.fingerprint)
        return self._content_fingerprint

    def pool(self, workers: int, *, start_method: str | None = None) -> EncodePool:
        """``workers`` processes that encode with this model, each loading it from its files
        (see :class:`~.parallel.EncodePool`); use it as a context manager."""
        from .parallel import EncodePool

        return EncodePool(self, workers, start_method=start_method)

    def encode_iter(
        self,
        texts: Iterable[str],
        *,
        batch_size: int = DEFAULT_BATCH_SIZE,
        workers: int | None = None,
        store: EmbeddingStore | None = None,
        **options: Any,
    ) -> Iterator[np.ndarray]:
        """:meth:`encode` batch by batch: one ``(batch_size, dim)`` array per ``batch_size``
        texts read from ``texts`` (any iterable, read lazily; the last array shorter), so memory
        stays bounded however long the input is. ``workers``: encode on that many processes
        (a pool started for this iteration). ``store``: see :meth:`encode`."""
        from .parallel import iter_batches, iter_batches_on_pool

        if workers is None or workers == 1:
            return iter_batches(self, texts, batch_size=batch_size, store=store, **options)
        return iter_batches_on_pool(
            self, workers, texts, batch_size=batch_size, store=store, **options
        )

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

    @property
    def truncate_dim(self) -> int | None:
        """The dimensions :meth:`encode` keeps when not given ``truncate_dim`` (None: all), as
        ``SentenceTransformer.truncate_dim``; set it to an int from 1 to :attr:`dim`, or None."""
        return self._truncate_dim

    @truncate_dim.setter
    def truncate_dim(self, value: int | None) -> None:
        self._truncate_dim = None if value is None else self._check_truncate_dim(value)

    def get_embedding_dimension(self) -> int:
        """The dimension of :meth:`encode`'s vectors: :attr:`truncate_dim` if set, else
        :attr:`dim` (``SentenceTransformer.get_embedding_dimension``)."""
        return self.dim if self._truncate_dim is None else self._truncate_dim

    def get_sentence_embedding_dimension(self) -> int:
        """:meth:`get_embedding_dimension`, under sentence-transformers' older name."""
        return self.get_embedding_dimension()

    @property
    def max_seq_length(self) -> int | None:
        """sentence-transformers' name for :attr:`max_tokens`: the tokens a text keeps (None: no
        limit). Read-only, as on a sentence-transformers ``StaticEmbedding`` model (which reports
        infinity there even when tokenizer.json truncates); ``encode(max_length=...)`` sets
        another limit per call."""
        return self.max_tokens

    @max_seq_length.setter
    def max_seq_length(self, value: object) -> None:
        raise AttributeError(
            f"max_seq_length is read-only (the model's own limit, {self.max_tokens}); pass "
            f"encode(max_length={value!r}) to keep another number of tokens"
        )

    @property
    def similarity_fn_name(self) -> SimilarityFnName:
        """The function :meth:`similarity` and :meth:`similarity_pairwise` use: ``"cosine"``
        (default), ``"dot"``, ``"euclidean"`` or ``"manhattan"`` (negative distances)."""
        return self._similarity_fn_name

    @similarity_fn_name.setter
    def similarity_fn_name(self, value: SimilarityFnName) -> None:
        self._similarity_fn_name = check_similarity_fn_name(value)

    def similarity(self, embeddings1: np.ndarray, embeddings2: np.ndarray) -> np.ndarray:
        """Scores of every pair, ``(len(embeddings1), len(embeddings2))`` float32 (a 1-D input
        counts as one row), with :attr:`similarity_fn_name` (``SentenceTransformer.similarity``,
        which returns a torch tensor of the same values)."""
        return _similarity(embeddings1, embeddings2, self._similarity_fn_name)

    def similarity_pairwise(self, embeddings1: np.ndarray, embeddings2: np.ndarray) -> np.ndarray:
        """The score of each pair ``(embeddings1[i], embeddings2[i])`` with
        :attr:`similarity_fn_name` (``SentenceTransformer.similarity_pairwise``)."""
        return _similarity_pairwise(embeddings1, embeddings2, self._similarity_fn_name)

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
        normalize_embeddings: bool | None = None,
        precision: Precision = "float32",
        show_progress_bar: bool | None = None,
        convert_to_numpy: bool = True,
        convert_to_tensor: bool = False,
        workers: int | None = None,
        store: EmbeddingStore | None = None,
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
        first dimensions (Matryoshka) before normalising; without it, :attr:`truncate_dim` applies.
        ``batch_size`` bounds how many texts are tokenized at once; it does not change the result.

        sentence-transformers' keywords: ``normalize_embeddings`` is its name for ``normalize``
        (when given, it decides; giving both with different values is a ``ValueError``).
        ``precision`` (``"float32"``, ``"int8"``, ``"uint8"``, ``"binary"``, ``"ubinary"``)
        quantizes the result with :func:`~static_embed_runner.quantize_embeddings`, as
        ``SentenceTransformer.encode`` does: int8/uint8 ranges come from this call's own texts, so
        one text cannot be int8-quantized, and two calls use two scales (quantize with shared
        ``ranges`` instead, see :func:`~static_embed_runner.quantization_ranges`).
        ``show_progress_bar=True`` shows the texts done on stderr (a tqdm bar when tqdm is
        installed, else a plain counter line). ``convert_to_tensor=True`` returns a torch tensor,
        ``convert_to_numpy=False`` a list of one torch tensor per text (both need torch:
        ``pip install "static-embed-runner[torch]"``).

        ``workers``: encode on that many processes (a pool started for this call; for repeated
        calls keep one with :meth:`pool`); same bits. ``store``: an
        :class:`~.store.EmbeddingStore`: the vectors it holds for these texts and options are
        returned from it, the others computed and added.
        """
        if normalize_embeddings is not None:
            if normalize is not True and normalize is not normalize_embeddings:
                raise ValueError(
                    f"give normalize or normalize_embeddings, not both (got normalize={normalize!r}"
                    f" and normalize_embeddings={normalize_embeddings!r})"
                )
            normalize = normalize_embeddings
        if precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {PRECISIONS}, got {precision!r}")
        out_dim = self._check_truncate_dim(truncate_dim)
        if type(batch_size) is not int or batch_size < 1:
            _check_batch_size(batch_size)
        if normalize is None:
            normalize = self._semantics.normalize_default
        steps = self._steps(prompt_name, prompt, max_length)
        if (workers is not None and workers != 1) or store is not None:
            from .parallel import encode_once

            options = {
                "prompt_name": prompt_name,
                "prompt": prompt,
                "max_length": max_length,
                "normalize": normalize,
                "truncate_dim": out_dim,
                "batch_size": batch_size,
                "show_progress_bar": show_progress_bar,
            }
            out = encode_once(self, texts, workers, store, options)
        elif isinstance(texts, str) and not show_progress_bar:
            out = self._embed_one(texts, steps, out_dim, normalize)  # the batch path, minus its
        else:  # bookkeeping
            out = self._embed_batch(texts, steps, out_dim, normalize, batch_size, show_progress_bar)
        if precision != "float32":
            out = quantize_embeddings(out, precision)
        if convert_to_tensor or not convert_to_numpy:
            return _to_torch(out, as_list=not convert_to_tensor)
        return out

    def _embed_batch(
        self,
        texts: str | Iterable[str],
        steps: _TokenSteps,
        out_dim: int,
        normalize: bool,
        batch_size: int,
        show_progress_bar: bool | None,
    ) -> np.ndarray:
        """:meth:`encode`'s float32 result for texts, ``batch_size`` at a time (one text -> a
        ``(dim,)`` vector)."""
        batch = _check_texts(texts)
        step = int(batch_size)
        progress = Progress(enabled=bool(show_progress_bar), total=len(batch), delay=0.0)
        if len(batch) <= step:  # one chunk: its own fresh array is the result, not copied
            out = self._embed(batch, steps, out_dim, normalize)
            progress.update(len(batch))
        else:
            out = np.empty((len(batch), out_dim), dtype=np.float32)
            for start in range(0, len(batch), step):
                chunk = batch[start : start + step]
                out[start : start + len(chunk)] = self._embed(chunk, steps, out_dim, normalize)
                progress.update(len(chunk))
        progress.close()
        return out[0] if isinstance(texts, str) else out

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
        normalize_embeddings: bool | None = None,
        precision: Precision = "float32",
        show_progress_bar: bool | None = None,
        convert_to_numpy: bool = True,
        convert_to_tensor: bool = False,
        workers: int | None = None,
        store: EmbeddingStore | None = None,
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
            normalize_embeddings=normalize_embeddings,
            precision=precision,
            show_progress_bar=show_progress_bar,
            convert_to_numpy=convert_to_numpy,
            convert_to_tensor=convert_to_tensor,
            workers=workers,
            store=store,
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
        normalize_embeddings: bool | None = None,
        precision: Precision = "float32",
        show_progress_bar: bool | None = None,
        convert_to_numpy: bool = True,
        convert_to_tensor: bool = False,
        workers: int | None = None,
        store: EmbeddingStore | None = None,
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
            normalize_embeddings=normalize_embeddings,
            precision=precision,
            show_progress_bar=show_progress_bar,
            convert_to_numpy=convert_to_numpy,
            convert_to_tensor=convert_to_tensor,
            workers=workers,
            store=store,
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
        place of :attr:`truncation_direction`; keeping the last tokens cuts no string (a long text
        is still tokenized only as far as the kept ids need, see :mod:`.tokenizer.window`).
        ``embed_ids(token_ids(texts, ...))`` equals ``encode(texts, ...)``."""
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
        raises ``ValueError``. Without ``truncate_dim``, :attr:`truncate_dim` applies, as in
        :meth:`encode`."""
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
        """The dimension of the vectors a call with ``truncate_dim`` returns: the one resolver of
        the output dimension (None: :attr:`truncate_dim` if set, else :attr:`dim`), used by
        ``encode``, the store, the pool, the SQL functions and the framework adapters."""
        if truncate_dim is None:
            return self.get_embedding_dimension()
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


def _to_torch(vectors: np.ndarray, *, as_list: bool):
    """``vectors`` as one torch tensor, or (``as_list``) a list of one tensor per row (a vector
    stays one tensor), as ``SentenceTransformer.encode`` returns them."""
    try:
        import torch
    except ImportError:
        raise ImportError(
            "convert_to_tensor=True and convert_to_numpy=False return torch tensors, and torch is "
            'not installed: pip install "static-embed-runner[torch]" (or use the numpy array)'
        ) from None
    tensor = torch.from_numpy(vectors)
    if as_list and tensor.ndim == 2:
        return list(tensor)
    return tensor


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
    if isinstance(texts, (Mapping, AbstractSet)):  # iterating would embed keys, or in no order
        kind = type(texts).__name__
        raise TypeError(
            f"texts must be a str or a list of str, got a {kind}: pass a list, e.g. "
            f"list(texts.values()) or sorted(texts)"
        )
    if getattr(texts, "ndim", None) == 0:  # a 0-d numpy array holds one value, not a list
        raise TypeError(
            "texts must be a str or a list of str, got a 0-d array: pass texts.item() for its "
            "one text, or a 1-d array"
        )
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
