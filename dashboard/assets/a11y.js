// Fills accessibility gaps of Dash 4 components until they are fixed upstream
// (axe-core: aria-hidden-focus, aria-input-field-name, nested-interactive):
// - the dropdown's focus target is focusable but aria-hidden: name it instead;
// - the slider thumb (role=slider) has no name: label it by its control's label;
// - radio items are a listbox of options wrapping native radios: make it a radiogroup.
(function () {
  function set(el, name, value) {
    if (el.getAttribute(name) !== value) { el.setAttribute(name, value); }
  }
  function controlLabel(el) {
    // Controls are wrapped in an element of class "control" whose first label names them.
    var control = el.closest(".control");
    return control && control.querySelector(":scope > label, :scope > .label, :scope > legend");
  }
  function labelId(label) {
    if (!label.id) { label.id = "lbl-" + Math.random().toString(36).slice(2); }
    return label.id;
  }
  function patch() {
    document.querySelectorAll(".dash-dropdown-focus-target[aria-hidden]").forEach(function (el) {
      el.removeAttribute("aria-hidden");
      var label = controlLabel(el);
      if (label) { set(el, "aria-labelledby", labelId(label)); }
    });
    document.querySelectorAll("[role=slider]:not([aria-labelledby])").forEach(function (el) {
      var label = controlLabel(el);
      if (label) { set(el, "aria-labelledby", labelId(label)); }
    });
    document.querySelectorAll("[role=listbox]:not(.dash-dropdown-options)").forEach(function (list) {
      if (!list.querySelector("input[type=radio], input[type=checkbox]")) { return; }
      set(list, "role", list.querySelector("input[type=radio]") ? "radiogroup" : "group");
      var label = controlLabel(list);
      if (label) { set(list, "aria-labelledby", labelId(label)); }
      list.querySelectorAll("[role=option]").forEach(function (option) {
        option.removeAttribute("role");
        option.removeAttribute("aria-selected");
      });
    });
  }
  var scheduled = false;
  new MutationObserver(function () {
    if (scheduled) { return; }
    scheduled = true;
    window.requestAnimationFrame(function () { scheduled = false; patch(); });
  }).observe(document.documentElement, {childList: true, subtree: true});
})();
