"""Write environment.yml (for conda users) from requirements.txt, the project's exact pins.

    python scripts/sync_environment.py          # rewrite environment.yml
    python scripts/sync_environment.py --check  # exit 1 if it is out of date (tests/ run this)

conda provides Python and Node.js; every Python package comes from the same exact pins that
scripts/setup.sh installs into .venv, via pip, so the two environments cannot drift apart.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEADER = """\
# conda users: `conda env create -f environment.yml && conda activate tiled-ts-demo`, then
# `npm ci` and the README's commands. Generated from requirements.txt by
# scripts/sync_environment.py; tests/test_project.py fails when the two disagree.
name: tiled-ts-demo
channels:
  - conda-forge
dependencies:
  - python=3.11
  - nodejs=20
  - pip
  - pip:
"""


def pins() -> list[str]:
    lines = (ROOT / "requirements.txt").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


def render() -> str:
    return HEADER + "".join(f"      - {pin}\n" for pin in pins())


def main() -> int:
    target = ROOT / "environment.yml"
    if "--check" in sys.argv:
        if not target.exists() or target.read_text() != render():
            print("environment.yml is out of date: run python scripts/sync_environment.py", file=sys.stderr)
            return 1
        return 0
    target.write_text(render())
    print(f"wrote {target.relative_to(ROOT)} ({len(pins())} pins)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
