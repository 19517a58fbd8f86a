"""Execute the TypeScript notebooks headless with the tslab kernel, and say clearly what failed.

tslab sends Jupyter no error name, message or traceback: a failing cell only leaves its stack on
the cell's stderr, and nbconvert reports an empty CellExecutionError. This runner drives nbclient
itself and, on failure, prints the notebook, the cell number, the cell's source and everything
the cell wrote to stderr.

    python scripts/run_notebooks.py                      # all notebooks, executed copies in var/executed/
    python scripts/run_notebooks.py --out var/test/live  # executed copies elsewhere
    python scripts/run_notebooks.py --in-place           # refresh the committed notebooks (outputs written back)
    TILED_SNAPSHOTS=replay python scripts/run_notebooks.py --out var/replayed

The committed notebooks are rewritten only with --in-place (scripts/refresh_notebooks.sh), so the
main job leaves `git status` clean. Progress: one line when each notebook starts, then every 5 s
while it runs (the cell it is at and the time so far), and one line with its result.
The environment (TILED_URL, TILED_SNAPSHOTS, ...) passes through to the kernel.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
DEFAULT_OUT = ROOT / "var" / "executed"
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


class Ticker:
    """Says every `every` seconds which cell a running notebook is at, so a long run is never silent."""

    def __init__(self, label: str, cells: int, every: float = 5.0) -> None:
        self.label, self.cells, self.every = label, cells, every
        self.cell = 0
        self.started = time.monotonic()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def on_cell_start(self, cell: nbformat.NotebookNode, cell_index: int, **_: object) -> None:
        self.cell = cell_index + 1

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            where = f"cell {self.cell}/{self.cells}" if self.cell else "starting the tslab kernel"
            print(f"     {self.label} … {where}, {time.monotonic() - self.started:.0f} s", flush=True)

    def __enter__(self) -> "Ticker":
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


def run(path: Path, out_dir: Path | None, timeout: int, label: str) -> tuple[bool, float, int]:
    nb = nbformat.read(path, as_version=4)
    ticker = Ticker(label, len(nb.cells))
    client = NotebookClient(
        nb,
        kernel_name="tslab",
        timeout=timeout,
        resources={"metadata": {"path": str(NOTEBOOKS)}},
        record_timing=True,  # per-cell times for the report; stripped before writing (they churn in git)
        on_cell_start=ticker.on_cell_start,
    )
    started = time.monotonic()
    failed_index: int | None = None
    ok = True
    try:
        with ticker:
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
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--out", type=Path, default=DEFAULT_OUT,
                       help=f"write the executed copies here (default: {shown(DEFAULT_OUT)})")
    where.add_argument("--in-place", action="store_true",
                       help="write the outputs back into the notebooks themselves (refreshing the committed ones)")
    parser.add_argument("--timeout", type=int, default=120, help="seconds per cell (default 120)")
    args = parser.parse_args()
    paths = [p.resolve() for p in args.notebooks] or sorted(NOTEBOOKS.glob("*.ipynb"))
    if not paths:
        print("no notebooks found in notebooks/", file=sys.stderr)
        return 1
    missing = [p for p in paths if not p.is_file()]
    if missing:
        print(f"no such notebook: {', '.join(map(shown, missing))}", file=sys.stderr)
        return 1
    out_dir = None if args.in_place else args.out.resolve()
    print(f"executing {len(paths)} notebooks with the tslab kernel; outputs "
          + ("written back in place" if out_dir is None else f"to {shown(out_dir)}/"), flush=True)
    failures = 0
    started = time.monotonic()
    for n, path in enumerate(paths, 1):
        label = f"notebook {n}/{len(paths)}: {path.stem}"
        print(f"     {label} …", flush=True)
        ok, elapsed, plots = run(path, out_dir, args.timeout, label)
        failures += not ok
        print(f"{'ok  ' if ok else 'FAIL'} {label:48s} {elapsed:6.1f} s  {plots} plot{'' if plots == 1 else 's'}", flush=True)
    print(f"notebooks done in {time.monotonic() - started:.0f} s")
    print(f"{len(paths) - failures} passed, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
