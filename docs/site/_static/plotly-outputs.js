// Draw every plotly output of the page (docs/site/plotly_output.py writes each as a
// <div class="plotly-output"> holding the figure's JSON). Loaded, deferred, after plotly.min.js,
// and only on pages that have a plot.
(function () {
  "use strict";
  function draw(holder) {
    var json = holder.querySelector('script[type="application/json"]');
    var figure = JSON.parse(json.textContent);
    var plot = document.createElement("div");
    plot.className = "plotly-figure";
    holder.appendChild(plot);
    var config = Object.assign({ responsive: true, displaylogo: false }, figure.config || {});
    return window.Plotly.newPlot(plot, figure.data, figure.layout || {}, config);
  }
  document.querySelectorAll(".plotly-output").forEach(function (holder) {
    try {
      draw(holder);
    } catch (err) {
      holder.textContent = "This plot could not be drawn: " + err.message;
      throw err; // and let the page report it (the site check fails on page errors)
    }
  });
})();
