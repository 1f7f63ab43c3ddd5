"""Suite-wide settings: how property tests explore, and recording of the Verification figures.

Property tests (hypothesis) draw fresh examples in every run: each run picks one seed (or takes
``--hypothesis-seed=N``), prints it in the header and again after a failure, and the same seed
reproduces the same examples. On CI (``CI`` set) hypothesis would load its derandomised "ci"
profile, which replays the same examples every run; the "explore" profile replaces it there: no
example database, no deadline, and the ``@reproduce_failure`` blob printed with a failure.
"""

from __future__ import annotations

import random

import pytest
import verification
from hypothesis import HealthCheck, settings

settings.register_profile(
    "explore",
    derandomize=False,
    database=None,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
if settings.get_current_profile_name() == "ci":
    settings.load_profile("explore")

SEED_OPTION = "--hypothesis-seed"


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """Choose this run's seed before hypothesis' own plugin reads the option."""
    if config.getoption(SEED_OPTION) is None:
        config.option.hypothesis_seed = str(random.SystemRandom().getrandbits(32))


def pytest_report_header(config: pytest.Config) -> str:
    profile = settings.get_current_profile_name()
    return f"hypothesis seed {config.getoption(SEED_OPTION)} (profile {profile})"


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, exitstatus: int, config: pytest.Config
) -> None:
    if terminalreporter.stats.get("failed") or terminalreporter.stats.get("error"):
        seed = config.getoption(SEED_OPTION)
        terminalreporter.write_line(
            f"hypothesis seed of this run: {seed}. A failed property test reproduces with "
            f"`CI=true python -m pytest --hypothesis-seed={seed} <test id>`."
        )


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    written = verification.write_measured()
    if written is not None:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(f"measured figures written to {written}")
