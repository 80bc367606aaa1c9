/* The progress of an import from the browser: polls its state and moves the bar; when the
 * import ends, the page reloads and shows its report. */
(function () {
  "use strict";

  function start() {
    var box = document.getElementById("job");
    if (!box || ["done", "failed", "cancelled"].indexOf(box.dataset.status) >= 0) return;
    var url = box.dataset.stateUrl;
    function set(id, text) { var el = document.getElementById(id); if (el) el.textContent = text; }
    function poll() {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
        .then(function (s) {
          if (s.finished) { window.location.reload(); return; }
          var bar = document.getElementById("job-progress");
          if (bar) bar.value = s.progress;
          box.dataset.status = s.status;
          set("job-status", s.status_label);
          document.getElementById("job-status").className = s.status;
          set("job-phase", s.phase);
          set("job-percent", String(s.progress));
          set("job-staged", String(s.staged));
          set("job-queue-n", String(s.queue_position));
          document.getElementById("job-queue").hidden = !s.queue_position;
          window.setTimeout(poll, 700);
        })
        .catch(function () { window.setTimeout(poll, 3000); });
    }
    window.setTimeout(poll, 300);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
