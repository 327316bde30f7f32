// The map's hover text, assembled in the browser (dashboard/maps/hover.py says the layout):
// the trace's customdata, one value per territory, becomes one row per territory [value text,
// rank, change text, ...line texts], from the columns and format in `layout.meta.hover`
// (language, declared decimals, unit; ranks, changes, the secret, incomplete and difference
// rows, the extra lines). The server rounded every number once as it is shown: numbers are
// written as dashboard/formatting.py writes them, U+202F groups and a decimal comma in French,
// trailing zeros dropped unless the indicator declares its decimals; tests/test_browser.py holds
// the two to the same words.
window.itddHover = (function () {
  var NNBSP = "\u202f";

  function decimalsFor(v) {
    var size = Math.abs(v);
    return size >= 1000 ? 0 : size >= 10 ? 1 : 2;
  }

  var formats = {};  // one formatter per kind of number: a national map writes 70,000

  function formatter(lang, min, max, sign) {
    var key = [lang, min, max, sign].join("|");
    if (!formats[key]) {
      formats[key] = new Intl.NumberFormat(lang === "fr" ? "fr-FR" : "en-US", {
        minimumFractionDigits: min,
        maximumFractionDigits: max,
        roundingMode: "halfEven",
        signDisplay: sign ? "exceptZero" : "auto",
      });
    }
    return formats[key];
  }

  function number(v, lang, decimals, sign, fixed) {
    var d = decimals === null || decimals === undefined ? decimalsFor(v) : decimals;
    var text = formatter(lang, fixed ? d : 0, d, Boolean(sign)).format(v);
    if (text === "-0") { text = "0"; }  // as formatting.py writes a negative value rounded to a whole 0
    return lang === "fr" ? text.replace(/[\s\u00a0\u202f]/g, NNBSP).replace(/\u2212/g, "-") : text;
  }

  function spaced(lang) { return lang === "fr" ? NNBSP : " "; }

  function delta(d, spec) {
    var text = number(d, spec.lang, Math.max(1, decimalsFor(d)), true, false);
    if (spec.rate) { return text + " " + spec.words[Math.abs(d) >= 2 ? "points_plural" : "points"]; }
    return spec.unit ? text + spaced(spec.lang) + spec.unit : text;
  }

  function change(c, difference, spec) {
    if (c === null || c === undefined) { return "–"; }
    if (spec.rate || difference) { return delta(c, spec); }
    var percent = number(c, spec.lang, 1, true, false);
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

  // Each value written out as its row, in place; a row already written out is left as it is.
  function texts(values, spec) {
    var secret = positions(spec.secret), incomplete = positions(spec.incomplete);
    var difference = positions(spec.difference), lines = spec.lines || [];
    for (var i = 0; i < values.length; i++) {
      if (Array.isArray(values[i])) { continue; }
      var row = [valueText(values[i], i, spec, secret, incomplete), spec.rank[i] ? spec.rank[i] : "–",
                 change(spec.change[i], difference[i], spec)];
      for (var k = 0; k < lines.length; k++) { row.push(lines[k].texts[lines[k].index[i]]); }
      values[i] = row;
    }
    return values;
  }

  // Write out the hover rows of a drawn map (graph div), in place: Plotly reads them when hovering.
  function apply(gd) {
    var trace = gd && gd.data && gd.data[0];
    var spec = gd && gd.layout && gd.layout.meta && gd.layout.meta.hover;
    if (trace && spec && Array.isArray(trace.customdata) && spec.rank) { texts(trace.customdata, spec); }
  }

  return {texts: texts, apply: apply, number: number};
})();
