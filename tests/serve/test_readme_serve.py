"""The READMEs' server sections (English and Japanese) run as written: every Python block (the
OpenAI client, the library cache, the sidecar client) and every curl command (including the
admin routes) against live servers (the embedded default model on 127.0.0.1 port 0 in place of
8080, a Unix socket in a temp dir in place of /tmp/embed.sock), and every ``static-embed-runner
serve`` command line parses with the real option parser."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
from pathlib import Path

import pytest
from corpus import MODEL_FIXTURES
from serve.live_server import live_server

from static_embed_runner.serve import ServeSettings
from static_embed_runner.serve.command import build_parser

ROOT = Path(__file__).resolve().parents[2]
SECTIONS = {
    "README.md": "## Serving embeddings over HTTP",
    "README.ja.md": "## HTTP で埋め込みを提供する",
}
DOC_URL = "http://127.0.0.1:8080"
DOC_SOCKET = "/tmp/embed.sock"
DOC_MODEL = "./models/m2v"


def _section(readme: str) -> str:
    text = (ROOT / readme).read_text(encoding="utf-8")
    start = text.index(SECTIONS[readme])
    return text[start : text.index("\n## ", start + 1)]


def _indented_commands(section: str, program: str) -> list[str]:
    """Indented shell lines starting with ``program``, joined across trailing backslashes."""
    commands, current = [], None
    for line in section.splitlines():
        stripped = line.strip()
        if current is not None:
            current += " " + stripped.rstrip("\\").strip()
            if not stripped.endswith("\\"):
                commands.append(current)
                current = None
        elif line.startswith("    ") and stripped.startswith(program):
            if stripped.endswith("\\"):
                current = stripped.rstrip("\\").strip()
            else:
                commands.append(stripped)
    return commands


pytestmark = pytest.mark.parametrize("readme", list(SECTIONS))


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    """A TCP server (with the admin key the README uses) and a Unix-socket server."""
    sock = tmp_path_factory.mktemp("readme") / "embed.sock"
    with (
        live_server(ServeSettings(admin_key="ADMIN")) as tcp,
        live_server(ServeSettings(), uds=sock),
    ):
        yield tcp.url, sock


def _localised(text: str, servers) -> str:
    url, sock = servers
    return (
        text.replace(DOC_URL, url)
        .replace(DOC_SOCKET, str(sock))
        .replace(DOC_MODEL, str(MODEL_FIXTURES / "model2vec-rs-test-model-float32"))
    )


def test_every_python_example_runs_against_live_servers(servers, capsys, readme):
    blocks = re.findall(r"```python\n(.*?)```", _section(readme), re.S)
    assert len(blocks) == 3

    outputs = []
    for block in blocks:
        exec(_localised(block, servers), {})
        outputs.append(capsys.readouterr().out.split())

    assert outputs[0] == ["256", outputs[0][1]] and int(outputs[0][1]) > 0
    hits, misses, entries, size, in_flight = map(int, outputs[1])
    assert (hits, misses, entries, in_flight) == (1, 2, 2, 0) and size > 0
    assert outputs[2] == ["(2,", "64)", "(256,)", "256"]


def test_every_curl_command_succeeds_against_a_live_server(servers, readme):
    commands = _indented_commands(_section(readme), "curl")
    assert len(commands) == 7

    for command in commands:
        result = subprocess.run(
            ["bash", "-c", _localised(command, servers)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, (command, result.stderr)
        output = result.stdout.strip()
        if "-w" in shlex.split(command):
            assert output == "200"
        else:
            answer = json.loads(output)
            assert "error" not in answer, (command, answer)


def test_every_serve_command_line_parses(readme):
    lines = [
        line.split("#")[0].strip()
        for line in _section(readme).splitlines()
        if line.startswith("    ") and "static-embed-runner serve" in line
    ]
    assert len(lines) >= 6

    parser = build_parser()
    for line in lines:
        words = shlex.split(line)
        start = words.index("serve")
        parser.parse_args(words[start + 1 :])
