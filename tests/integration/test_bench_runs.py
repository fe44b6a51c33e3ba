"""`make bench` keeps running when the procedures change (a new required field once broke it
unnoticed): a short run prints every ratio, both baselines give the same path as ours."""
from __future__ import annotations

import json
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


def test_the_deploy_and_preview_benches_run():
    deploy_run = subprocess.run([sys.executable, str(ROOT / "bench" / "deploy_bench.py"), "--rounds", "1", "--json"],
                                capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert deploy_run.returncode == 0, deploy_run.stderr[-3000:]
    figures = json.loads(deploy_run.stdout)
    assert 0 < figures["first_deploy"]["median_s"] and 0 < figures["scenarios_and_letters"]["median_s"]
    preview_run = subprocess.run([sys.executable, str(ROOT / "bench" / "preview_bench.py"), "--cases", "4", "--json"],
                                 capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert preview_run.returncode == 0, preview_run.stderr[-3000:]
    preview = json.loads(preview_run.stdout)
    assert preview["unchanged"]["differ"] == 0 and preview["condition_flipped"]["differ"] == 2  # every second case
