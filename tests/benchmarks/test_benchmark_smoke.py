"""``tests/benchmarks/run.py --size small --json FILE`` runs end to end and writes the documented shape.

Timings are deliberately not asserted (they depend on the machine); docs/performance.md holds the numbers.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

RUN = Path(__file__).resolve().parent / "run.py"
METRICS = {
    "startup_to_list_s",
    "startup_ratio",
    "open_chart_ms",
    "client_filter_ms",
    "client_list_page_ms",
    "note_search_ms",
    "dashboard_ms",
    "report_pdf_s",
    "autosave_p99_ms",
    "scoring_per_s",
    "encryption_overhead",
    "rss_mb",
}


@pytest.mark.slow
@pytest.mark.e2e
@pytest.mark.benchmark
def test_small_benchmark_writes_json(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    env = dict(os.environ, STAGEWISE_BENCH_CACHE=str(tmp_path / "cache"), QT_QPA_PLATFORM="offscreen")
    done = subprocess.run(
        [sys.executable, str(RUN), "--size", "small", "--runs", "3", "--json", str(out)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["size"] == "small"
    assert {"nproc", "cpu", "ram_mb", "python", "sqlcipher"} <= set(doc["machine"])
    assert set(doc["metrics"]) >= METRICS
    assert "generate_s" in doc["metrics"]  # a fresh cache folder: the practice was built in this run
    for name, metric in doc["metrics"].items():
        assert {"median", "p95", "unit", "target", "pass"} <= set(metric), name
        assert isinstance(metric["median"], int | float), name
        assert isinstance(metric["pass"], bool), name
    assert "p99" in doc["metrics"]["autosave_p99_ms"]
    assert "open_chart_ms" in done.stdout
