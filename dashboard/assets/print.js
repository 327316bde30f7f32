// Printing opens every <details> (values-by-year tables) so that paper shows the data too.
window.addEventListener("beforeprint", function () {
  document.querySelectorAll("details").forEach(function (details) { details.open = true; });
});
