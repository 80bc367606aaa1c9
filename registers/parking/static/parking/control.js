// The controller's phone page: position from the browser, check a plate, issue a notice.
(function () {
  "use strict";
  const urls = JSON.parse(document.getElementById("ctl-urls").textContent);
  const t = JSON.parse(document.getElementById("ctl-texts").textContent);
  const $ = (id) => document.getElementById(id);
  const pos = $("ctl-position");
  const csrf = () => document.querySelector("#ctl-check input[name=csrfmiddlewaretoken]").value;

  function located(p) {
    $("ctl-lon").value = p.coords.longitude;
    $("ctl-lat").value = p.coords.latitude;
    pos.textContent = t.position + " " + p.coords.latitude.toFixed(5) + ", " +
      p.coords.longitude.toFixed(5) + " (±" + Math.round(p.coords.accuracy) + " m)";
  }
  if (navigator.geolocation) {
    navigator.geolocation.watchPosition(located, function () { pos.textContent = pos.dataset.denied; },
      { enableHighAccuracy: true, maximumAge: 10000, timeout: 20000 });
  } else {
    pos.textContent = pos.dataset.denied;
  }

  function show(el, cls, text) {
    el.hidden = false;
    el.className = cls;
    el.textContent = text;
  }

  async function post(url, body) {
    const r = await fetch(url, { method: "POST", body: body, credentials: "same-origin",
      headers: { "X-CSRFToken": csrf(), "Accept": "application/json" } });
    let data = {};
    try { data = await r.json(); } catch (e) { data = { error: t.failed + " (" + r.status + ")" }; }
    return { ok: r.ok, data: data };
  }

  // photograph-and-type: the camera's photo is shown next to the plate field while the
  // controller types the number, and goes with the notice as its first photo
  let snapUrl = null;
  $("ctl-snap").addEventListener("change", function () {
    const f = $("ctl-snap").files[0];
    const img = $("ctl-snap-preview");
    if (snapUrl) { URL.revokeObjectURL(snapUrl); snapUrl = null; }
    if (!f) { img.hidden = true; $("ctl-snap-note").hidden = true; return; }
    snapUrl = URL.createObjectURL(f);
    img.src = snapUrl;
    img.hidden = false;
    $("ctl-snap-note").hidden = false;
    $("ctl-plate").focus();
  });

  function checkBody(exemption) {
    const body = new FormData($("ctl-check"));
    body.delete("photos");
    if (exemption) { body.append("exemption", exemption); }
    return body;
  }

  function offerExemptions(list) {
    const box = $("ctl-exempt");
    box.querySelectorAll("button").forEach(function (b) { b.remove(); });
    box.hidden = list.length === 0;
    list.forEach(function (e) {
      const b = document.createElement("button");
      b.type = "button";
      b.className = "exempt";
      b.textContent = e.kind;
      b.title = e.legal_basis;
      b.addEventListener("click", function () { runCheck(String(e.id)); });
      box.appendChild(b);
    });
  }

  $("ctl-check").addEventListener("submit", function (ev) {
    ev.preventDefault();
    runCheck(null);
  });

  async function runCheck(exemption) {
    $("ctl-notice").hidden = true;
    $("ctl-issued").hidden = true;
    $("ctl-exempt").hidden = true;
    const res = await post(urls.check, checkBody(exemption));
    const out = $("ctl-result");
    if (!res.ok) { show(out, "bad", res.data.error); return; }
    const d = res.data;
    if (d.valid) {
      const why = d.session ? t.session + " " + d.session.operator + ", " + t.until + " " +
        d.session.end.slice(11, 16)
        : d.permit ? t.permit + " " + d.permit.kind + ", " + t.until + " " + d.permit.valid_to
          : d.exemption ? t.exemption + " " + d.exemption.kind + " (" + d.exemption.legal_basis + ")"
            : t.not_charged;
      show(out, "ok", d.plate + " — " + t.valid + " (" + d.zone.code + "). " + why);
      return;
    }
    show(out, "bad", d.plate + " — " + t.invalid + " (" + d.zone.code + ").");
    offerExemptions(d.exemptions_on_site || []);
    if (d.surcharge) {
      $("ctl-amount").textContent = t.amount + " " + d.surcharge + " zł" +
        (d.surcharge_reduced ? " (" + t.reduced + " " + d.surcharge_reduced + " zł)" : "");
      $("ctl-notice").hidden = false;
    }
  }

  $("ctl-notice").addEventListener("submit", async function (ev) {
    ev.preventDefault();
    const body = checkBody(null);
    if ($("ctl-snap").files[0]) { body.append("photos", $("ctl-snap").files[0]); }
    for (const f of $("ctl-photos").files) { body.append("photos", f); }
    $("ctl-issue").disabled = true;
    const res = await post(urls.notice, body);
    $("ctl-issue").disabled = false;
    const out = $("ctl-issued");
    if (!res.ok) { show(out, "bad", res.data.error); return; }
    $("ctl-notice").hidden = true;
    show(out, "ok", t.issued + " " + res.data.number + ": " + res.data.plate + ", " +
      res.data.amount + " zł, " + t.due + " " + res.data.due_date + ".");
  });
})();
