// Keeps the language link and <html lang> in step with the current URL: pages that
// update their query string (map, indicator sheet) change it without a reload.
(function () {
  function currentLang() {
    return new URLSearchParams(window.location.search).get("lang") === "en" ? "en" : "fr";
  }
  document.documentElement.lang = currentLang();
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a#lang-switch");
    if (!link) { return; }
    var params = new URLSearchParams(window.location.search);
    if (link.dataset.lang === "fr") { params.delete("lang"); } else { params.set("lang", link.dataset.lang); }
    var query = params.toString();
    link.href = window.location.pathname + (query ? "?" + query : "");
  }, true);
})();
