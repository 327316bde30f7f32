// The static site's search: territories and indicators from recherche.json, found by the
// start of their words, accents and case ignored, "st" read as "saint" (the dashboard's rules,
// dashboard/search.py: the index holds each entry's words already normalised so).
(function () {
  var input = document.getElementById("site-search");
  var list = document.getElementById("site-search-results");
  if (!input || !list) return;
  var index = null;
  var MAX_RESULTS = 10;

  function words(text, abbreviations) {
    var plain = text.normalize("NFKD").replace(/[^\x00-\x7f]/g, "").toLowerCase();
    return plain.split(/[^a-z0-9]+/).filter(Boolean).map(function (w) { return abbreviations[w] || w; });
  }

  function matches(query, entry) {
    var own = entry.words.split(" ");
    var byWords = query.every(function (q) { return own.some(function (w) { return w.indexOf(q) === 0; }); });
    return byWords || entry.code.toLowerCase().indexOf(query.join("")) === 0;
  }

  function show(text) {
    list.textContent = "";
    var query = words(text, index.abbreviations);
    if (!query.length) return;
    var found = index.entries.filter(function (e) { return matches(query, e); });
    // Names that start with what was typed first, then the index's order (départements, EPCI, communes).
    var joined = query.join(" ");
    found.sort(function (a, b) { return (a.words.indexOf(joined) !== 0) - (b.words.indexOf(joined) !== 0); });
    if (!found.length) {
      var none = document.createElement("li");
      none.textContent = input.dataset.none;
      list.appendChild(none);
      return;
    }
    found.slice(0, MAX_RESULTS).forEach(function (entry) {
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.href = input.dataset.root + entry.page;
      link.textContent = entry.name;
      item.appendChild(link);
      // how it matched: "commune, code postal 33400" for a postcode or a former name
      item.appendChild(document.createTextNode(" — " + (entry.note || entry.kind + " " + entry.code)));
      list.appendChild(item);
    });
  }

  function search() {
    if (index) return show(input.value);
    fetch(input.dataset.index)
      .then(function (response) { return response.json(); })
      .then(function (data) { index = data; show(input.value); });
  }

  input.addEventListener("input", search);
  input.addEventListener("keydown", function (event) {
    var first = list.querySelector("a");
    if (event.key === "Enter" && first) window.location.href = first.href;  // Enter opens the first result
  });
})();
