"""The READMEs' server sections (English and Japanese) run as written: the Python block and every
curl command against a live server (the embedded default model on 127.0.0.1, port 0 in place of
8080), and every ``static-embed-runner serve`` command line parses with the real option parser."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
from pathlib import Path

import pytest
from serve.live_server import live_server

from static_embed_runner.serve import ServeSettings
from static_embed_runner.serve.command import build_parser

ROOT = Path(__file__).resolve().parents[2]
SECTIONS = {
    "README.md": "## Serving embeddings over HTTP",
    "README.ja.md": "## HTTP で埋め込みを提供する",
}
DOC_URL = "http://127.0.0.1:8080"


def _section(readme: str) -> str:
    text = (ROOT / readme).read_text(encoding="utf-8")
    start = text.index(SECTIONS[readme])
    return text[start : text.index("\n## ", start + 1)]


pytestmark = pytest.mark.parametrize("readme", list(SECTIONS))


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


@pytest.fixture(scope="module")
def server_url():
    with live_server(ServeSettings()) as running:
        yield running.url


def test_the_python_example_runs_against_a_live_server(server_url, capsys, readme):
    blocks = re.findall(r"```python\n(.*?)```", _section(readme), re.S)
    assert len(blocks) == 1

    exec(blocks[0].replace(DOC_URL, server_url), {})

    dim, tokens = capsys.readouterr().out.split()
    assert (int(dim), int(tokens) > 0) == (256, True)


def test_every_curl_command_succeeds_against_a_live_server(server_url, readme):
    commands = _indented_commands(_section(readme), "curl")
    assert len(commands) == 4

    for command in commands:
        result = subprocess.run(
            ["bash", "-c", command.replace(DOC_URL, server_url)],
            capture_output=True,
            text=True,
            timeout=30,
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
    assert len(lines) >= 5

    parser = build_parser()
    for line in lines:
        words = shlex.split(line)
        start = words.index("serve")
        parser.parse_args(words[start + 1 :])
