// The register grid: before the month is saved, the cells whose value did not change are disabled, so the
// form posts only the changed ones (a month is ~1,500 cells; the server reads only what is posted). Without
// JavaScript every cell is posted and the server skips the unchanged ones. No inline script (CSP).
(function () {
  "use strict";
  var form = document.getElementById("register-form");
  if (!form) { return; }
  function cells() { return form.querySelectorAll("#register-grid select"); }
  function unchanged(select) {
    var option = select.options[select.selectedIndex];
    return !option || option.defaultSelected;
  }
  form.addEventListener("submit", function () {
    cells().forEach(function (select) {
      if (unchanged(select)) { select.disabled = true; }
    });
  });
  // Coming back to the page from the browser's history must not leave cells disabled.
  window.addEventListener("pageshow", function () {
    cells().forEach(function (select) { select.disabled = false; });
  });
  // The cell's colour follows its value while editing.
  form.addEventListener("change", function (event) {
    var select = event.target;
    if (select.tagName === "SELECT" && select.name.indexOf("c_") === 0) { select.className = "st-" + select.value; }
  });
})();
