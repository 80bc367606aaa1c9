/* Behaviour every page shares, kept out of the HTML (the Content-Security-Policy allows no
 * inline event handlers): a select with data-autosubmit submits its form when changed (the
 * language switch), a button with data-action="print" prints the page. */
(function () {
  "use strict";
  document.addEventListener("change", function (ev) {
    var t = ev.target;
    if (t && t.matches && t.matches("select[data-autosubmit]") && t.form) t.form.submit();
  });
  document.addEventListener("click", function (ev) {
    var t = ev.target && ev.target.closest ? ev.target.closest("[data-action='print']") : null;
    if (t) { ev.preventDefault(); window.print(); }
  });
})();
