// Polls a report's status while it is queued or running; no inline script (CSP).
(function () {
  "use strict";
  var box = document.getElementById("report-status");
  if (!box) { return; }
  var bar = document.getElementById("progress-bar");
  function paint(progress) { bar.style.width = Math.max(2, progress) + "%"; }
  paint(parseInt(bar.getAttribute("data-progress") || "0", 10));
  if (box.getAttribute("data-active") !== "1") { return; }
  var url = box.getAttribute("data-status-url");
  function poll() {
    fetch(url, { credentials: "same-origin", redirect: "manual", headers: { "Accept": "application/json" } })
      .then(function (r) {
        // Session expired (redirect to the login page) or report no longer visible: reload and let the
        // server say so, instead of polling a page that will never answer JSON.
        if (r.type === "opaqueredirect" || r.status === 403 || r.status === 404) {
          window.location.reload();
          return new Promise(function () {});
        }
        if (!r.ok) { throw new Error("HTTP " + r.status); }
        return r.json();
      })
      .then(function (data) {
        document.getElementById("status-label").textContent = data.status_label;
        document.getElementById("status-message").textContent = data.message || "";
        document.getElementById("status-error").textContent = data.error || "";
        paint(data.progress);
        if (data.status === "done") {
          document.getElementById("download-link").hidden = false;
          window.location.reload();
        } else if (data.status === "failed") {
          window.location.reload();
        } else {
          window.setTimeout(poll, 1500);
        }
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, 1000);
})();
