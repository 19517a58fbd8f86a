"""How long the first cell of a notebook takes under tslab: the package against the kernel's floor.

tslab type-checks and compiles every cell with its own TypeScript before running it; the first
cell also pays for loading the types of what it imports. The floor is a first cell that imports
only apache-arrow (issue 21); the package's cells import tiled-client (its .d.ts and ESM build).
Each repetition starts a fresh kernel (not timed), then times the first cell's execute request to
its reply, and the same cell again (warm), variants interleaved so the machine's noise falls on
all of them alike. Cells run in var/bench/nb/, so the kernel resolves packages from the project's
node_modules like the notebooks do.

    .venv/bin/python bench/first_cell.py [--reps 5] [--old /path/to/an/old/checkout]

--old times the first cell of a checkout whose notebooks imported lib/ as TypeScript through the
notebooks/lib symlink (before the package), from its own notebooks folder.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

from jupyter_client.manager import start_new_kernel

ROOT = Path(__file__).resolve().parent.parent
# The project registers the tslab kernel under .jupyter/ only (scripts/setup.sh), never in the
# user's Jupyter path: look there when the caller did not source scripts/env.sh.
os.environ.setdefault("JUPYTER_PATH", str(ROOT / ".jupyter" / "share" / "jupyter"))
WORK = ROOT / "var" / "bench" / "nb"

FLOOR = 'import { tableFromArrays } from "apache-arrow";\nconsole.log(typeof tableFromArrays);'
PACKAGE = 'import { fromUri, Key } from "tiled-client";\nconsole.log(typeof fromUri, typeof Key);'
NOTEBOOK = (
    'import { fromUri, tree, summary, Key, TimeRange, FullText, ScanID } from "tiled-client";\n'
    'import type { CatalogOfBlueskyRuns, StreamData } from "tiled-client";\n'
    'import { showTable, showRecord, heatmap, linePlot } from "tiled-client/notebook";\n'
    "console.log(typeof fromUri, typeof showTable);"
)
# Diagnostic: the floor plus zod, whose types the package's declarations reference.
FLOOR_ZOD = 'import { tableFromArrays } from "apache-arrow";\nimport { z } from "zod";\nconsole.log(typeof tableFromArrays, typeof z);'
OLD = 'import { fromUri, Key } from "./lib/index";\nconsole.log(typeof fromUri, typeof Key);'


def run_cell(code: str, cwd: Path) -> tuple[float, float]:
    """Start a kernel in `cwd`, time the first execution of `code`, then a second one."""
    km, kc = start_new_kernel(kernel_name="tslab", cwd=str(cwd))
    try:
        times = []
        for _ in range(2):
            t0 = time.perf_counter()
            reply = kc.execute_interactive(code, timeout=300, output_hook=lambda msg: None)
            times.append(time.perf_counter() - t0)
            if reply["content"]["status"] != "ok":
                raise RuntimeError(f"cell failed in {cwd}: {reply['content']}")
        return times[0], times[1]
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--old", type=Path, help="a checkout whose notebooks import ./lib/index (TypeScript)")
    args = parser.parse_args(argv)
    WORK.mkdir(parents=True, exist_ok=True)
    variants = {
        "floor: import apache-arrow": (FLOOR, WORK),
        "tiled-client: import fromUri, Key": (PACKAGE, WORK),
        "tiled-client: notebook 02's imports": (NOTEBOOK, WORK),
        "diagnostic: apache-arrow + zod": (FLOOR_ZOD, WORK),
    }
    if args.old:
        variants["before: ./lib/index as TypeScript"] = (OLD, args.old / "notebooks")
    first: dict[str, list[float]] = {name: [] for name in variants}
    warm: dict[str, list[float]] = {name: [] for name in variants}
    for rep in range(args.reps):
        for name, (code, cwd) in variants.items():
            a, b = run_cell(code, cwd)
            first[name].append(a)
            warm[name].append(b)
            print(f"  rep {rep + 1}/{args.reps} {name}: first {a:.2f} s, again {b:.2f} s", flush=True)
    floor = statistics.median(first["floor: import apache-arrow"])
    print(f"\nfirst cell under tslab, median of {args.reps} (load {os.getloadavg()[0]:.1f}):")
    print(f"  {'variant':40s} {'first cell':>10s} {'vs floor':>9s} {'same cell again':>16s}")
    for name in variants:
        m = statistics.median(first[name])
        print(f"  {name:40s} {m:9.2f}s {m / floor:8.2f}x {statistics.median(warm[name]):15.2f}s")
    package = statistics.median(first["tiled-client: notebook 02's imports"])
    print(f"\ntarget: the package's first cell <= 1.5x the floor: {package / floor:.2f}x -> {'met' if package <= 1.5 * floor else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
