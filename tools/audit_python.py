"""Fail on known vulnerabilities in the locked Python packages (run by `make audit`, part of make test).

pip-audit looks up every pin of requirements.lock in the vulnerability service of the Python package
index. A vulnerability we accept is listed in audit-ignore.txt as `ID  reason` (the reason is
required). A package the service could not be asked about is reported, not failed: the service is
outside our control, and an unreachable service must not block every run.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
IGNORE_FILE = ROOT / "audit-ignore.txt"


def accepted() -> dict[str, str]:
    """IDs from audit-ignore.txt with their reasons; a line without a reason is an error."""
    ignores = {}
    if not IGNORE_FILE.exists():
        return ignores
    for number, line in enumerate(IGNORE_FILE.read_text().splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        vuln_id, _, reason = line.partition(" ")
        if not reason.strip():
            sys.exit(f"audit: {IGNORE_FILE.name}:{number}: {vuln_id} needs a reason")
        ignores[vuln_id] = reason.strip()
    return ignores


def main(lock: str) -> int:
    ignores = accepted()
    command = [sys.executable, "-m", "pip_audit", "-r", lock, "--require-hashes", "--disable-pip", "--no-deps",
               "--format", "json", "--progress-spinner", "off"]
    for vuln_id in ignores:
        command += ["--ignore-vuln", vuln_id]
    result = subprocess.run(command, capture_output=True, text=True)
    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError:
        print(result.stderr.strip() or result.stdout.strip(), file=sys.stderr)
        print("audit: pip-audit gave no report", file=sys.stderr)
        return 1
    dependencies = report.get("dependencies", [])
    found = [(d["name"], d["version"], v) for d in dependencies for v in d.get("vulns", [])]
    skipped = [d["name"] for d in dependencies if d.get("skip_reason")]
    for name, version, vuln in found:
        fixes = ", ".join(vuln.get("fix_versions") or []) or "geen"
        print(f"audit: {name} {version}: {vuln['id']} (fixed in: {fixes})", file=sys.stderr)
    audited = len(dependencies) - len(skipped)
    print(f"audit: {len(dependencies)} locked Python packages, {audited} checked, {len(found)} known "
          f"vulnerabilities, {len(ignores)} accepted in {IGNORE_FILE.name}")
    if skipped:
        print(f"audit: the vulnerability service did not answer for {len(skipped)} packages "
              f"(e.g. {', '.join(skipped[:3])}); they are not checked in this run")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else str(ROOT / "requirements.lock")))
