"""bench/bench_sql.py runs end to end on a few rows (its paths' stored vectors are checked equal to
encode's inside the script) and writes the figures the README quotes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "bench_sql.py"


def test_the_sql_benchmark_runs_and_reports_every_path(tmp_path: Path) -> None:
    out = tmp_path / "bench_sql.json"
    subprocess.run(
        [sys.executable, str(BENCH), "--rows", "300", "--rounds", "1", "--out", str(out)],
        check=True,
        capture_output=True,
        timeout=300,
        env=os.environ,
    )
    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["rows"] == 300
    paths = result["paths"]
    assert "sqlite (apsw): UPDATE ... = embed(body)" in paths
    assert "duckdb: UPDATE ... = embed(body)" in paths
    assert all(row["rows_per_second"] > 0 and len(row["seconds"]) == 1 for row in paths.values())
    assert paths["encode, one batch (no database)"]["vs_batch_encode"] == 1.0
