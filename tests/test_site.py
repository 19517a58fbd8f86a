"""The documentation site's own pieces (scripts/build_site.py, docs/site/plotly_output.py).

The built site itself is checked in headless Chromium by scripts/check_html.mjs (scripts/test.sh,
step "documentation site in Chromium"); these tests pin what that check cannot see.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "scripts"), str(ROOT / "docs" / "site")]

import build_site  # noqa: E402
from plotly_output import PLOTLY_MIME, PlotlyMimeRenderer, figure_html  # noqa: E402


def test_a_figure_cannot_close_its_script_element():
    title = "</script><script>alert(1)</script><!-- & -->"
    figure = {"data": [{"type": "scatter", "name": title}], "layout": {"title": {"text": title}}}
    html = figure_html(figure)
    inner = re.fullmatch(r'<div class="plotly-output"><script type="application/json">(.*)</script></div>', html, re.S)
    assert inner, html
    assert "<" not in inner.group(1) and ">" not in inner.group(1) and "&" not in inner.group(1)
    assert json.loads(inner.group(1)) == figure  # the escapes are plain JSON: the figure comes back whole


def test_a_plotly_output_that_is_not_a_figure_is_refused():
    with pytest.raises(ValueError, match="data"):
        figure_html({"layout": {}})


def test_the_renderer_is_declared_where_myst_nb_looks_for_it():
    # myst-nb finds mime renderers through this entry-point group only; conf.py puts docs/site on sys.path.
    from importlib.metadata import entry_points

    found = [ep for ep in entry_points(group="myst_nb.mime_renderers") if ep.name == "plotly"]
    assert [ep.load() for ep in found] == [PlotlyMimeRenderer]
    assert ("html", PLOTLY_MIME, 5) in PlotlyMimeRenderer.mime_priority_overrides


def test_every_committed_notebook_is_on_the_index_page():
    build_site.check_notebooks(sorted((ROOT / "notebooks").glob("*.ipynb")))


def test_an_unexecuted_notebook_is_refused_with_what_to_do(tmp_path):
    paths = sorted((ROOT / "notebooks").glob("*.ipynb"))
    copies = []
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        if path.stem.startswith("03"):
            for cell in nb.cells:
                if cell.cell_type == "code":
                    cell.execution_count, cell.outputs = None, []
        nbformat.write(nb, tmp_path / path.name)
        copies.append(tmp_path / path.name)
    with pytest.raises(build_site.SiteError, match=r"03_loose_matches.ipynb is not executed.*run_notebooks.py --out"):
        build_site.check_notebooks(copies)


def test_a_notebook_missing_from_the_index_is_refused(tmp_path):
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        (tmp_path / path.name).write_bytes(path.read_bytes())
    (tmp_path / "07_new.ipynb").write_bytes((ROOT / "notebooks" / "03_loose_matches.ipynb").read_bytes())
    with pytest.raises(build_site.SiteError, match="07_new not listed in docs/site/index.md"):
        build_site.check_notebooks(sorted(tmp_path.glob("*.ipynb")))


def test_the_site_folder_is_never_a_folder_it_did_not_build(tmp_path):
    (tmp_path / "keep.txt").write_text("mine")
    with pytest.raises(build_site.SiteError, match="not a site built by this script"):
        build_site.check_out_dir(tmp_path, ROOT / "notebooks")
    with pytest.raises(build_site.SiteError, match="folder of its own"):
        build_site.check_out_dir(ROOT, ROOT / "notebooks")
    build_site.check_out_dir(tmp_path / "new", ROOT / "notebooks")  # a new folder is fine
