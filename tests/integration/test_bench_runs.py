"""`make bench` keeps running when the procedures change (a new required field once broke it
unnoticed): a short run prints every ratio, both baselines give the same path as ours."""
from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT


def test_a_short_bench_run_prints_the_fair_ratios():
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "bench.py"), "--rounds", "2", "--cases", "1", "--passes", "20",
         "--seconds", "0.2"],
        capture_output=True, text=True, timeout=300, cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    printed = {line.split(":", 1)[0] for line in result.stdout.splitlines() if ":" in line}
    for figure in ("complete_vs_bare_ratio", "complete_vs_bare_sqlite_ratio", "complete_vs_bare_ratio_loop",
                   "complete_vs_bare_sqlite_ratio_loop", "cases_per_second", "state_growth_20_vs_10"):
        assert figure in printed, result.stdout
