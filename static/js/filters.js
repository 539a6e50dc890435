// List filters: a select marked data-autosubmit (the cascading region filter) submits its form when it
// changes, so the chosen region's children appear in the drop-downs. Without JavaScript the filter button
// does the same. No inline script (CSP).
(function () {
  "use strict";
  document.querySelectorAll("form.filters select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () {
      select.form.requestSubmit ? select.form.requestSubmit() : select.form.submit();
    });
  });
})();
