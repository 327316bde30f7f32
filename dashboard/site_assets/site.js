// Draws each figure of a published page with the local copy of Plotly.js;
// the figure's data sits in the JSON script named by data-figure.
document.querySelectorAll(".js-figure").forEach(function (target) {
  var spec = JSON.parse(document.getElementById(target.dataset.figure).textContent);
  Plotly.newPlot(target, spec.data, spec.layout, spec.config);
});
