"""myst-nb renders the notebooks' plotly outputs: a placeholder plus the figure's JSON.

The notebooks display plots as the MIME type `application/vnd.plotly.v1+json` (lib/notebook/plot.ts)
with a text/plain twin. myst-nb has no renderer for that type: it would warn and drop it. This is a
mime-renderer plugin, myst-nb's extension point for such types (entry-point group
`myst_nb.mime_renderers`, declared by tiled_ts_site-0.dist-info beside this file; conf.py puts this
folder on sys.path so the entry point is found without installing anything).

Each figure becomes a `<div class="plotly-output">` holding its JSON in a
`<script type="application/json">` block (data, never executed), and the page that holds one asks
for plotly.min.js and plotly-outputs.js from the site's shared _static/ folder. Pages without a
plot load no plotly.js at all.
"""

from __future__ import annotations

import json
from typing import Any

from docutils import nodes

PLOTLY_MIME = "application/vnd.plotly.v1+json"

# Shared assets in _static/ (conf.py copies them there once for the whole site).
PLOTLY_JS = "plotly.min.js"
DRAW_JS = "plotly-outputs.js"


def figure_html(figure: Any) -> str:
    """The placeholder and the figure's JSON, safe inside a <script> element.

    `<`, `>` and `&` are written as JSON escapes, so no string in the figure (a title, a run's
    metadata) can close the script element or open a comment; JSON.parse reads them back as is.
    """
    if isinstance(figure, (str, bytes)):
        figure = json.loads(figure)
    if not isinstance(figure, dict) or not isinstance(figure.get("data"), list):
        raise ValueError("a plotly output must be a JSON object with a `data` list")
    text = json.dumps(figure, separators=(",", ":"), ensure_ascii=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return f'<div class="plotly-output"><script type="application/json">{text}</script></div>'


class PlotlyMimeRenderer:
    """myst-nb MimeRenderPlugin (myst_nb.core.render.MimeRenderPlugin) for plotly figures."""

    # (builder, mime type, priority): lower is preferred; text/html is 30, text/plain 100.
    mime_priority_overrides = [("html", PLOTLY_MIME, 5), ("dirhtml", PLOTLY_MIME, 5)]

    @staticmethod
    def handle_mime(renderer, data, inline) -> list[nodes.Element] | None:
        if inline or data.mime_type != PLOTLY_MIME:
            return None  # not ours: myst-nb's own renderers take it
        try:
            html = figure_html(data.content)
        except ValueError as err:
            renderer.logger.warning(f"plotly output not drawn: {err}", subtype="plotly", line=data.line)
            return None
        # Deferred scripts run in document order once the page is parsed: plotly.js first.
        renderer.add_js_file("plotly", PLOTLY_JS, {"defer": "defer"})
        renderer.add_js_file("plotly-outputs", DRAW_JS, {"defer": "defer"})
        return [nodes.raw(text=html, format="html", classes=["output", "plotly"])]
