"""Project-level promises: pinned dependencies, conda file in sync, CI runs the README's test command."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def requirement_pins() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, version = line.partition("==")
        assert sep, f"requirements.txt: {line!r} is not pinned with =="
        pins[name.lower()] = version
    return pins


def test_every_python_dependency_is_pinned_exactly():
    pins = requirement_pins()
    assert {"tiled", "bluesky-tiled-plugins", "event-model", "h5py", "jupyterlab", "nbclient"} <= set(pins)
    assert pins["tiled"].startswith("0.2."), "the replica must run a tiled 0.2.x release"


def test_environment_yml_lists_exactly_the_requirements():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_entries = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d)
    from_env = {}
    for entry in pip_entries:
        name, _, version = entry.partition("==")
        from_env[name.lower()] = version
    assert from_env == requirement_pins(), "run: python scripts/sync_environment.py"
    assert any(str(d).startswith("python=3.11") for d in env["dependencies"])
    assert any(str(d).startswith("nodejs=20") for d in env["dependencies"])


def test_npm_dependencies_are_exact_versions():
    package = json.loads((ROOT / "package.json").read_text())
    for section in ("dependencies", "devDependencies"):
        for name, version in package[section].items():
            assert re.fullmatch(r"\d+\.\d+\.\d+", version), f"{section}.{name} = {version!r} is not an exact version"
    assert package["dependencies"]["tslab"] == "1.0.22"


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    command = "bash scripts/test.sh"
    assert command in readme, "the README must show the test command"
    assert re.search(rf"^exec {re.escape(command)}$", ci, re.M), ".ci/run must call exactly the README's test command"
