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

  $("ctl-check").addEventListener("submit", async function (ev) {
    ev.preventDefault();
    $("ctl-notice").hidden = true;
    $("ctl-issued").hidden = true;
    const res = await post(urls.check, new FormData($("ctl-check")));
    const out = $("ctl-result");
    if (!res.ok) { show(out, "bad", res.data.error); return; }
    const d = res.data;
    if (d.valid) {
      const why = d.session ? t.session + " " + d.session.operator + ", " + t.until + " " +
        d.session.end.slice(11, 16)
        : d.permit ? t.permit + " " + d.permit.kind + ", " + t.until + " " + d.permit.valid_to
          : t.not_charged;
      show(out, "ok", d.plate + " — " + t.valid + " (" + d.zone.code + "). " + why);
      return;
    }
    show(out, "bad", d.plate + " — " + t.invalid + " (" + d.zone.code + ").");
    if (d.surcharge) {
      $("ctl-amount").textContent = t.amount + " " + d.surcharge + " zł" +
        (d.surcharge_reduced ? " (" + t.reduced + " " + d.surcharge_reduced + " zł)" : "");
      $("ctl-notice").hidden = false;
    }
  });

  $("ctl-notice").addEventListener("submit", async function (ev) {
    ev.preventDefault();
    const body = new FormData($("ctl-check"));
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
