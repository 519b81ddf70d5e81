// Draw every chart of the page: each <script type="application/json" data-wf-chart="ID"> holds a
// Vega-Lite spec with its data inline (wfplan.web.charts), drawn as SVG into the element ID by
// the vendored vega-embed. No network request: the data is in the page.
(function () {
  "use strict";
  function draw() {
    var specs = document.querySelectorAll("script[type='application/json'][data-wf-chart]");
    Array.prototype.forEach.call(specs, function (node) {
      var target = document.getElementById(node.getAttribute("data-wf-chart"));
      if (!target || typeof window.vegaEmbed !== "function") {
        return;
      }
      window.vegaEmbed(target, JSON.parse(node.textContent), {actions: false, renderer: "svg"})
        .catch(function (error) {
          target.textContent = "The chart could not be drawn; its figures are in the table.";
          if (window.console) { window.console.error(error); }
        });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
}());
