// The dossier's "打印" button: print the page (the layout for paper is in css/print.css). No inline script: CSP.
document.addEventListener("click", function (event) {
  if (event.target.closest("[data-print]")) {
    window.print();
  }
});
