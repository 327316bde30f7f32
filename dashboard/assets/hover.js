// The map's hover text, assembled in the browser (dashboard/maps/hover.py says the layout):
// each row [value, rank, previous value, ...words] becomes [value text, rank text, change text,
// ...words], from the format in `layout.meta.hover` (language, declared decimals, unit, the
// secret and incomplete rows). Numbers are written as dashboard/formatting.py writes them:
// U+202F groups and a decimal comma in French, trailing zeros dropped unless the indicator
// declares its decimals; tests/test_browser.py holds the two to the same words.
window.itddHover = (function () {
  var NNBSP = "\u202f";

  function decimalsFor(v) {
    var size = Math.abs(v);
    return size >= 1000 ? 0 : size >= 10 ? 1 : 2;
  }

  function number(v, lang, decimals, sign, fixed) {
    var d = decimals === null || decimals === undefined ? decimalsFor(v) : decimals;
    var text = new Intl.NumberFormat(lang === "fr" ? "fr-FR" : "en-US", {
      minimumFractionDigits: fixed ? d : 0,
      maximumFractionDigits: d,
      roundingMode: "halfEven",
      signDisplay: sign ? "exceptZero" : "auto",
    }).format(v);
    return lang === "fr" ? text.replace(/[\s\u00a0\u202f]/g, NNBSP).replace(/\u2212/g, "-") : text;
  }

  function spaced(lang) { return lang === "fr" ? NNBSP : " "; }

  function delta(d, spec) {
    var text = number(d, spec.lang, Math.max(1, decimalsFor(d)), true, false);
    if (spec.rate) { return text + " " + spec.words[Math.abs(d) >= 2 ? "points_plural" : "points"]; }
    return spec.unit ? text + spaced(spec.lang) + spec.unit : text;
  }

  function change(previous, value, spec) {
    if (previous === null || value === null) { return "–"; }
    if (spec.rate || previous <= 0 || value <= 0) { return delta(value - previous, spec); }
    var percent = number((value / previous - 1) * 100, spec.lang, 1, true, false);
    return spec.lang === "fr" ? percent + NNBSP + "%" : percent + "%";
  }

  function valueText(value, i, spec, secret, incomplete) {
    if (value === null) { return spec.words[secret[i] ? "secret" : "missing"]; }
    var fixed = spec.decimals !== null && spec.decimals !== undefined;
    var text = number(value, spec.lang, spec.decimals, false, fixed);
    return incomplete[i] ? text + " (" + spec.words.incomplete + ")" : text;
  }

  function positions(list) {
    var set = {};
    (list || []).forEach(function (i) { set[i] = true; });
    return set;
  }

  // The rows as the hover shows them; a row already written out is left as it is.
  function texts(rows, spec) {
    var secret = positions(spec.secret), incomplete = positions(spec.incomplete);
    for (var i = 0; i < rows.length; i++) {
      var row = rows[i];
      if (!row || typeof row[0] === "string") { continue; }
      var shown = [valueText(row[0], i, spec, secret, incomplete), row[1] === null ? "–" : row[1],
                   change(row[2], row[0], spec)];
      rows[i] = shown.concat(row.slice(3));
    }
    return rows;
  }

  // Write out the hover rows of a drawn map (graph div), in place: Plotly reads them when hovering.
  function apply(gd) {
    var trace = gd && gd.data && gd.data[0];
    var spec = gd && gd.layout && gd.layout.meta && gd.layout.meta.hover;
    if (trace && spec && Array.isArray(trace.customdata)) { texts(trace.customdata, spec); }
  }

  return {texts: texts, apply: apply, number: number};
})();
