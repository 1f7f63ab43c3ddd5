"""A real Ray Data pipeline over a Parquet file under ``ray.init(num_cpus=2)``: the vectors
equal single-process ``encode``, in order, beside their ids; pandas batches (the other format
Ray hands an actor) give the same vectors."""

from __future__ import annotations

import pickle

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import ray
from corpus import REAL_SENTENCES

from static_embed_runner import StaticEmbedRunner
from static_embed_runner.integrations.ray import EmbedBatches

TEXTS = [f"{text} <{i}>" for i in range(8) for text in REAL_SENTENCES]
IDS = [f"id-{i}" for i in range(len(TEXTS))]


@pytest.fixture(scope="module")
def ray_session():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    context = ray.data.DataContext.get_current()
    context.execution_options.preserve_order = True
    context.enable_progress_bars = False
    yield
    ray.shutdown()


def test_a_ray_data_pipeline_gives_encode_vectors_in_order_with_ids(ray_session, tmp_path):
    """Numpy batches from four Parquet blocks through two actors get ``embedding``, in order.
    (One step keeps the test as fast as Ray allows; pandas batches are checked below.)"""
    path = tmp_path / "docs.parquet"
    pq.write_table(pa.table({"id": IDS, "body": TEXTS}), path, row_group_size=50)
    runner = StaticEmbedRunner.load()
    dataset = ray.data.read_parquet(str(path), override_num_blocks=4).map_batches(
        EmbedBatches,
        fn_constructor_kwargs={"model": runner.model_source, "text_column": "body"},
        compute=ray.data.ActorPoolStrategy(size=2),
        num_cpus=0.5,  # two actors on half a CPU each leave a CPU for the reads
        batch_size=40,
        batch_format="numpy",
    )
    rows = dataset.take_all()
    assert [row["id"] for row in rows] == IDS
    vectors = np.stack([np.asarray(row["embedding"]) for row in rows])
    assert vectors.dtype == np.float32
    assert np.array_equal(vectors, runner.encode(TEXTS))


def test_pandas_batches_get_a_truncated_vector_column_beside_their_ids():
    """The batch Ray hands an actor with ``batch_format="pandas"``: a DataFrame."""
    import pandas as pd

    runner = StaticEmbedRunner.load()
    embed = EmbedBatches(runner.model_source, text_column="body", vector_column="short",
                         truncate_dim=64)  # fmt: skip
    batch = pd.DataFrame({"id": IDS[:5], "body": TEXTS[:5]})
    out = embed(batch)
    assert list(out["id"]) == IDS[:5]
    short = np.stack([np.asarray(vector) for vector in out["short"]])
    assert short.dtype == np.float32
    assert np.array_equal(short, runner.encode(TEXTS[:5], truncate_dim=64))


def test_the_callable_is_built_from_a_few_bytes_and_names_a_missing_column():
    runner = StaticEmbedRunner.load()
    assert len(pickle.dumps({"model": runner.model_source})) < 1000
    embed = EmbedBatches(None, text_column="body")
    out = embed({"id": np.array(IDS[:3]), "body": np.array(TEXTS[:3], dtype=object)})
    assert np.array_equal(out["embedding"], runner.encode(TEXTS[:3]))
    with pytest.raises(ValueError, match="no text column 'body'; columns: id, text"):
        embed({"id": np.array([1]), "text": np.array(["x"])})
