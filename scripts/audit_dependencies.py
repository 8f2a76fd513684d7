"""Dependency audit of requirements.txt against PyPI's advisory data (pip-audit), with exceptions read from
pyproject.toml [tool.dependency-audit].

    .venv/bin/python scripts/audit_dependencies.py

1. pip-audit resolves requirements.txt (transitive dependencies included) and asks PyPI's per-version JSON
   for each pin's advisories.
2. Where that per-version API is not reachable (some networks only pass PyPI's project pages: pip-audit then
   reports every pin "not found on PyPI" and would call the set clean), the same advisory data is read from
   each project's JSON, which carries the advisories of its latest release: a pin equal to it is audited; a
   pin below it is unaudited and must be justified in [tool.dependency-audit.unaudited].
Exit 1 on any advisory not ignored, on an unjustified unaudited pin, or (under CI=true) when PyPI cannot be
reached at all; the reason is printed either way.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
IN_CI = os.environ.get("CI", "").lower() == "true"
NOT_FOUND = "Dependency not found on PyPI"


def _config() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["dependency-audit"]


def _pip_audit() -> list[dict]:
    proc = subprocess.run([sys.executable, "-m", "pip_audit", "-r", str(ROOT / "requirements.txt"), "-f", "json",
                           "--progress-spinner", "off"], capture_output=True, text=True, timeout=600)
    try:
        return json.loads(proc.stdout)["dependencies"]
    except (ValueError, KeyError) as exc:
        reason = f"pip-audit failed (exit {proc.returncode}): {proc.stderr.strip()[-800:]}"
        raise SystemExit(_unreachable(reason)) from exc


def _unreachable(reason: str) -> int:
    print(f"ADVISORY SERVICE UNREACHABLE: {reason}")
    if IN_CI:
        print("dependency audit FAILED: no advisory data, nothing was audited (CI=true)")
        return 1
    print("dependency audit NOT RUN (not failing outside CI)")
    return 0


def _version(dep: dict) -> str:
    return dep.get("version") or dep.get("skip_reason", "").rsplit("(", 1)[-1].rstrip(")")


def _fallback(deps: list[dict]) -> tuple[list[dict], list[tuple[str, str, str]]]:
    """Advisories from each project's JSON for pins equal to PyPI's latest; the rest are unaudited."""
    audited, unaudited = [], []
    with httpx.Client(timeout=15, follow_redirects=True) as client:
        for dep in deps:
            name, version = dep["name"], _version(dep)
            try:
                resp = client.get(f"https://pypi.org/pypi/{name}/json")
                resp.raise_for_status()
                data = resp.json()
            except (httpx.HTTPError, ValueError) as exc:
                raise SystemExit(_unreachable(f"https://pypi.org/pypi/{name}/json: {exc}")) from exc
            latest = data["info"]["version"]
            if latest != version:
                unaudited.append((name, version, latest))
                continue
            vulns = [{"id": v["id"], "fix_versions": v.get("fixed_in", []), "aliases": v.get("aliases", [])}
                     for v in data.get("vulnerabilities") or []]
            audited.append({"name": name, "version": version, "vulns": vulns})
    return audited, unaudited


def main() -> int:
    config = _config()
    ignore: dict[str, str] = config.get("ignore", {})
    justified: dict[str, str] = config.get("unaudited", {})
    deps = _pip_audit()
    skipped = [d for d in deps if d.get("skip_reason", "").startswith(NOT_FOUND)]
    unaudited: list[tuple[str, str, str]] = []
    if skipped:
        print(f"pip-audit could not read PyPI's per-version advisory API for {len(skipped)} of {len(deps)} pins "
              "(pypi.org/pypi/<name>/<version>/json unreachable from this network); reading each project's "
              "JSON instead")
        fallback, unaudited = _fallback(skipped)
        deps = [d for d in deps if d not in skipped] + fallback
    failures = 0
    for dep in deps:
        for vuln in dep.get("vulns", []):
            ids = {vuln["id"], *vuln.get("aliases", [])}
            reason = next((ignore[i] for i in ids if i in ignore), None)
            if reason:
                print(f"ignored  {dep['name']} {dep['version']} {vuln['id']}: {reason}")
            else:
                failures += 1
                print(f"VULNERABLE {dep['name']} {dep['version']} {vuln['id']} (fixed in {vuln.get('fix_versions')})")
    for name, version, latest in unaudited:
        if name in justified:
            print(f"unaudited {name} {version} (latest {latest}), justified: {justified[name]}")
        else:
            failures += 1
            print(f"UNAUDITED {name} {version} (latest {latest}): no advisory data reachable and no justification in "
                  "pyproject.toml [tool.dependency-audit.unaudited]")
    audited = sum(1 for d in deps if "vulns" in d)
    print(f"dependency audit: {audited} pins audited, {len(unaudited)} unaudited, {failures} problem(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
