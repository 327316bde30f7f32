// The map explorer in the browser (dashboard/pages/carte.py):
// - fits the view to the map's real size (a phone is narrower than the width the server
//   fitted it to) from `layout.meta.fit`, each time that box changes (a new level, a found territory);
// - shows the territories' names when zoomed in enough for them to be read, from
//   /carte/noms/<level>.json, fetched the first time they are needed (the map's answers stay light);
// - writes out the hover rows the server sends as numbers (assets/hover.js), after each draw.
(function () {
  var MIN_ZOOM = {commune: 9.6, epci: 7.6, departement: 0, region: 0, france: 0};
  var names = {};  // level -> label points, or "loading"

  function graph() { return document.querySelector("#map .js-plotly-plot"); }
  function mapOf(gd) {
    try { return gd._fullLayout.map._subplot.map; } catch (e) { return null; }
  }

  function fit(gd, map) {
    var meta = (gd.layout && gd.layout.meta) || {};
    var box = meta.fit;
    var key = JSON.stringify(box) + "|" + (meta.focus || "");
    if (!box || box.length !== 4 || gd._itddFitted === key) { return; }
    gd._itddFitted = key;
    map.fitBounds([[box[0], box[1]], [box[2], box[3]]], {padding: 8, animate: false});
  }

  function overlay(gd) {
    var box = gd.closest(".map-box") || gd.parentNode;
    var layer = box.querySelector(".map-names");
    if (!layer) {
      layer = document.createElement("div");
      layer.className = "map-names";
      layer.setAttribute("aria-hidden", "true");  // the table below the map names every territory
      box.appendChild(layer);
    }
    return layer;
  }

  function draw(gd, map) {
    var level = (gd.layout && gd.layout.meta && gd.layout.meta.level) || "commune";
    var layer = overlay(gd);
    var minZoom = MIN_ZOOM[level] === undefined ? 99 : MIN_ZOOM[level];
    if (map.getZoom() < minZoom) { layer.replaceChildren(); layer.dataset.shown = "0"; return; }
    var points = names[level];
    if (points === undefined) {
      names[level] = "loading";
      fetch("/carte/noms/" + encodeURIComponent(level) + ".json")
        .then(function (r) { return r.ok ? r.json() : []; })
        .then(function (data) { names[level] = data; draw(gd, map); })
        .catch(function () { names[level] = []; });
      return;
    }
    if (points === "loading") { return; }
    var width = gd.clientWidth, height = gd.clientHeight, taken = [], nodes = [];
    points.forEach(function (p) {  // largest first: a smaller neighbour's name gives way
      var at = map.project([p[2], p[3]]);
      if (at.x < 0 || at.y < 0 || at.x > width || at.y > height) { return; }
      var w = p[1].length * 6.2 + 6, h = 15;
      var box = [at.x - w / 2, at.y - h / 2, at.x + w / 2, at.y + h / 2];
      for (var i = 0; i < taken.length; i++) {
        var o = taken[i];
        if (box[0] < o[2] && box[2] > o[0] && box[1] < o[3] && box[3] > o[1]) { return; }
      }
      taken.push(box);
      var span = document.createElement("span");
      span.className = "map-name";
      span.textContent = p[1];
      span.style.left = Math.round(at.x) + "px";
      span.style.top = Math.round(at.y) + "px";
      nodes.push(span);
    });
    layer.replaceChildren.apply(layer, nodes);
    layer.dataset.shown = String(nodes.length);
  }

  function attach() {
    var gd = graph();
    if (gd && window.itddHover) { window.itddHover.apply(gd); }
    var map = gd && mapOf(gd);
    if (!map) { return; }
    fit(gd, map);
    if (map._itddNames) { return; }
    map._itddNames = true;
    var redraw = function () { draw(gd, map); };
    // The graph takes its real width after the first draw (and when the window changes): fit again.
    map.on("resize", function () { gd._itddFitted = null; fit(gd, map); });
    map.on("moveend", redraw);
    map.on("move", redraw);
    gd.on("plotly_afterplot", function () { window.itddHover.apply(gd); fit(gd, map); redraw(); });
    redraw();
  }

  setInterval(attach, 400);
})();
