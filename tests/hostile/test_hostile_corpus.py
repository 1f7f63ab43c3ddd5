"""Every hostile model folder of the corpus, loaded in its own forked child under a memory and
CPU cap: a package error naming the file and the field, bounded memory and CPU, no crash; the
valid control folders load and encode under the same caps."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from hostile.corpus import CASES, build_corpus

HARNESS = Path(__file__).with_name("harness.py")
# The bounds each case must stay under (the children's hard caps are wider: see harness.py).
MAX_RSS_GROWTH_MB = 200
MAX_CPU_SECONDS = 10.0


@pytest.fixture(scope="session")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    """Build the corpus once and load every case, each in a fresh forked child."""
    directory = tmp_path_factory.mktemp("hostile-corpus")
    cases = build_corpus(directory)
    request = json.dumps([{"name": c.name, "path": str(directory / c.name)} for c in cases])
    done = subprocess.run(
        [sys.executable, str(HARNESS)],
        input=request,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    results = [json.loads(line) for line in done.stdout.splitlines()]
    return {result["name"]: result for result in results}


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_a_hostile_model_folder_gets_a_package_error_naming_file_and_field_within_bounds(
    outcomes, case
):
    outcome = outcomes[case.name]
    if case.error is None:
        assert outcome["outcome"] == "loaded", outcome
    else:
        assert outcome["outcome"] == "error", outcome
        assert case.error in outcome["classes"], outcome
        missing = [word for word in case.mentions if word not in outcome["message"]]
        assert missing == [], outcome["message"]
    assert outcome["rss_growth_mb"] <= MAX_RSS_GROWTH_MB, outcome
    assert outcome["cpu_seconds"] <= MAX_CPU_SECONDS, outcome
