"""The LlamaIndex adapter inside LlamaIndex: a VectorStoreIndex (in-memory default store, no LLM)
retrieving paraphrases, the vectors equal to the runner's own bit for bit, sync and async, and
serialisation (to_dict/from_dict, JSON, pickle) that carries the model's reference only."""

from __future__ import annotations

import asyncio
import json
import pickle
import threading

import numpy as np
import pytest
from integrations.paraphrases import CORPUS, QUERIES
from integrations.recording import ThreadRecordingRunner, as_float32
from llama_index.core import Document, VectorStoreIndex
from llama_index.core.base.embeddings.base import BaseEmbedding

from static_embed_runner.integrations.llamaindex import StaticEmbedRunnerEmbedding


def test_a_vector_store_index_retrieves_the_paraphrase_of_each_query(runner) -> None:
    embedding = StaticEmbedRunnerEmbedding(runner)
    assert isinstance(embedding, BaseEmbedding)
    documents = [Document(text=text, id_=str(i)) for i, text in enumerate(CORPUS)]
    index = VectorStoreIndex.from_documents(documents, embed_model=embedding)
    retriever = index.as_retriever(similarity_top_k=1)
    for query, expected in QUERIES.items():
        [found] = retriever.retrieve(query)
        assert found.node.ref_doc_id == str(expected), query


def test_texts_and_queries_get_encode_document_and_encode_query_bits(prompted) -> None:
    embedding = StaticEmbedRunnerEmbedding(prompted, truncate_dim=7)
    expected_documents = prompted.encode_document(CORPUS, truncate_dim=7)
    batch = as_float32(embedding.get_text_embedding_batch(CORPUS))
    assert batch.tobytes() == expected_documents.tobytes()
    assert as_float32(embedding.get_text_embedding(CORPUS[3])).tobytes() == (
        expected_documents[3].tobytes()
    )
    query = next(iter(QUERIES))
    assert as_float32(embedding.get_query_embedding(query)).tobytes() == (
        prompted.encode_query(query, truncate_dim=7).tobytes()
    )
    assert not np.array_equal(batch, prompted.encode_query(CORPUS, truncate_dim=7))


def test_the_async_methods_return_the_same_vectors_from_a_worker_thread(prompted) -> None:
    embedding = StaticEmbedRunnerEmbedding(prompted)
    recorder = ThreadRecordingRunner(prompted)
    embedding._runner = recorder

    async def all_three() -> tuple[list, list, list, int]:
        query = await embedding.aget_query_embedding("a query")
        text = await embedding.aget_text_embedding(CORPUS[0])
        batch = await embedding.aget_text_embedding_batch(CORPUS)
        return query, text, batch, threading.get_ident()

    query, text, batch, loop_thread = asyncio.run(all_three())
    assert len(recorder.threads) == 3 and loop_thread not in recorder.threads
    assert query == embedding.get_query_embedding("a query")
    assert text == embedding.get_text_embedding(CORPUS[0])
    assert batch == embedding.get_text_embedding_batch(CORPUS)


def test_to_dict_and_from_dict_carry_the_model_path_and_options(prompted, prompted_dir) -> None:
    embedding = StaticEmbedRunnerEmbedding(prompted_dir, truncate_dim=9, normalize=False)
    data = embedding.to_dict()
    assert data["class_name"] == "StaticEmbedRunnerEmbedding"
    assert data["model_name"] == str(prompted_dir.resolve())
    assert (data["truncate_dim"], data["normalize"], data["revision"]) == (9, False, None)
    assert len(json.dumps(data)) < 1000  # a reference, not a table
    restored = StaticEmbedRunnerEmbedding.from_json(embedding.to_json())
    assert restored.get_query_embedding("q") == embedding.get_query_embedding("q")
    assert restored.get_query_embedding("q") == (
        prompted.encode_query("q", truncate_dim=9, normalize=False).tolist()
    )
    assert StaticEmbedRunnerEmbedding(prompted).model_name == str(prompted_dir.resolve())
    assert StaticEmbedRunnerEmbedding().model_name is None  # the embedded default model


def test_pickling_carries_the_reference_and_loads_the_model_again(prompted_dir, caplog) -> None:
    embedding = StaticEmbedRunnerEmbedding(prompted_dir, truncate_dim=4)
    data = pickle.dumps(embedding)
    assert len(data) < 5000 and b"embedding.weight" not in data
    restored = pickle.loads(data)
    assert restored._runner is not embedding._runner
    assert restored.get_text_embedding_batch(CORPUS) == embedding.get_text_embedding_batch(CORPUS)
    assert "unpickleable" not in caplog.text


def test_misuse_is_a_clear_error(runner, prompted_dir) -> None:
    with pytest.raises(ValueError, match="as model or as model_name, not both"):
        StaticEmbedRunnerEmbedding(runner, model_name=str(prompted_dir))
    with pytest.raises(ValueError, match="truncate_dim 257 exceeds the model's dimension 256"):
        StaticEmbedRunnerEmbedding(runner, truncate_dim=257)
    with pytest.raises(ValueError, match="greater than 0"):
        StaticEmbedRunnerEmbedding(runner, truncate_dim=0)
    assert StaticEmbedRunnerEmbedding(runner).get_text_embedding_batch([]) == []
