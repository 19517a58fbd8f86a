"""Build the documentation site from executed notebooks: Sphinx + myst-nb, offline, no kernel.

    python scripts/build_site.py NOTEBOOK_DIR OUT_DIR
    python scripts/build_site.py var/executed site        # what scripts/main.sh does
    python scripts/build_site.py notebooks var/site       # from the committed (executed) notebooks

The site's sources are docs/site/: conf.py (Sphinx + myst-nb + the Furo theme), index.md (the
landing page: one sentence per notebook, and the table of contents), the plotly renderer plugin and
_static/. Every notebook in NOTEBOOK_DIR must be executed already (myst-nb only renders the stored
outputs) and listed in index.md. plotly.js is copied once into _static/ and loaded only by pages
with a plot. OUT_DIR/manifest.json lists each notebook page with its plot count for
scripts/check_html.mjs, which checks the site in headless Chromium.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat

from run_notebooks import ROOT, plot_count, shown

SITE_SOURCES = ROOT / "docs" / "site"
INDEX = SITE_SOURCES / "index.md"
PLOTLY_JS = ROOT / "node_modules" / "plotly.js-dist-min" / "plotly.min.js"
BUILD_ROOT = ROOT / "var" / "site-build"


class SiteError(Exception):
    """Bad input: the message says what to do."""


def log(message: str) -> None:
    print(f"[site] {message}", flush=True)


def toctree_entries(index_text: str) -> list[str]:
    """The documents listed in index.md's {toctree} block, in order."""
    match = re.search(r"```\{toctree\}\n(.*?)```", index_text, re.S)
    if not match:
        raise SiteError(f"{shown(INDEX)} has no {{toctree}} block listing the notebooks")
    return [line.strip() for line in match.group(1).splitlines() if line.strip() and not line.strip().startswith(":")]


def check_notebooks(paths: list[Path]) -> None:
    """Every notebook executed (the site renders stored outputs) and listed on the index page."""
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        code = [c for c in nb.cells if c.cell_type == "code" and c.source.strip()]
        unrun = [i for i, c in enumerate(code, 1) if c.get("execution_count") is None]
        if unrun:
            raise SiteError(
                f"{shown(path)} is not executed (code cell(s) {', '.join(map(str, unrun[:5]))} have no output); "
                "the site renders stored outputs only: run `python scripts/run_notebooks.py --out DIR` and build from DIR"
            )
    index_text = INDEX.read_text(encoding="utf-8")
    listed = toctree_entries(index_text)
    stems = [p.stem for p in paths]
    missing = [s for s in stems if s not in listed]
    extra = [s for s in listed if s not in stems]
    if missing:
        raise SiteError(
            f"{', '.join(missing)} not listed in {shown(INDEX)}: add each to its toctree and one sentence about it to its list"
        )
    if extra:
        raise SiteError(f"{shown(INDEX)} lists {', '.join(extra)}, which the notebook folder does not hold")
    for stem in stems:
        if f"{{doc}}`{stem}`" not in index_text:
            raise SiteError(f"{shown(INDEX)} has no sentence for {stem}: add \"{{doc}}`{stem}`\" and a sentence to its list")


def stage(paths: list[Path], src: Path) -> None:
    """Sphinx's source folder: index.md and copies of the notebooks (conf.py stays in docs/site)."""
    if src.exists():
        shutil.rmtree(src)
    src.mkdir(parents=True)
    shutil.copy2(INDEX, src / INDEX.name)
    for path in paths:
        shutil.copy2(path, src / path.name)


def sphinx_build(src: Path, html: Path, doctrees: Path, pages: int) -> None:
    """Run sphinx-build, echoing its progress as one line per page; warnings fail the build."""
    command = [
        sys.executable, "-m", "sphinx", "-b", "html", "-c", str(SITE_SOURCES), "-d", str(doctrees),
        "-E",  # read every source afresh: the notebooks may have the same names and new outputs
        "-W",  # a warning (an output myst-nb cannot render, a broken reference) fails the build
        "-j", "1", "--color" if sys.stdout.isatty() else "--no-color", str(src), str(html),
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT)
    assert process.stdout is not None
    steps = {"reading sources": "reading", "writing output": "writing"}
    seen: dict[str, int] = {}
    tail: list[str] = []
    for line in process.stdout:
        line = line.rstrip()
        tail = (tail + [line])[-40:]
        for prefix, verb in steps.items():
            m = re.match(rf"{prefix}\.\.\. \[\s*\d+%\] (\S+)", line)
            if m:
                seen[verb] = seen.get(verb, 0) + 1
                log(f"{verb} {seen[verb]}/{pages}: {m.group(1)}")
        if "WARNING" in line or "ERROR" in line or line.startswith(("Warning", "Exception", "Traceback")):
            print(f"       {line}", flush=True)
    if process.wait() != 0:
        print("\n".join(tail), file=sys.stderr)
        raise SiteError("sphinx-build failed (its last lines are above); fix the warning or error it names")


def check_out_dir(out: Path, notebook_dir: Path) -> None:
    """OUT_DIR is replaced as a whole: only ever a new or empty folder, or a site this script built."""
    if out == ROOT or out in ROOT.parents or out.is_relative_to(notebook_dir) or notebook_dir.is_relative_to(out):
        raise SiteError(f"{out} cannot be the site's folder: choose a folder of its own, e.g. site")
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / ".buildinfo").exists())):
        raise SiteError(f"{out} exists and is not a site built by this script: choose another output folder or remove it")


def publish(html: Path, out: Path) -> None:
    """Replace OUT_DIR with the built site (check_out_dir said it may be replaced)."""
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(html, out)


def site_report(out: Path) -> str:
    total = sum(f.stat().st_size for f in out.rglob("*") if f.is_file())
    pages = sorted(out.glob("*.html"), key=lambda f: f.stat().st_size, reverse=True)
    largest = pages[0]
    return (f"{len(pages)} pages, {total / 1e6:.1f} MB in all; largest page {largest.name} "
            f"{largest.stat().st_size / 1e6:.2f} MB (plotly.js {PLOTLY_JS.stat().st_size / 1e6:.1f} MB, shared)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebook_dir", type=Path, help="folder of executed notebooks (*.ipynb)")
    parser.add_argument("out_dir", type=Path, help="the site's folder, replaced as a whole (e.g. site)")
    args = parser.parse_args()
    started = time.monotonic()
    try:
        if not args.notebook_dir.is_dir():
            raise SiteError(f"{args.notebook_dir} is not a folder of notebooks")
        paths = sorted(args.notebook_dir.resolve().glob("*.ipynb"))
        if not paths:
            raise SiteError(f"no notebooks (*.ipynb) in {args.notebook_dir}")
        if not PLOTLY_JS.exists():
            raise SiteError(f"missing {shown(PLOTLY_JS)}: run `bash scripts/setup.sh` first")
        out = args.out_dir.resolve()
        check_out_dir(out, args.notebook_dir.resolve())
        check_notebooks(paths)
        plots = {p.stem: plot_count(nbformat.read(p, as_version=4)) for p in paths}
        log(f"building the site from {len(paths)} executed notebooks in {shown(args.notebook_dir.resolve())} "
            f"(Sphinx + myst-nb, no kernel; {sum(plots.values())} plots)")
        build = BUILD_ROOT / hashlib.sha256(str(out).encode()).hexdigest()[:12]
        stage(paths, build / "src")
        sphinx_build(build / "src", build / "html", build / "doctrees", len(paths) + 1)
        manifest = [
            {"page": f"{p.stem}.html", "notebook": p.name, "plots": plots[p.stem]} for p in paths
        ]
        (build / "html" / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        publish(build / "html", out)
    except SiteError as err:
        print(f"build_site: {err}", file=sys.stderr)
        return 1
    log(f"built {shown(out)}/ in {time.monotonic() - started:.0f} s: {site_report(out)}")
    log(f"open {shown(out / 'index.html')} in a browser (works offline)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
