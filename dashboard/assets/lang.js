// Keeps the language link and <html lang> in step with the current URL: pages that
// update their query string (map, indicator sheet) change it without a reload.
(function () {
  function currentLang() {
    return new URLSearchParams(window.location.search).get("lang") === "en" ? "en" : "fr";
  }
  document.documentElement.lang = currentLang();
  // Page titles are registered in French; translate them for English pages.
  var TITLES = [
    ["itdd — indicateurs territoriaux de développement durable", "itdd — territorial sustainable-development indicators"],
    ["Carte — ", "Map — "], ["Comparaison — ", "Comparison — "], ["Indicateur — ", "Indicator — "], ["Page introuvable — ", "Page not found — "]
  ];
  function translateTitle() {
    if (currentLang() !== "en") { return; }
    var title = document.title;
    TITLES.forEach(function (pair) { title = title.split(pair[0]).join(pair[1]); });
    if (title !== document.title) { document.title = title; }
  }
  new MutationObserver(translateTitle).observe(document.querySelector("title"), {childList: true});
  translateTitle();
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a#lang-switch");
    if (!link) { return; }
    var params = new URLSearchParams(window.location.search);
    if (link.dataset.lang === "fr") { params.delete("lang"); } else { params.set("lang", link.dataset.lang); }
    var query = params.toString();
    link.href = window.location.pathname + (query ? "?" + query : "");
  }, true);
})();
