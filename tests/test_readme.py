"""Every code block of README.md and README.ja.md runs here, as written.

How a README block is run (follow this when you add one to either README):

- **Fenced blocks only**, with the language ``python``, ``bash`` or ``text``. An indented code
  block, or a fence with another language or none, fails ``test_readmes_hold_only_known_blocks``.
- **python**: executed alone, in a fresh namespace, with the working folder (below) as the
  current directory. Each block is complete on its own: its imports, its runner, its data.
- **bash**: executed by ``bash -euo pipefail`` in the working folder, with stdin from
  ``/dev/null``, so a block may create the files its commands read. ``static-embed-runner`` is
  the real CLI of this checkout (a wrapper on ``PATH`` running ``python -m
  static_embed_runner.cli``); ``curl`` is the real curl with
  ``--fail-with-body`` added, so a 4xx or 5xx answer fails the block. A line that starts a server
  (``static-embed-runner serve ...``) is run as a real server process: ``--port 0`` is added when
  it listens on TCP, a Unix socket path is moved into a temp folder, the harness waits for
  ``/health`` to answer 200, then sends SIGTERM and expects a graceful exit (uvicorn's
  "Application shutdown complete", exit status 0 or the re-raised SIGTERM).
- **text** right after a python or bash block: that block's exact stdout (trailing whitespace
  ignored). A text block anywhere else fails.
- **What the names in the README stand for:**
  - ``./my-model`` is a folder in the working folder: a sentence-transformers ``StaticEmbedding``
    (bert-base-uncased tokenizer, a random 64-d table, prompts ``query: `` and ``document``).
  - Hub ids are answered by a local fake Hub (``HF_ENDPOINT``, an empty ``HF_HUB_CACHE``):
    ``HUB_MODELS`` below says which local model stands in for each id; any other id is a 404.
  - ``http://127.0.0.1:8080`` is a live server on port 0 serving the built-in model, with the
    admin key ``ADMIN``; ``/tmp/embed.sock`` is a Unix socket in a temp folder served by another
    live server with the built-in model.
- **A block that cannot run here** (it installs from the network, or runs the whole test suite)
  carries ``<!-- readme-test: KEY -->`` on the line just before its fence. ``KEY`` names a
  function in ``INSTEAD`` whose docstring says why the block cannot run and what runs instead;
  that function receives the block's commands. An unknown key fails, and so does a key no README
  uses.

Both READMEs must hold the same blocks in the same order (comments may be translated) and the
same expected outputs: ``test_both_readmes_hold_the_same_blocks``. A block that equals one already
run (comments aside) is not run a second time: its recorded stdout is compared with its own text
block.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import tokenize
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import tomllib
from corpus import MODEL_FIXTURES, TOKENIZER_FIXTURES
from hub.fake_hub import FakeHub, read_model_dir
from serve.live_server import live_server

from static_embed_runner.serve import ServeSettings

ROOT = Path(__file__).resolve().parents[1]
READMES = ("README.md", "README.ja.md")
LANGUAGES = {"python", "bash", "text"}
MARKER = re.compile(r"<!-- readme-test: ([a-z0-9-]+) -->")
DOC_URL = "http://127.0.0.1:8080"
DOC_SOCKET = "/tmp/embed.sock"
MY_MODEL_DIM = 64
MY_MODEL_PROMPTS = {"query": "query: ", "document": ""}


@dataclass(frozen=True)
class Block:
    readme: str
    line: int  # 1-based line of the opening fence
    language: str
    code: str
    marker: str | None
    output: str | None  # the text block that follows, if any

    @property
    def id(self) -> str:
        return f"{self.readme}:{self.line}"


def _fences(readme: str) -> Iterator[tuple[int, str, str, str | None]]:
    """(line, language, code, marker) of every fenced block, in order."""
    lines = (ROOT / readme).read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        if lines[i].startswith("```"):
            language, start = lines[i][3:].strip(), i
            end = next(j for j in range(i + 1, len(lines)) if lines[j].startswith("```"))
            found = MARKER.fullmatch(lines[i - 1].strip()) if i else None
            code = "\n".join(lines[i + 1 : end]) + "\n"
            yield start + 1, language, code, found.group(1) if found else None
            i = end
        i += 1


def readme_blocks(readme: str) -> list[Block]:
    """The runnable blocks of ``readme``, each with the text block that follows it."""
    fences = list(_fences(readme))
    blocks = []
    for index, (line, language, code, marker) in enumerate(fences):
        if language == "text":
            continue
        following = fences[index + 1] if index + 1 < len(fences) else None
        output = following[2] if following and following[1] == "text" else None
        blocks.append(Block(readme, line, language, code, marker, output))
    return blocks


ALL_BLOCKS = [block for readme in READMES for block in readme_blocks(readme)]


# ---------------------------------------------------------------------------------------------
# What the README's names stand for


def write_st_model(path: Path) -> None:
    """A sentence-transformers StaticEmbedding folder, written the way sentence-transformers
    saves one: modules.json, 0_StaticEmbedding/{model.safetensors, tokenizer.json}, prompts."""
    from safetensors.numpy import save_file

    tokenizer = (TOKENIZER_FIXTURES / "bert-base-uncased" / "tokenizer.json").read_text()
    vocab = len(json.loads(tokenizer)["model"]["vocab"])
    table = np.random.default_rng(7).standard_normal((vocab, MY_MODEL_DIM)).astype(np.float32)
    module = path / "0_StaticEmbedding"
    module.mkdir(parents=True)
    save_file({"embedding.weight": table}, str(module / "model.safetensors"))
    (module / "tokenizer.json").write_text(tokenizer, encoding="utf-8")
    modules = [
        {
            "idx": 0,
            "name": "0",
            "path": "0_StaticEmbedding",
            "type": "sentence_transformers.models.StaticEmbedding",
        }
    ]
    (path / "modules.json").write_text(json.dumps(modules), encoding="utf-8")
    config = {"prompts": MY_MODEL_PROMPTS, "default_prompt_name": None}
    (path / "config_sentence_transformers.json").write_text(json.dumps(config), encoding="utf-8")


HUB_MODELS: dict[str, Callable[[Path], Path]] = {
    "minishlab/potion-base-8M": lambda work: MODEL_FIXTURES / "model2vec-rs-test-model-float32",
    "sentence-transformers/static-similarity-mrl-multilingual-v1": lambda work: work / "my-model",
}


@dataclass(frozen=True)
class Environment:
    work: Path  # the working folder
    env: dict[str, str]  # for subprocesses: PATH with the wrappers, HF_ENDPOINT, caches
    url: str  # the live TCP server standing in for http://127.0.0.1:8080
    socket: Path  # the live Unix-socket server standing in for /tmp/embed.sock

    def localise(self, text: str) -> str:
        return text.replace(DOC_URL, self.url).replace(DOC_SOCKET, str(self.socket))


def _wrappers(bin_dir: Path) -> None:
    bin_dir.mkdir()
    curl = shutil.which("curl")
    assert curl, "the README's curl examples need curl"
    scripts = {
        "static-embed-runner": f'exec "{sys.executable}" -m static_embed_runner.cli "$@"',
        "curl": f'exec "{curl}" --fail-with-body "$@"',
    }
    for name, line in scripts.items():
        script = bin_dir / name
        script.write_text(f"#!/bin/sh\n{line}\n", encoding="utf-8")
        script.chmod(0o755)


@pytest.fixture(scope="module")
def environment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Environment]:
    base = tmp_path_factory.mktemp("readme")
    work = base / "work"
    work.mkdir()
    write_st_model(work / "my-model")
    _wrappers(base / "bin")
    names = ("HF_HUB_OFFLINE", "HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "STATIC_EMBED_RUNNER_API_KEY")
    overrides = {
        "PATH": f"{base / 'bin'}{os.pathsep}{os.environ['PATH']}",
        "HF_HOME": str(base / "hf-home"),
        "HF_HUB_CACHE": str(base / "hf-cache"),
        "HF_TOKEN_PATH": str(base / "no-token"),
    }
    saved = {name: os.environ.get(name) for name in (*names, *overrides, "HF_ENDPOINT")}
    with (
        FakeHub() as hub,
        live_server(ServeSettings(admin_key="ADMIN")) as tcp,
        live_server(ServeSettings(), uds=base / "embed.sock"),
    ):
        for repo_id, source in HUB_MODELS.items():
            hub.add_commit(repo_id, read_model_dir(source(work)))
        for name in names:
            os.environ.pop(name, None)
        os.environ.update(overrides, HF_ENDPOINT=hub.endpoint)
        try:
            yield Environment(work, dict(os.environ), tcp.url, base / "embed.sock")
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value


# ---------------------------------------------------------------------------------------------
# Running blocks


def commands(code: str) -> list[str]:
    """The block's shell commands as written: continuation lines joined, comment-only and blank
    lines dropped (bash itself ignores a trailing comment)."""
    joined = code.replace("\\\n", " ")
    return [line for line in joined.splitlines() if shlex.split(line, comments=True)]


def words(command: str) -> list[str]:
    return shlex.split(command, comments=True)


def run_python(code: str, env: Environment) -> str:
    out = io.StringIO()
    with contextlib.chdir(env.work), contextlib.redirect_stdout(out):
        exec(compile(env.localise(code), "<README block>", "exec"), {"__name__": "__readme__"})
    return out.getvalue()


def run_bash(code: str, env: Environment) -> str:
    with contextlib.chdir(env.work):  # the live servers resolve a model folder from here
        return _run_bash(code, env)


def _run_bash(code: str, env: Environment) -> str:
    output = []
    script: list[str] = []
    for command in commands(env.localise(code)):
        if words(command)[:2] == ["static-embed-runner", "serve"]:
            output.append(_bash_script(script, env))
            script = []
            start_and_stop_server(words(command)[1:], env)
        else:
            script.append(command)
    output.append(_bash_script(script, env))
    return "".join(output)


def _bash_script(script: list[str], env: Environment) -> str:
    if not script:
        return ""
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", "\n".join(script)],
        cwd=env.work,
        env=env.env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, f"{script}\nstdout: {result.stdout}\nstderr: {result.stderr}"
    return result.stdout


def start_and_stop_server(argv: list[str], env: Environment) -> None:
    """Run ``static-embed-runner serve ...`` as written (TCP on port 0, a Unix socket in a temp
    folder), wait for /health to answer 200, then SIGTERM and expect a graceful exit."""
    uds = None
    if "--uds" in argv:
        uds = env.work.parent / f"serve-{os.getpid()}.sock"
        argv[argv.index("--uds") + 1] = str(uds)
    else:
        argv += ["--port", "0"]
    process = subprocess.Popen(
        [sys.executable, "-m", "static_embed_runner.cli", *argv],
        cwd=env.work,
        env=env.env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        log = []
        for line in process.stderr:
            log.append(line)
            found = re.search(r"Uvicorn running on (http://\S+)", line)
            if found or (uds and "Uvicorn running on unix socket" in line):
                break
        else:
            raise AssertionError(f"{argv}: the server did not start:\n{''.join(log)}")
        status = _health(uds) if uds else _health_tcp(found.group(1))
        assert status == 200, (argv, status)
        process.send_signal(signal.SIGTERM)
        _, rest = process.communicate(timeout=60)
        assert process.returncode in (0, -signal.SIGTERM), (argv, "".join(log) + rest)
        assert "Application shutdown complete" in rest, (argv, "".join(log) + rest)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        if uds is not None:
            uds.unlink(missing_ok=True)


def _health_tcp(url: str) -> int:
    """/health's status; with --workers the port is announced before the workers accept."""
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=30) as answer:
                return answer.status
        except ConnectionRefusedError:
            pass
        except urllib.error.URLError as exc:
            if not isinstance(exc.reason, ConnectionRefusedError):
                raise
        assert time.monotonic() < deadline, f"{url}/health never answered"
        time.sleep(0.05)


def _health(uds: Path) -> int:
    with socket.socket(socket.AF_UNIX) as client:
        client.settimeout(30)
        client.connect(str(uds))
        client.sendall(b"GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        status_line = client.makefile("rb").readline().decode()
    return int(status_line.split()[1])


# ---------------------------------------------------------------------------------------------
# Blocks that cannot run here, and what runs instead


@dataclass(frozen=True)
class Installed:
    wheels: Path  # this checkout's wheel, built offline
    site: Path  # where the offline machine's command installed it


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """This checkout's wheel, built offline from a copy of the tracked files, installed by the
    offline machine's command of the README (plus ``--no-deps --target``: numpy is this
    environment's), and its CLI embedding a text from there."""
    base = tmp_path_factory.mktemp("wheel")
    tracked = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.split(b"\0")
    for name in filter(None, (t.decode() for t in tracked)):
        if (ROOT / name).is_file():
            (base / "src" / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, base / "src" / name)
    _pip("wheel", "--no-deps", "--no-index", "--no-build-isolation", str(base / "src"),
         "--wheel-dir", str(base / "wheels"))  # fmt: skip
    _pip(*OFFLINE_INSTALL[1:], "--no-deps", "--target", str(base / "site"), cwd=base)
    env = {**os.environ, "PYTHONPATH": str(base / "site")}
    result = subprocess.run(
        [str(base / "site" / "bin" / "static-embed-runner"), "An offline install works."],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert len(json.loads(result.stdout)) == 256
    where = subprocess.run(
        [sys.executable, "-c", "import static_embed_runner as s; print(s.__file__)"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert where.startswith(str(base / "site")), where
    return Installed(base / "wheels", base / "site")


OFFLINE_INSTALL = ["pip", "install", "--no-index", "--find-links", "wheels", "static-embed-runner"]


def _pip(*args: str, cwd: Path | None = None) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, (args, result.stdout, result.stderr)


def pip_install(block_commands: list[str], request: pytest.FixtureRequest) -> None:
    """``pip install .`` and its extras: installing into the test environment would change it,
    and the extras' packages come from the network. Instead: every command is ``pip install``
    of this checkout, each extra it names exists in pyproject.toml, and the wheel ``pip install
    .`` builds is built offline, installed into a folder of its own, and its CLI embeds a text
    (the ``installed`` fixture)."""
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    for command in block_commands:
        argv = words(command)
        assert argv[:2] == ["pip", "install"] and len(argv) == 3, command
        spec = re.fullmatch(r"\.(?:\[([a-z0-9,-]+)\])?", argv[2])
        assert spec, command
        for extra in filter(None, (spec.group(1) or "").split(",")):
            assert extra in extras, (command, extra)
    assert request.getfixturevalue("installed").site.is_dir()


def offline_install(block_commands: list[str], request: pytest.FixtureRequest) -> None:
    """The two-machine offline install: its first command also fetches numpy's wheel from the
    network. Instead: this package's wheel is built without the network and without its
    dependencies, and the offline machine's command runs as written plus ``--no-deps --target``
    (numpy is this environment's); the CLI it installed embeds a text (the ``installed``
    fixture)."""
    first, second = (words(c) for c in block_commands)
    assert first == ["pip", "wheel", ".", "--wheel-dir", "wheels"], first
    assert second == OFFLINE_INSTALL, second
    assert request.getfixturevalue("installed").site.is_dir()


def ci(block_commands: list[str], request: pytest.FixtureRequest) -> None:
    """The development commands install the test extra and run the whole test suite, which
    cannot run inside itself. Instead: they are, in order, the commands ``.ci/run`` runs
    (``pip install -e`` as ``python -m pip install -e``)."""
    ci_commands = [words(line) for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    position = 0
    for command in map(words, block_commands):
        expected = ["python", "-m", *command] if command[0] == "pip" else command
        found = [i for i, c in enumerate(ci_commands) if c == expected and i >= position]
        assert found, f"{command} is not in .ci/run (after line {position})"
        position = found[0] + 1


INSTEAD: dict[str, Callable[[list[str], pytest.FixtureRequest], None]] = {
    "pip-install": pip_install,
    "offline-install": offline_install,
    "ci": ci,
}


# ---------------------------------------------------------------------------------------------
# Tests


def test_readmes_hold_only_known_blocks() -> None:
    for readme in READMES:
        text = (ROOT / readme).read_text(encoding="utf-8")
        fences = list(_fences(readme))
        assert fences, readme
        for line, language, _code, marker in fences:
            assert language in LANGUAGES, f"{readme}:{line}: fence language {language!r}"
            assert marker is None or marker in INSTEAD, f"{readme}:{line}: marker {marker!r}"
            assert marker is None or language == "bash", f"{readme}:{line}"
        outside = re.sub(r"^```.*?^```", "", text, flags=re.S | re.M)
        previous = ""
        for line in outside.splitlines():
            indented = line.startswith("    ") and not previous.strip()
            assert not indented, f"{readme}: an indented code block: {line!r}"
            previous = line
        markers = MARKER.findall(text)
        assert len(markers) == sum(1 for f in fences if f[3]), f"{readme}: a misplaced marker"


def test_every_instead_key_is_used() -> None:
    used = {block.marker for block in ALL_BLOCKS}
    assert used >= set(INSTEAD), set(INSTEAD) - used


@pytest.mark.parametrize("readme", READMES)
def test_every_heading_is_unique_so_every_anchor_is(readme: str) -> None:
    """GitHub gives a repeated heading the anchor ``#name-1``: a link to the second one breaks
    when a section moves, so each heading says what its section is about."""
    headings: list[str] = []
    fenced = False
    for line in (ROOT / readme).read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced and re.match(r"#+ ", line):
            headings.append(line.lstrip("#").strip().lower())
    repeated = sorted({heading for heading in headings if headings.count(heading) > 1})
    assert repeated == [], f"{readme}: headings used twice: {repeated}"


def test_both_readmes_hold_the_same_blocks() -> None:
    english, japanese = (readme_blocks(r) for r in READMES)
    assert [(b.language, b.marker, b.output) for b in english] == [
        (b.language, b.marker, b.output) for b in japanese
    ]
    for en, ja in zip(english, japanese, strict=True):
        assert normalized(en) == normalized(ja), (en.id, ja.id)


def normalized(block: Block) -> tuple[str, ...]:
    """The block without its comments: what decides what it does."""
    if block.language == "bash":
        return tuple(shlex.join(words(c)) for c in commands(block.code))
    tokens = tokenize.generate_tokens(io.StringIO(block.code).readline)
    return tuple(t.string for t in tokens if t.type not in (tokenize.COMMENT, tokenize.NL))


_RUN: dict[tuple[str, tuple[str, ...]], str] = {}  # stdout of each distinct block already run


@pytest.mark.parametrize("block", ALL_BLOCKS, ids=lambda b: b.id)
def test_readme_block_runs_as_written(block: Block, request: pytest.FixtureRequest) -> None:
    if block.marker is not None:
        INSTEAD[block.marker](commands(block.code), request)
        assert block.output is None, f"{block.id}: a block run instead has no output to compare"
        return
    key = (block.language, normalized(block))
    if key not in _RUN:
        run = run_python if block.language == "python" else run_bash
        _RUN[key] = run(block.code, request.getfixturevalue("environment"))
    if block.output is not None:
        actual = [line.rstrip() for line in _RUN[key].rstrip().splitlines()]
        expected = [line.rstrip() for line in block.output.rstrip().splitlines()]
        assert actual == expected, block.id
