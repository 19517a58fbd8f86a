"""Sphinx configuration of the documentation site (built by scripts/build_site.py).

Sphinx with myst-nb, as tiled's own documentation is built, and the Furo theme (light: its
assets are ~200 kB, so the whole site stays far below its 10 MB budget next to plotly.js).
The notebooks are stored executed: myst-nb renders their outputs and never runs a kernel.
Nothing here points outside the site: no CDN, no web fonts, no analytics.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
# plotly_output.py and the dist-info that declares it as myst-nb's renderer for plotly outputs.
sys.path.insert(0, str(HERE))

project = "Tiled in TypeScript"
html_title = "Tiled in TypeScript"  # the sidebar's name; the index's heading has the full title
author = "the tiled-ts-demo developers"
language = "en"

extensions = ["myst_nb"]
root_doc = "index"
exclude_patterns = ["jupyter_execute", "**.ipynb_checkpoints"]

# --- myst-nb: render the stored outputs as they are ---------------------------------------------
nb_execution_mode = "off"
nb_merge_streams = True  # tslab writes a cell's stdout in many small chunks
# tasklist: notebook 01 lists the demo's questions as "* [x] ..."; deflist: the index's list of pages.
myst_enable_extensions = ["tasklist", "deflist"]
myst_heading_anchors = 3
# The kernel is tslab; its language_info says typescript, which Pygments highlights.

# --- HTML ----------------------------------------------------------------------------------------
html_theme = "furo"
html_static_path = [
    "_static",
    # plotly.js, once for the whole site (pages with a plot load it; see plotly_output.py).
    str(ROOT / "node_modules" / "plotly.js-dist-min" / "plotly.min.js"),
]
html_css_files = ["site.css"]
html_copy_source = False  # no _sources/ copies of the notebooks (each is up to 1 MB of outputs)
html_show_sourcelink = False
html_last_updated_fmt = None
html_show_copyright = False  # no "Copyright ©" line with nothing after it
# Search result summaries are fetched from each page, which browsers refuse for file:// pages;
# the result list itself (page titles and sections) works offline.
html_show_search_summary = False
html_theme_options = {
    "navigation_with_keys": True,  # left/right arrow keys: previous/next page
}
