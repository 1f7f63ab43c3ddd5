"""A real Ray Data pipeline over a Parquet file under ``ray.init(num_cpus=2)``: the vectors
equal single-process ``encode``, in order, beside their ids, for numpy and pandas batches."""

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
    """Ray's own start-up (about 13 s here) is most of this file's time: one session serves every
    test, and a one-step pipeline or a single actor measured no faster than the two-step one."""
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    context = ray.data.DataContext.get_current()
    context.execution_options.preserve_order = True
    context.enable_progress_bars = False
    yield
    ray.shutdown()


def test_a_ray_data_pipeline_gives_encode_vectors_in_order_with_ids(ray_session, tmp_path):
    """One pipeline, two steps: numpy batches get ``embedding``, then pandas batches get
    ``short`` (64 dimensions), each from two actors."""
    path = tmp_path / "docs.parquet"
    pq.write_table(pa.table({"id": IDS, "body": TEXTS}), path, row_group_size=50)
    runner = StaticEmbedRunner.load()
    dataset = ray.data.read_parquet(str(path), override_num_blocks=4)
    for batch_format, column, options in [
        ("numpy", "embedding", {}),
        ("pandas", "short", {"truncate_dim": 64}),
    ]:
        dataset = dataset.map_batches(
            EmbedBatches,
            fn_constructor_kwargs={
                "model": runner.model_source,
                "text_column": "body",
                "vector_column": column,
                **options,
            },
            compute=ray.data.ActorPoolStrategy(size=2),
            num_cpus=0.25,  # four actors on a quarter CPU each leave a CPU for the reads
            batch_size=40,
            batch_format=batch_format,
        )
    rows = dataset.take_all()
    assert [row["id"] for row in rows] == IDS
    vectors = np.stack([np.asarray(row["embedding"]) for row in rows])
    short = np.stack([np.asarray(row["short"]) for row in rows])
    assert vectors.dtype == np.float32 and short.dtype == np.float32
    assert np.array_equal(vectors, runner.encode(TEXTS))
    assert np.array_equal(short, runner.encode(TEXTS, truncate_dim=64))


def test_the_callable_is_built_from_a_few_bytes_and_names_a_missing_column():
    runner = StaticEmbedRunner.load()
    assert len(pickle.dumps({"model": runner.model_source})) < 1000
    embed = EmbedBatches(None, text_column="body")
    out = embed({"id": np.array(IDS[:3]), "body": np.array(TEXTS[:3], dtype=object)})
    assert np.array_equal(out["embedding"], runner.encode(TEXTS[:3]))
    with pytest.raises(ValueError, match="no text column 'body'; columns: id, text"):
        embed({"id": np.array([1]), "text": np.array(["x"])})
