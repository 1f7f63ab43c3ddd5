"""Token ids do not depend on the Python version.

Each Python release carries its own Unicode data (3.12: 15.0, 3.13: 15.1, 3.14: 16.0, 3.15: 17.0),
while ``tokenizers`` keeps its own. Only the NFC/NFD/NFKC/NFKD steps still read Python's
:mod:`unicodedata` (every character class comes from shipped tables), so the exhaustive normalizer
tests and the pipeline conformance tests are rerun here in fresh interpreters where the
``unicodedata2`` package of another Unicode version stands in for :mod:`unicodedata`, imported
before anything else. Every selected test must run and pass in each run (the count is the
Verification table's, ``verification.COUNTS``): none may be skipped, deselected by a rename or
fail. ``str.lower`` keeps this Python's data; its newer-Unicode path is covered in
``test_normalizers``.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from verification import COUNTS

TESTS = Path(__file__).resolve().parents[1]
# Python release -> (the unicodedata2 release with its Unicode data, that Unicode version); 15.1
# assigns all that 15.0 (Python 3.12) does and more.
STAND_INS = {
    "3.13": ("15.1.0", "15.1.0"),
    "3.14": ("16.0.0", "16.0.0"),
    "3.15": ("17.0.1", "17.0.0"),
}
FILES = ("test_normalizers.py", "test_pipeline_conformance.py")
SELECTION = "(every_code_point and not wide_class) or corpus_and_adversarial"
RUN_WITH_STAND_IN = """
import collections, json, sys
sys.path.insert(0, sys.argv[1])
import unicodedata2
sys.modules["unicodedata"] = unicodedata2
import unicodedata
assert unicodedata.unidata_version == sys.argv[2], unicodedata.unidata_version
import pytest

class Tally:
    selected = 0
    outcomes = collections.Counter()

    def pytest_collection_finish(self, session):
        Tally.selected = len(session.items)

    def pytest_runtest_logreport(self, report):
        if hasattr(report, "wasxfail"):
            Tally.outcomes["xfailed"] += 1
        elif report.when == "call" or report.outcome != "passed":
            Tally.outcomes[report.outcome] += 1

code = pytest.main(sys.argv[3:], plugins=[Tally()])
print("TALLY " + json.dumps({"selected": Tally.selected, **Tally.outcomes}))
sys.exit(code)
"""


def _install(version: str, target: Path) -> None:
    if not list(target.glob("unicodedata2*")):
        command = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target"]
        subprocess.run([*command, str(target), f"unicodedata2=={version}"], check=True, timeout=600)


@pytest.fixture(scope="session")
def stand_in_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, subprocess.Popen[str]]:
    """One pytest run per stand-in, started together (they spend their time on two cores)."""
    root = tmp_path_factory.mktemp("unicodedata-stand-ins")
    runs = {}
    for python, (release, unidata) in STAND_INS.items():
        target = root / release
        _install(release, target)
        args = ["-q", "-p", "no:cacheprovider", "-k", SELECTION, "--basetemp", str(root / python)]
        files = [str(TESTS / "tokenizer" / name) for name in FILES]
        runs[python] = subprocess.Popen(
            [sys.executable, "-c", RUN_WITH_STAND_IN, str(target), unidata, *args, *files],
            cwd=TESTS.parent,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
    return runs


@pytest.mark.parametrize("python", sorted(STAND_INS))
def test_normalizers_and_pipelines_match_tokenizers_with_the_unicode_data_of_python(
    python: str, stand_in_runs: dict[str, subprocess.Popen[str]]
) -> None:
    output, _ = stand_in_runs[python].communicate(timeout=1800)
    assert stand_in_runs[python].returncode == 0, output[-6000:]
    tally = re.search(r"^TALLY (.*)$", output, re.MULTILINE)
    assert tally is not None, output[-2000:]
    expected = COUNTS["unicode_version_subtests"]
    assert json.loads(tally.group(1)) == {"selected": expected, "passed": expected}, output[-2000:]
