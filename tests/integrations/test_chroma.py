"""The Chroma adapter inside Chroma: an in-memory collection finding paraphrases, a persisted
collection that Chroma reopens with the function rebuilt from its stored config, and the vectors
equal to the runner's own bit for bit."""

from __future__ import annotations

from pathlib import Path

import chromadb
import numpy as np
import pytest
from chromadb.config import Settings
from chromadb.utils.embedding_functions import known_embedding_functions
from integrations.paraphrases import CORPUS, QUERIES

from static_embed_runner import StaticEmbedRunner
from static_embed_runner.integrations.chroma import StaticEmbedRunnerEmbeddingFunction

SETTINGS = Settings(anonymized_telemetry=False, allow_reset=True)
IDS = [str(i) for i in range(len(CORPUS))]


def test_an_in_memory_collection_finds_the_paraphrase_of_each_query(runner) -> None:
    client = chromadb.EphemeralClient(settings=SETTINGS)
    collection = client.create_collection(
        "paraphrases", embedding_function=StaticEmbedRunnerEmbeddingFunction(runner)
    )
    collection.add(ids=IDS, documents=CORPUS)
    found = collection.query(query_texts=list(QUERIES), n_results=1)
    assert [ids[0] for ids in found["ids"]] == [str(i) for i in QUERIES.values()]
    assert collection.configuration["hnsw"]["space"] == "cosine"
    client.reset()


def test_a_persisted_collection_reopens_with_the_function_rebuilt_from_its_config(
    prompted, prompted_dir: Path, tmp_path: Path
) -> None:
    function = StaticEmbedRunnerEmbeddingFunction(prompted, truncate_dim=12)
    client = chromadb.PersistentClient(path=str(tmp_path), settings=SETTINGS)
    client.create_collection("notes", embedding_function=function).add(ids=IDS, documents=CORPUS)
    client.close()

    reopened = chromadb.PersistentClient(path=str(tmp_path), settings=SETTINGS)
    collection = reopened.get_collection("notes")  # no embedding function passed
    rebuilt = collection.configuration["embedding_function"]
    assert isinstance(rebuilt, StaticEmbedRunnerEmbeddingFunction) and rebuilt is not function
    assert rebuilt.get_config() == {
        "model": str(prompted_dir.resolve()),
        "revision": None,
        "truncate_dim": 12,
        "normalize": True,
        "table": "q4",
        "tokenizer_backend": "auto",
    }
    stored = collection.get(ids=IDS, include=["embeddings"])["embeddings"]
    documents = prompted.encode_document(CORPUS, truncate_dim=12)
    # (Chroma's cosine space normalises what it stores again, moving the last bit of a few values)
    assert np.allclose(np.asarray(stored), documents, rtol=0, atol=1e-6)
    # The query went through encode_query: its cosine distances, not encode_document's.
    query = next(iter(QUERIES))
    found = collection.query(query_texts=[query], n_results=len(CORPUS), include=["distances"])
    distances = dict(zip(found["ids"][0], found["distances"][0], strict=True))
    expected = 1 - documents @ prompted.encode_query(query, truncate_dim=12)
    assert np.allclose([distances[i] for i in IDS], expected, atol=1e-5)
    as_document = 1 - documents @ prompted.encode_document(query, truncate_dim=12)
    assert not np.allclose(expected, as_document, atol=1e-3)
    reopened.close()


def test_call_and_embed_query_give_encode_document_and_encode_query_bits(prompted) -> None:
    function = StaticEmbedRunnerEmbeddingFunction(prompted, normalize=False)
    documents = np.asarray(function(CORPUS))
    assert documents.tobytes() == prompted.encode_document(CORPUS, normalize=False).tobytes()
    queries = np.asarray(function.embed_query(list(QUERIES)))
    assert queries.tobytes() == prompted.encode_query(list(QUERIES), normalize=False).tobytes()
    with pytest.raises(TypeError, match="takes a list of str, got one str"):
        function("one text")


def test_the_function_is_registered_and_its_config_round_trips(runner) -> None:
    function = StaticEmbedRunnerEmbeddingFunction(runner, truncate_dim=64)
    assert known_embedding_functions["static_embed_runner"] is StaticEmbedRunnerEmbeddingFunction
    assert function.name() == "static_embed_runner" and function.is_legacy() is False
    config = function.get_config()
    assert config == {
        "model": None,
        "revision": None,
        "truncate_dim": 64,
        "normalize": True,
        "table": "q4",
        "tokenizer_backend": "auto",
    }
    rebuilt = StaticEmbedRunnerEmbeddingFunction.build_from_config(config)
    assert np.asarray(rebuilt(CORPUS)).tobytes() == np.asarray(function(CORPUS)).tobytes()
    # A config written before table and tokenizer_backend were recorded still opens.
    older = {key: config[key] for key in ("model", "revision", "truncate_dim", "normalize")}
    assert StaticEmbedRunnerEmbeddingFunction.build_from_config(older).get_config() == config


def test_a_runner_s_own_truncate_dim_and_load_options_travel_in_the_config(prompted_dir) -> None:
    runner = StaticEmbedRunner.load(prompted_dir, table="f32", tokenizer_backend="lite")
    runner.truncate_dim = 8
    function = StaticEmbedRunnerEmbeddingFunction(runner)
    config = function.get_config()
    assert (config["truncate_dim"], config["table"], config["tokenizer_backend"]) == (
        8,
        "f32",
        "lite",
    )
    rebuilt = StaticEmbedRunnerEmbeddingFunction.build_from_config(config)
    assert rebuilt.runner.model_source == runner.model_source
    assert np.asarray(rebuilt(CORPUS)).shape == (len(CORPUS), 8)
    assert np.asarray(rebuilt(CORPUS)).tobytes() == np.asarray(function(CORPUS)).tobytes()


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"model": None}, "must have the keys"),
        ({"model": 3, "revision": None, "truncate_dim": None, "normalize": True}, "'model' must"),
        ({"model": None, "revision": None, "truncate_dim": 0, "normalize": True}, "positive int"),
        ({"model": None, "revision": None, "truncate_dim": True, "normalize": True}, "positive"),
        ({"model": None, "revision": None, "truncate_dim": None, "normalize": 1}, "true or false"),
    ],
)
def test_a_bad_config_is_a_clear_error(config, message) -> None:
    with pytest.raises(ValueError, match=message):
        StaticEmbedRunnerEmbeddingFunction.build_from_config(config)


def test_a_config_update_may_move_the_model_but_not_change_the_vectors(runner) -> None:
    function = StaticEmbedRunnerEmbeddingFunction(runner)
    old = function.get_config()
    function.validate_config_update(old, {**old, "model": "/models/moved"})
    with pytest.raises(ValueError, match="truncate_dim cannot change"):
        function.validate_config_update(old, {**old, "truncate_dim": 32})
    with pytest.raises(ValueError, match="normalize cannot change"):
        function.validate_config_update(old, {**old, "normalize": False})
