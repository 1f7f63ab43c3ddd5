"""The Haystack adapters inside Haystack: an indexing pipeline (document embedder -> writer into an
InMemoryDocumentStore) and a query pipeline (text embedder -> InMemoryEmbeddingRetriever) finding
paraphrases; the vectors equal to the runner's own bit for bit; to_dict/from_dict through
Pipeline serialisation; warm_up; run_async."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import replace

import numpy as np
import pytest
from haystack import Document, Pipeline
from haystack.components.retrievers.in_memory import InMemoryEmbeddingRetriever
from haystack.components.writers import DocumentWriter
from haystack.document_stores.in_memory import InMemoryDocumentStore
from integrations.paraphrases import CORPUS, QUERIES
from integrations.recording import ThreadRecordingRunner, as_float32

from static_embed_runner.integrations.haystack import (
    StaticEmbedRunnerDocumentEmbedder,
    StaticEmbedRunnerTextEmbedder,
)

MODULE = "static_embed_runner.integrations.haystack"


def _pipelines(document_embedder, text_embedder) -> tuple[Pipeline, Pipeline]:
    store = InMemoryDocumentStore(embedding_similarity_function="cosine")
    indexing = Pipeline()
    indexing.add_component("embedder", document_embedder)
    indexing.add_component("writer", DocumentWriter(store))
    indexing.connect("embedder", "writer")
    querying = Pipeline()
    querying.add_component("embedder", text_embedder)
    querying.add_component("retriever", InMemoryEmbeddingRetriever(store, top_k=1))
    querying.connect("embedder.embedding", "retriever.query_embedding")
    return indexing, querying


def test_an_in_memory_pipeline_finds_the_paraphrase_of_each_query(runner) -> None:
    indexing, querying = _pipelines(
        StaticEmbedRunnerDocumentEmbedder(runner), StaticEmbedRunnerTextEmbedder(runner)
    )
    documents = [Document(id=str(i), content=text) for i, text in enumerate(CORPUS)]
    assert indexing.run({"embedder": {"documents": documents}})["writer"]["documents_written"] == 8
    for query, expected in QUERIES.items():
        found = querying.run({"embedder": {"text": query}})["retriever"]["documents"]
        assert [document.id for document in found] == [str(expected)], query


def test_the_pipelines_round_trip_through_to_dict_and_from_dict(prompted_dir) -> None:
    document_embedder = StaticEmbedRunnerDocumentEmbedder(
        prompted_dir, truncate_dim=8, prefix="p ", meta_fields_to_embed=["title"]
    )
    indexing, querying = _pipelines(
        document_embedder, StaticEmbedRunnerTextEmbedder(prompted_dir, suffix=" ?")
    )
    for pipeline in (indexing, querying):
        data = pipeline.to_dict()
        restored = Pipeline.from_dict(data, allowed_modules=[MODULE])
        assert restored.to_dict() == data
    assert document_embedder.to_dict() == {
        "type": f"{MODULE}.StaticEmbedRunnerDocumentEmbedder",
        "init_parameters": {
            "model": str(prompted_dir.resolve()),
            "revision": None,
            "truncate_dim": 8,
            "normalize_embeddings": True,
            "prefix": "p ",
            "suffix": "",
            "batch_size": 1024,
            "meta_fields_to_embed": ["title"],
            "embedding_separator": "\n",
        },
    }
    restored = StaticEmbedRunnerDocumentEmbedder.from_dict(document_embedder.to_dict())
    document = Document(content="a text", meta={"title": "T"})
    assert restored.run([document]) == document_embedder.run([document])


def test_text_embedder_gives_encode_query_bits_with_prefix_and_suffix(prompted) -> None:
    embedder = StaticEmbedRunnerTextEmbedder(
        prompted, prefix="Q: ", suffix=" ?", truncate_dim=10, normalize_embeddings=False
    )
    vector = as_float32(embedder.run("where is the station")["embedding"])
    expected = prompted.encode_query("Q: where is the station ?", truncate_dim=10, normalize=False)
    assert vector.tobytes() == expected.tobytes()
    assert not np.array_equal(vector, prompted.encode_document("Q: where is the station ?")[:10])


def test_document_embedder_gives_encode_document_bits_of_meta_and_content(prompted) -> None:
    embedder = StaticEmbedRunnerDocumentEmbedder(
        prompted,
        meta_fields_to_embed=["title", "year", "missing", "empty"],
        embedding_separator=" | ",
    )
    documents = [
        Document(content=CORPUS[0], meta={"title": "Cats", "year": 2024, "empty": None}),
        Document(content=None, meta={"title": "Only a title"}),
        Document(content=CORPUS[1]),
    ]
    embedded = embedder.run(documents)["documents"]
    texts = [f"Cats | 2024 | {CORPUS[0]}", "Only a title | ", CORPUS[1]]
    assert as_float32([d.embedding for d in embedded]).tobytes() == (
        prompted.encode_document(texts).tobytes()
    )
    assert [d.id for d in embedded] == [d.id for d in documents]
    assert all(d.embedding is None for d in documents)  # the inputs are left as they were
    assert embedder.run([]) == {"documents": []}


def test_a_component_from_a_path_loads_the_model_in_warm_up(prompted_dir, monkeypatch) -> None:
    monkeypatch.chdir(prompted_dir.parent)
    embedder = StaticEmbedRunnerTextEmbedder(prompted_dir.name)
    assert embedder.model.runner is None
    serialised = embedder.to_dict()
    assert serialised["init_parameters"]["model"] == str(prompted_dir.resolve())
    embedder.warm_up()
    runner = embedder.model.runner
    assert runner is not None and runner.source == str(prompted_dir.resolve())
    assert embedder.to_dict() == serialised
    embedder.warm_up()
    assert embedder.model.runner is runner
    # run() warms up a component nobody warmed up
    fresh = StaticEmbedRunnerDocumentEmbedder(prompted_dir)
    assert fresh.run([Document(content="x")])["documents"][0].embedding is not None


def test_run_async_returns_run_s_result_from_a_worker_thread(prompted) -> None:
    text_embedder = StaticEmbedRunnerTextEmbedder(prompted)
    document_embedder = StaticEmbedRunnerDocumentEmbedder(prompted)
    recorder = ThreadRecordingRunner(prompted)
    text_embedder.model = replace(text_embedder.model, runner=recorder)
    document_embedder.model = replace(document_embedder.model, runner=recorder)
    documents = [Document(content=text) for text in CORPUS]

    async def both() -> tuple[dict, dict, int]:
        text = await text_embedder.run_async("a query")
        embedded = await document_embedder.run_async(documents)
        return text, embedded, threading.get_ident()

    text, embedded, loop_thread = asyncio.run(both())
    assert len(recorder.threads) == 2 and loop_thread not in recorder.threads
    assert text == text_embedder.run("a query")
    assert embedded == document_embedder.run(documents)


def test_wrong_inputs_and_options_are_clear_errors(runner, prompted_dir) -> None:
    with pytest.raises(TypeError, match="embeds one str, got list; to embed Documents"):
        StaticEmbedRunnerTextEmbedder(runner).run(["a", "b"])
    with pytest.raises(TypeError, match="embeds a list of Documents; to embed a str"):
        StaticEmbedRunnerDocumentEmbedder(runner).run("a text")
    with pytest.raises(TypeError, match="embeds a list of Documents"):
        StaticEmbedRunnerDocumentEmbedder(runner).run([Document(content="a"), "b"])
    with pytest.raises(ValueError, match="batch_size must be a positive int"):
        StaticEmbedRunnerTextEmbedder(runner, batch_size=0)
    with pytest.raises(TypeError, match="normalize_embeddings must be True or False"):
        StaticEmbedRunnerTextEmbedder(runner, normalize_embeddings=None)
    with pytest.raises(TypeError, match="prefix must be a str"):
        StaticEmbedRunnerTextEmbedder(runner, prefix=1)
    with pytest.raises(ValueError, match="truncate_dim 99 exceeds the model's dimension 16"):
        StaticEmbedRunnerTextEmbedder(prompted_dir, truncate_dim=99).warm_up()
