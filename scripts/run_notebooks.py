"""Execute the TypeScript notebooks headless with the tslab kernel, and say clearly what failed.

tslab sends Jupyter no error name, message or traceback: a failing cell only leaves its stack on
the cell's stderr, and nbconvert reports an empty CellExecutionError. This runner drives nbclient
itself and, on failure, prints the notebook, the cell number, the cell's source and everything
the cell wrote to stderr.

    python scripts/run_notebooks.py                      # all notebooks, outputs written back in place
    python scripts/run_notebooks.py --out var/executed   # leave the committed notebooks untouched
    TILED_SNAPSHOTS=replay python scripts/run_notebooks.py --out var/replayed

The environment (TILED_URL, TILED_SNAPSHOTS, ...) passes through to the kernel.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
PLOTLY_MIME = "application/vnd.plotly.v1+json"


def plot_count(nb: nbformat.NotebookNode) -> int:
    """Plots a notebook displays: one per plotly output."""
    return sum(
        1
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.get("outputs", [])
        if PLOTLY_MIME in out.get("data", {})
    )


def shown(path: Path) -> str:
    """The path relative to the project when it is inside it, else as given."""
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def describe_failure(path: Path, nb: nbformat.NotebookNode, index: int | None, reason: str) -> str:
    lines = [f"\nFAILED: {shown(path)} ({reason})"]
    if index is None:
        return "\n".join(lines)
    cell = nb.cells[index]
    code_number = sum(1 for c in nb.cells[: index + 1] if c.cell_type == "code")
    lines.append(f"--- code cell {code_number} (cell {index + 1} of {len(nb.cells)}), source:")
    lines.extend("    " + line for line in cell.source.splitlines())
    stderr = [o.get("text", "") for o in cell.get("outputs", []) if o.get("name") == "stderr"]
    errors = [
        "\n".join(o.get("traceback", [])) or f"{o.get('ename')}: {o.get('evalue')}"
        for o in cell.get("outputs", [])
        if o.get("output_type") == "error"
    ]
    lines.append("--- the cell's stderr:" if stderr or errors else "--- the cell wrote nothing to stderr")
    lines.extend("    " + line for text in stderr + errors for line in str(text).splitlines())
    return "\n".join(lines)


def cell_seconds(cell: nbformat.NotebookNode) -> float:
    timing = cell.metadata.get("execution", {})
    start, end = timing.get("iopub.execute_input"), timing.get("shell.execute_reply")
    if not (start and end):
        return 0.0
    from datetime import datetime

    return (datetime.fromisoformat(end.replace("Z", "+00:00")) - datetime.fromisoformat(start.replace("Z", "+00:00"))).total_seconds()


def run(path: Path, out_dir: Path | None, timeout: int) -> tuple[bool, float, int]:
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        kernel_name="tslab",
        timeout=timeout,
        resources={"metadata": {"path": str(NOTEBOOKS)}},
        record_timing=True,  # per-cell times for the report; stripped before writing (they churn in git)
    )
    started = time.monotonic()
    failed_index: int | None = None
    ok = True
    try:
        client.execute()
    except (CellExecutionError, CellTimeoutError) as err:
        ok = False
        # nbclient stops at the failing cell: it is the last code cell holding an execution count.
        executed = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and c.get("execution_count")]
        failed_index = executed[-1] if executed else None
        reason = "timed out" if isinstance(err, CellTimeoutError) else "a cell raised"
        print(describe_failure(path, nb, failed_index, reason), file=sys.stderr)
    except DeadKernelError as err:
        ok = False
        print(describe_failure(path, nb, None, f"the kernel died: {err}"), file=sys.stderr)
    elapsed = time.monotonic() - started
    slowest = sorted(((cell_seconds(c), i) for i, c in enumerate(nb.cells) if c.cell_type == "code"), reverse=True)[:3]
    if slowest and slowest[0][0] > 5:
        print(f"     slowest cells of {path.name}: " + ", ".join(f"cell {i + 1} {t:.1f} s" for t, i in slowest), flush=True)
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
    target = (out_dir / path.name) if out_dir else path
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, target)
    return ok, elapsed, plot_count(nb)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: notebooks/*.ipynb")
    parser.add_argument("--out", type=Path, help="write executed copies here instead of in place")
    parser.add_argument("--timeout", type=int, default=120, help="seconds per cell (default 120)")
    args = parser.parse_args()
    paths = [p.resolve() for p in args.notebooks] or sorted(NOTEBOOKS.glob("*.ipynb"))
    if not paths:
        print("no notebooks found in notebooks/", file=sys.stderr)
        return 1
    failures = 0
    for path in paths:
        ok, elapsed, plots = run(path, args.out.resolve() if args.out else None, args.timeout)
        failures += not ok
        print(f"{'ok  ' if ok else 'FAIL'} {path.name:40s} {elapsed:6.1f} s  {plots} plots", flush=True)
    print(f"{len(paths) - failures} passed, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
