"""The LangChain adapter inside LangChain: an InMemoryVectorStore search, and the vectors it hands
over equal to the runner's own, bit for bit."""

from __future__ import annotations

import asyncio
import threading

import numpy as np
import pytest
from integrations.paraphrases import CORPUS, QUERIES
from integrations.recording import ThreadRecordingRunner, as_float32
from langchain_core.embeddings import Embeddings
from langchain_core.vectorstores import InMemoryVectorStore

from static_embed_runner.integrations.langchain import StaticEmbedRunnerEmbeddings


def test_an_in_memory_vector_store_finds_the_paraphrase_of_each_query(runner) -> None:
    embeddings = StaticEmbedRunnerEmbeddings(runner)
    assert isinstance(embeddings, Embeddings)
    store = InMemoryVectorStore(embeddings)
    store.add_texts(CORPUS, ids=[str(i) for i in range(len(CORPUS))])
    for query, expected in QUERIES.items():
        [found] = store.similarity_search(query, k=1)
        assert found.id == str(expected), query


def test_documents_and_queries_get_encode_document_and_encode_query_bits(prompted) -> None:
    embeddings = StaticEmbedRunnerEmbeddings(prompted)
    documents = as_float32(embeddings.embed_documents(CORPUS))
    assert documents.tobytes() == prompted.encode_document(CORPUS).tobytes()
    query = next(iter(QUERIES))
    assert as_float32(embeddings.embed_query(query)).tobytes() == (
        prompted.encode_query(query).tobytes()
    )
    # the prompts differ, so a swapped role would show
    assert not np.array_equal(documents, prompted.encode_query(CORPUS))


def test_truncate_dim_and_normalize_reach_the_runner(prompted, prompted_dir) -> None:
    embeddings = StaticEmbedRunnerEmbeddings(prompted_dir, truncate_dim=5, normalize=False)
    documents = as_float32(embeddings.embed_documents(CORPUS))
    expected = prompted.encode_document(CORPUS, truncate_dim=5, normalize=False)
    assert documents.tobytes() == expected.tobytes()
    assert as_float32(embeddings.embed_query("x")).tobytes() == (
        prompted.encode_query("x", truncate_dim=5, normalize=False).tobytes()
    )


def test_the_async_methods_return_the_same_vectors_from_a_worker_thread(prompted) -> None:
    embeddings = StaticEmbedRunnerEmbeddings(prompted)
    recorder = ThreadRecordingRunner(prompted)
    embeddings.runner = recorder

    async def both() -> tuple[list[list[float]], list[float], int]:
        documents = await embeddings.aembed_documents(CORPUS)
        query = await embeddings.aembed_query("a query")
        return documents, query, threading.get_ident()

    documents, query, loop_thread = asyncio.run(both())
    assert documents == embeddings.embed_documents(CORPUS)
    assert query == embeddings.embed_query("a query")
    assert len(recorder.threads) == 4
    assert loop_thread not in recorder.threads[:2]


def test_a_model_path_is_loaded_once_and_recorded_absolute(prompted_dir, monkeypatch) -> None:
    monkeypatch.chdir(prompted_dir.parent)
    embeddings = StaticEmbedRunnerEmbeddings(prompted_dir.name, revision="ignored for a folder")
    source = embeddings.model.model_source
    assert (source.reference, source.revision) == (str(prompted_dir.resolve()), None)
    assert (
        source.directory == str(prompted_dir.resolve()) and source is embeddings.runner.model_source
    )
    assert embeddings.runner.source == str(prompted_dir.resolve())
    assert StaticEmbedRunnerEmbeddings().model.reference is None  # the embedded default model


def test_misuse_is_a_clear_error(runner) -> None:
    embeddings = StaticEmbedRunnerEmbeddings(runner)
    with pytest.raises(TypeError, match="got one str; use embed_query"):
        embeddings.embed_documents("one text")
    with pytest.raises(TypeError, match="embed_query takes one str, got list"):
        embeddings.embed_query(["a", "b"])
    assert embeddings.embed_documents([]) == []
    with pytest.raises(ValueError, match="truncate_dim 300 exceeds the model's dimension 256"):
        StaticEmbedRunnerEmbeddings(runner, truncate_dim=300)
    with pytest.raises(ValueError, match="truncate_dim must be positive, got 0"):
        StaticEmbedRunnerEmbeddings(runner, truncate_dim=0)
    with pytest.raises(TypeError, match=r"truncate_dim must be an int or None, got 2\.0"):
        StaticEmbedRunnerEmbeddings(runner, truncate_dim=2.0)
    with pytest.raises(TypeError, match="normalize must be True or False"):
        StaticEmbedRunnerEmbeddings(runner, normalize="yes")
    with pytest.raises(TypeError, match="model must be a StaticEmbedRunner, a model folder"):
        StaticEmbedRunnerEmbeddings(42)
    with pytest.raises(ValueError, match="revision applies to a model path or Hub id"):
        StaticEmbedRunnerEmbeddings(runner, revision="main")
