"""Export the executed notebooks to a static HTML site that works offline.

    python scripts/export_html.py [--site site] [notebooks...]

Each notebook becomes `site/<name>.html`, rendered with the `offline` template in
scripts/templates: no CDN links, plotly.js (node_modules/plotly.js-dist-min) inlined once per
page, and every plotly output drawn from its JSON. `site/index.html` lists the notebooks with
their titles and how many plots each has; `site/manifest.json` records the same for the browser
check (scripts/check_html.mjs).
"""

from __future__ import annotations

import argparse
import html
import json
import sys
from pathlib import Path

import nbformat
from nbconvert import HTMLExporter
from traitlets.config import Config

from run_notebooks import NOTEBOOKS, PLOTLY_MIME, ROOT, plot_count

PLOTLY_JS = ROOT / "node_modules" / "plotly.js-dist-min" / "plotly.min.js"
TEMPLATES = ROOT / "scripts" / "templates"


def exporter() -> HTMLExporter:
    config = Config()
    # Plotly's JSON first, so the template draws it; then nbconvert's usual HTML priorities.
    config.NbConvertBase.display_data_priority = [
        PLOTLY_MIME,
        "text/html",
        "text/markdown",
        "image/svg+xml",
        "text/latex",
        "image/png",
        "image/jpeg",
        "text/plain",
    ]
    return HTMLExporter(config=config, template_name="offline", extra_template_basedirs=[str(TEMPLATES)])


def title_of(nb: nbformat.NotebookNode, fallback: str) -> tuple[str, str]:
    """The first markdown heading, and the paragraph after it, as the page's title and blurb."""
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        lines = [line.strip() for line in cell.source.splitlines()]
        heading = next((line.lstrip("# ") for line in lines if line.startswith("#")), None)
        if heading:
            after = lines[lines.index(next(line for line in lines if line.startswith("#"))) + 1 :]
            blurb = next((line for line in after if line and not line.startswith("#")), "")
            return heading, blurb
    return fallback, ""


def index_page(entries: list[dict]) -> str:
    items = "\n".join(
        f'<li><a href="{html.escape(e["html"])}">{html.escape(e["title"])}</a>'
        f' <span class="n">({e["plots"]} plots)</span><br><span class="b">{html.escape(e["blurb"])}</span></li>'
        for e in entries
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Tiled in TypeScript: the APS demo, ported</title>
<style>body{{font-family:sans-serif;max-width:52em;margin:2em auto;line-height:1.45}}
li{{margin:.8em 0}} .n{{color:#666;font-size:90%}} .b{{color:#333;font-size:92%}}</style></head>
<body><h1>Tiled in TypeScript: the APS demo, ported</h1>
<p>TypeScript notebooks (tslab kernel) that query a tiled server serving two databroker catalogs of
Bluesky runs, <code>bdp2022</code> and <code>20idb_usaxs</code>. Executed against the project's replica
server; this site works offline.</p>
<ol>
{items}
</ol></body></html>
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: notebooks/*.ipynb")
    parser.add_argument("--site", type=Path, default=ROOT / "site")
    args = parser.parse_args()
    if not PLOTLY_JS.exists():
        print(f"missing {PLOTLY_JS.relative_to(ROOT)}: run `bash scripts/setup.sh` first", file=sys.stderr)
        return 1
    paths = [p.resolve() for p in args.notebooks] or sorted(NOTEBOOKS.glob("*.ipynb"))
    plotly_js = PLOTLY_JS.read_text(encoding="utf-8")
    if "</script" in plotly_js.lower():
        # Inlined code must not close its own <script> element early.
        plotly_js = plotly_js.replace("</script", "<\\/script").replace("</SCRIPT", "<\\/SCRIPT")
    site = args.site.resolve()
    site.mkdir(parents=True, exist_ok=True)
    html_exporter = exporter()
    entries = []
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        body, _ = html_exporter.from_notebook_node(
            nb, resources={"plotly_js": plotly_js, "metadata": {"name": path.stem}}
        )
        target = site / f"{path.stem}.html"
        target.write_text(body, encoding="utf-8")
        title, blurb = title_of(nb, path.stem)
        entries.append({"notebook": path.name, "html": target.name, "title": title, "blurb": blurb, "plots": plot_count(nb)})
        print(f"exported {target.relative_to(ROOT) if target.is_relative_to(ROOT) else target}  ({plot_count(nb)} plots, {len(body) / 1e6:.1f} MB)")
    (site / "index.html").write_text(index_page(entries), encoding="utf-8")
    (site / "manifest.json").write_text(json.dumps(entries, indent=2) + "\n", encoding="utf-8")
    print(f"site: {site / 'index.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
