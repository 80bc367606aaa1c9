/* The map page's behaviour on top of the folium map: the layer tree (groups, opacity, the
 * visible layer within the view as a file), the legend of the visible layers, coordinates in
 * EPSG:2180 / PL-2000 / WGS 84 with "go to X/Y", the numeric scale and a scale chooser,
 * measuring, the print dialog, "my position", the permalink, identify at a click (the plot's
 * card and every layer's features as tabs) and the search box with autocomplete.
 * Plain ES2017, no framework, no network beyond this app, no inline script: the page's data
 * comes from the json_script "map-config". `window.geogmina` is exposed for the tests. */
(function () {
  "use strict";
  var G = window.geogminaGeo;
  var el = G.el;
  var state = {
    map: null, config: null, highlight: null, cardId: null, layers: {}, bases: {},
    baseKey: null, crs: "EPSG:2180", measuring: null, search: { q: "", page: 1, controller: null },
    identifySeq: 0,
  };
  var ICONS = {
    print: '<svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true"><path fill="currentColor" d="M6 2h12v5H6zM4 8h16a2 2 0 0 1 2 2v6h-4v6H6v-6H2v-6a2 2 0 0 1 2-2zm4 8v4h8v-4z"/></svg>',
    link: '<svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true"><path fill="none" stroke="currentColor" stroke-width="2" d="M10 14a4 4 0 0 0 5.7 0l3-3a4 4 0 0 0-5.7-5.7l-1 1M14 10a4 4 0 0 0-5.7 0l-3 3a4 4 0 0 0 5.7 5.7l1-1"/></svg>',
  };
  var PHONE = window.matchMedia ? window.matchMedia("(max-width: 700px)") : { matches: false };

  function label(key) { return (state.config.labels || {})[key] || key; }

  function stop(div) {
    L.DomEvent.disableClickPropagation(div);
    L.DomEvent.disableScrollPropagation(div);
    return div;
  }

  /** A control whose body folds behind a button (folded from the start on a phone). */
  function foldable(div, title, startOpen) {
    var button = el("button", { type: "button", "class": "panel-toggle", "aria-expanded": String(startOpen) }, title);
    var body = el("div", { "class": "panel-body" });
    if (!startOpen) body.hidden = true;
    button.addEventListener("click", function () {
      body.hidden = !body.hidden;
      button.setAttribute("aria-expanded", String(!body.hidden));
    });
    div.appendChild(button);
    div.appendChild(body);
    return body;
  }

  // --- layers: the tree, opacity, base maps, the legend ---------------------------------------

  function visibleLayerNames() {
    return state.config.layers.filter(function (l) { return state.map.hasLayer(state.layers[l.name]); })
      .map(function (l) { return l.name; });
  }

  function setLayerShown(name, shown) {
    var layer = state.layers[name];
    if (!layer) return;
    if (shown && !state.map.hasLayer(layer)) layer.addTo(state.map);
    if (!shown && state.map.hasLayer(layer)) state.map.removeLayer(layer);
    var box = document.querySelector('.layer-tree input[type=checkbox][data-layer="' + name + '"]');
    if (box) box.checked = shown;
    var row = document.querySelector('.layer-tree .layer-row[data-layer="' + name + '"]');
    if (row) row.classList.toggle("on", shown);
    renderLegend();
    updatePermalink();
  }

  function setBase(key) {
    if (!state.bases[key]) return;
    Object.keys(state.bases).forEach(function (k) {
      if (k !== key && state.map.hasLayer(state.bases[k])) state.map.removeLayer(state.bases[k]);
    });
    if (!state.map.hasLayer(state.bases[key])) state.bases[key].addTo(state.map);
    if (state.bases[key].bringToBack) state.bases[key].bringToBack();
    state.baseKey = key;
    var radio = document.querySelector('.layer-tree input[type=radio][value="' + key + '"]');
    if (radio) radio.checked = true;
    updatePermalink();
  }

  function exportHref(item, fmt) {
    var b = state.map.getBounds();
    var bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (v) { return v.toFixed(6); }).join(",");
    return item["export"].replace("FMT", fmt) + "?bbox=" + bbox;
  }

  function updateExportLinks() {
    document.querySelectorAll(".layer-tree .layer-export").forEach(function (box) {
      var item = state.config.layers.filter(function (l) { return l.name === box.getAttribute("data-layer"); })[0];
      var select = box.querySelector("select"), link = box.querySelector("a");
      link.href = exportHref(item, select.value);
    });
  }

  function layerRow(item) {
    var row = el("div", { "class": "layer-row", "data-layer": item.name });
    var lab = el("label", { "class": "layer-name" });
    var box = el("input", { type: "checkbox", "data-layer": item.name });
    box.checked = state.map.hasLayer(state.layers[item.name]);
    row.classList.toggle("on", box.checked);
    box.addEventListener("change", function () { setLayerShown(item.name, box.checked); });
    var swatch = el("span", { "class": "swatch" });
    swatch.style.borderColor = item.color;
    swatch.style.background = item.fill;
    lab.appendChild(box);
    lab.appendChild(swatch);
    lab.appendChild(document.createTextNode(" " + item.label));
    row.appendChild(lab);
    var range = el("input", { type: "range", min: "0", max: "100", step: "5", value: "100",
      "class": "opacity", "data-layer": item.name, "aria-label": label("opacity") + ": " + item.label,
      title: label("opacity") });
    range.addEventListener("input", function () { state.layers[item.name].setOpacity(range.value / 100); });
    row.appendChild(range);
    if (item["export"]) {
      var ex = el("div", { "class": "layer-export", "data-layer": item.name });
      var select = el("select", { "aria-label": label("exportView") + ": " + item.label });
      state.config.exportFormats.forEach(function (f) { select.appendChild(el("option", { value: f[0] }, f[1])); });
      var link = el("a", { href: "#", download: "", title: label("exportView") }, "\u2B07 " + label("exportView"));
      select.addEventListener("change", updateExportLinks);
      ex.appendChild(select);
      ex.appendChild(link);
      row.appendChild(ex);
    }
    return row;
  }

  function layerTree() {
    var Control = L.Control.extend({
      options: { position: "topright" },
      onAdd: function () {
        var div = stop(L.DomUtil.create("div", "leaflet-control layer-tree"));
        var body = foldable(div, label("layers"), !PHONE.matches);
        state.config.groups.forEach(function (g) {
          var items = state.config.layers.filter(function (l) { return l.group === g.key; });
          if (g.key === "base") items = state.config.baseMaps;
          if (!items.length) return;
          var details = el("details", { "class": "layer-group", "data-group": g.key, open: "" });
          details.appendChild(el("summary", {}, g.label));
          items.forEach(function (item) {
            if (g.key !== "base") { details.appendChild(layerRow(item)); return; }
            var lab = el("label", { "class": "layer-row base-row" });
            var radio = el("input", { type: "radio", name: "basemap", value: item.key });
            radio.checked = item.key === state.baseKey;
            radio.addEventListener("change", function () { if (radio.checked) setBase(item.key); });
            lab.appendChild(radio);
            lab.appendChild(document.createTextNode(" " + item.label));
            details.appendChild(lab);
          });
          body.appendChild(details);
        });
        return div;
      },
    });
    new Control().addTo(state.map);
    updateExportLinks();
    state.map.on("moveend", updateExportLinks);
  }

  function renderLegend() {
    var body = document.querySelector(".leaflet-control.legend .panel-body");
    if (!body) return;
    body.innerHTML = "";
    var shown = visibleLayerNames();
    state.config.layers.forEach(function (item) {
      if (shown.indexOf(item.name) < 0) return;
      var block = el("div", { "class": "legend-layer", "data-layer": item.name });
      var row = el("div", { "class": "legend-row" });
      var swatch = el("span", { "class": "swatch" });
      swatch.style.borderColor = item.color;
      swatch.style.background = item.fill;
      row.appendChild(swatch);
      var text = item.label;
      if (item.min_zoom > 8) text += " (" + label("fromZoom") + " " + item.min_zoom + ")";
      row.appendChild(el("span", {}, text));
      block.appendChild(row);
      (item.palette || []).forEach(function (entry) {
        var sub = el("div", { "class": "legend-row legend-sub", "data-value": entry[0] });
        var sw = el("span", { "class": "swatch" });
        sw.style.borderColor = entry[1];
        sw.style.background = entry[1];
        sub.appendChild(sw);
        sub.appendChild(el("span", { "class": "legend-class" }, entry[2] || entry[0]));
        block.appendChild(sub);
      });
      body.appendChild(block);
    });
    if (!body.children.length) body.appendChild(el("p", { "class": "muted" }, "–"));
  }

  function legendControl() {
    var Control = L.Control.extend({
      options: { position: "bottomright" },
      onAdd: function () {
        var div = stop(L.DomUtil.create("div", "leaflet-control legend"));
        foldable(div, label("legend"), !PHONE.matches);
        return div;
      },
    });
    new Control().addTo(state.map);
    renderLegend();
  }

  // --- coordinates, go to X/Y, scale ----------------------------------------------------------

  function coordinatesControl() {
    var Control = L.Control.extend({
      options: { position: "bottomleft" },
      onAdd: function () {
        var div = stop(L.DomUtil.create("div", "leaflet-control coords"));
        var select = el("select", { "class": "coords-crs", "aria-label": label("coords") });
        state.config.crs.forEach(function (c) {
          select.appendChild(el("option", { value: c }, c === "EPSG:4326" ? "WGS 84 (EPSG:4326)" :
            c === "EPSG:2180" ? "PL-1992 (EPSG:2180)" : "PL-2000 (" + c + ")"));
        });
        var readout = el("span", { "class": "coords-readout", "aria-live": "off" });
        var form = el("form", { "class": "goto-form" });
        var x = el("input", { name: "x", "class": "goto-x", inputmode: "decimal", placeholder: "X", "aria-label": "X" });
        var y = el("input", { name: "y", "class": "goto-y", inputmode: "decimal", placeholder: "Y", "aria-label": "Y" });
        var go = el("button", { type: "submit" }, label("goTo"));
        var msg = el("span", { "class": "goto-message", role: "status" });
        form.appendChild(x);
        form.appendChild(y);
        form.appendChild(go);
        form.appendChild(msg);
        div.appendChild(select);
        div.appendChild(readout);
        div.appendChild(form);
        var last = state.map.getCenter();
        function show(ll) { last = ll; readout.textContent = G.formatXY(ll, state.crs); }
        select.addEventListener("change", function () { state.crs = select.value; show(last); });
        state.map.on("mousemove", function (e) { show(e.latlng); });
        state.map.on("moveend", function () { show(state.map.getCenter()); });
        form.addEventListener("submit", function (ev) {
          ev.preventDefault();
          var vx = G.parseNumber(x.value), vy = G.parseNumber(y.value);
          msg.textContent = "";
          if (isNaN(vx) || isNaN(vy)) { msg.textContent = label("badXY"); return; }
          var ll = G.fromXY(vx, vy, state.crs);
          if (!(ll.lat > 48.5 && ll.lat < 55.2 && ll.lng > 13.5 && ll.lng < 24.5)) {
            msg.textContent = label("outside");
            return;
          }
          if (state.gotoMarker) state.gotoMarker.setLatLng(ll);
          else state.gotoMarker = L.circleMarker(ll, { radius: 6, color: "#c2185b", className: "goto-marker", interactive: false }).addTo(state.map);
          state.map.setView(ll, Math.max(state.map.getZoom(), 17));
          show(ll);
        });
        show(last);
        return div;
      },
    });
    return new Control().addTo(state.map);
  }

  function scaleControl() {
    var Control = L.Control.extend({
      options: { position: "bottomleft" },
      onAdd: function () {
        var div = stop(L.DomUtil.create("div", "leaflet-control numeric-scale"));
        var text = el("span", { "class": "scale-text" });
        var select = el("select", { "class": "scale-chooser", "aria-label": label("scale") });
        select.appendChild(el("option", { value: "" }, label("scale") + "…"));
        state.config.scales.forEach(function (s) { select.appendChild(el("option", { value: String(s) }, "1\u00a0:\u00a0" + G.fmt(s, 0))); });
        select.addEventListener("change", function () {
          if (select.value) G.setScale(state.map, Number(select.value));
          select.value = "";
        });
        function update() { text.textContent = "1\u00a0:\u00a0" + G.fmt(Math.round(G.scaleOf(state.map)), 0); }
        state.map.on("zoomend moveend", update);
        update();
        div.appendChild(text);
        div.appendChild(select);
        return div;
      },
    });
    return new Control().addTo(state.map);
  }

  // --- measuring ------------------------------------------------------------------------------

  function measureTool(panel) {
    var points = [], line = null, mode = null;
    var result = panel.querySelector(".measure-result");

    function draw() {
      if (line) { state.map.removeLayer(line); line = null; }
      if (!points.length) return;
      var style = { color: "#d81b60", weight: 3, dashArray: "6 4", interactive: false, className: "measure-shape" };
      line = (mode === "area" && points.length > 2 ? L.polygon(points, style) : L.polyline(points, style)).addTo(state.map);
      var m = G.measure(points, mode === "area");
      var rows = [];
      if (mode === "area") {
        rows.push([label("area") + ", " + label("geodesic"), m.geodesic.area, "m²", "geodesic-area"]);
        rows.push([label("area") + ", " + label("plane"), m.plane2180.area, "m²", "plane-area"]);
      }
      rows.push([label("length") + ", " + label("geodesic"), m.geodesic.length, "m", "geodesic-length"]);
      rows.push([label("length") + ", " + label("plane"), m.plane2180.length, "m", "plane-length"]);
      result.innerHTML = "";
      rows.forEach(function (r) {
        var p = el("div", { "class": "measure-row" });
        p.appendChild(el("span", {}, r[0] + ": "));
        p.appendChild(el("output", { "class": r[3], "data-value": r[1] === null ? "" : String(r[1]) }, r[1] === null ? "–" : G.fmt(r[1], 2) + "\u00a0" + r[2]));
        result.appendChild(p);
      });
    }

    function onClick(e) { points.push(e.latlng); draw(); }

    function start(kind) {
      clear();
      mode = kind;
      state.measuring = kind;
      panel.hidden = false;
      panel.setAttribute("data-mode", kind);
      panel.querySelector(".measure-title").textContent = label(kind === "area" ? "measureArea" : "measureLength");
      state.map.doubleClickZoom.disable();
      state.map.getContainer().classList.add("measuring");
    }

    function finish() {
      state.measuring = null;
      state.map.doubleClickZoom.enable();
      state.map.getContainer().classList.remove("measuring");
      panel.setAttribute("data-finished", "true");
    }

    function clear() {
      points = [];
      if (line) { state.map.removeLayer(line); line = null; }
      result.innerHTML = "";
      panel.removeAttribute("data-finished");
    }

    state.map.on("click", function (e) { if (state.measuring) onClick(e); });
    state.map.on("dblclick", function () { if (state.measuring) { points.pop(); draw(); finish(); } });
    panel.querySelector(".measure-finish").addEventListener("click", finish);
    panel.querySelector(".measure-clear").addEventListener("click", function () { clear(); finish(); panel.hidden = true; });
    document.addEventListener("keydown", function (e) { if (e.key === "Escape" && state.measuring) finish(); });
    return { start: start, finish: finish, clear: clear, points: function () { return points; } };
  }

  // --- print dialog ---------------------------------------------------------------------------

  function printUrl(form) {
    var c = G.toXY(state.map.getCenter(), "EPSG:2180");
    var params = new URLSearchParams();
    params.set("paper", form.paper.value);
    params.set("orientation", form.orientation.value);
    params.set("scale", form.scale.value);
    params.set("center", c.y.toFixed(2) + "," + c.x.toFixed(2));  // easting, northing (contract)
    params.set("layers", visibleLayerNames().join(","));
    if (state.baseKey) params.set("base", state.baseKey);
    if (form.elements.namedItem("title").value.trim()) params.set("title", form.elements.namedItem("title").value.trim());
    if (form.author.value.trim()) params.set("author", form.author.value.trim());
    return state.config.urls.print + "?" + params.toString();
  }

  function printDialog() {
    var dialog = document.getElementById("print-dialog");
    if (!dialog) return null;
    var form = dialog.querySelector("form"), link = dialog.querySelector("#print-go");
    function update() { link.href = printUrl(form); }
    form.addEventListener("input", update);
    form.addEventListener("change", update);
    form.addEventListener("submit", function (ev) { ev.preventDefault(); update(); window.open(link.href, "_blank", "noopener"); });
    dialog.querySelector(".dialog-close").addEventListener("click", function () { dialog.close(); });
    return function open() {
      // the chooser starts at the scale nearest to the map's
      var now = G.scaleOf(state.map), best = form.scale.options[0].value;
      Array.prototype.forEach.call(form.scale.options, function (o) {
        if (Math.abs(Math.log(o.value / now)) < Math.abs(Math.log(best / now))) best = o.value;
      });
      form.scale.value = best;
      update();
      if (dialog.showModal) dialog.showModal(); else dialog.setAttribute("open", "");
    };
  }

  // --- toolbar: measure, my position, print, link ---------------------------------------------

  function toolbar() {
    var panel = document.getElementById("measure-panel");
    var measure = measureTool(panel);
    var openPrint = printDialog();
    var Control = L.Control.extend({
      options: { position: "topleft" },
      onAdd: function () {
        var div = stop(L.DomUtil.create("div", "leaflet-bar leaflet-control map-tools"));
        function button(cls, text, title, onClick) {
          var b = el("button", { type: "button", "class": cls, title: title, "aria-label": title }, text);
          b.addEventListener("click", onClick);
          div.appendChild(b);
          return b;
        }
        button("tool-measure-length", "\u2194", label("measureLength"), function () { measure.start("length"); });
        button("tool-measure-area", "\u25A2", label("measureArea"), function () { measure.start("area"); });
        if (openPrint) button("tool-print", "", label("print"), openPrint).innerHTML = ICONS.print;
        button("tool-link", "", label("link"), function () {
          updatePermalink();
          var input = document.getElementById("permalink");
          input.value = window.location.href;
          input.parentNode.hidden = false;
          input.select();
        }).innerHTML = ICONS.link;
        return div;
      },
    });
    new Control().addTo(state.map);
    G.locateControl(state.map, label("myPosition"), null, label("noPosition"));
    state.measure = measure;
  }

  // --- permalink ------------------------------------------------------------------------------

  function updatePermalink() {
    if (!state.map || state.restoring) return;
    var c = state.map.getCenter();
    var params = new URLSearchParams();
    params.set("c", c.lat.toFixed(6) + "," + c.lng.toFixed(6));
    params.set("z", String(Math.round(state.map.getZoom() * 100) / 100));
    if (state.baseKey) params.set("base", state.baseKey);
    params.set("layers", visibleLayerNames().join(","));
    if (state.cardId) params.set("parcel", String(state.cardId));
    window.history.replaceState(null, "", window.location.pathname + "?" + params.toString());
  }

  function restoreFromUrl() {
    var params = new URLSearchParams(window.location.search);
    state.restoring = true;
    if (params.has("layers")) {
      var wanted = params.get("layers").split(",").filter(Boolean);
      state.config.layers.forEach(function (l) { setLayerShown(l.name, wanted.indexOf(l.name) >= 0); });
    }
    if (params.get("base")) setBase(params.get("base"));
    var c = (params.get("c") || "").split(",").map(Number), z = Number(params.get("z"));
    var hasView = c.length === 2 && isFinite(c[0]) && isFinite(c[1]) && params.get("z") && isFinite(z);
    if (hasView) {
      var snap = state.map.options.zoomSnap;
      state.map.options.zoomSnap = 0;
      state.map.setView([c[0], c[1]], z, { animate: false });
      state.map.options.zoomSnap = snap;
    }
    state.restoring = false;
    return hasView;
  }

  // --- the card, identify ---------------------------------------------------------------------

  function highlight(geojson) {
    if (state.highlight) { state.map.removeLayer(state.highlight); state.highlight = null; }
    if (!geojson) return;
    state.highlight = L.geoJSON(geojson, {
      style: { color: "#ffcc00", weight: 3, fillOpacity: 0.15, fillColor: "#ffcc00" },
      interactive: false,
    }).addTo(state.map);
  }

  function sheet(expanded) {
    var side = document.getElementById("sidebar");
    side.classList.toggle("sheet-open", expanded);
    var t = document.getElementById("sheet-toggle");
    if (t) t.setAttribute("aria-expanded", String(expanded));
  }

  function renderSection(section) {
    var panel = el("div", { role: "tabpanel", id: "tab-" + section.key, "class": "identify-section", "data-section": section.key, "aria-labelledby": "tabbtn-" + section.key });
    panel.appendChild(el("h3", {}, section.label));
    section.items.forEach(function (item) {
      var box = el("div", { "class": "identify-item" });
      var title = el("h4", {});
      if (item.link) title.appendChild(el("a", { href: item.link }, item.title)); else title.textContent = item.title;
      box.appendChild(title);
      var table = el("table", { "class": "facts" });
      (item.facts || []).forEach(function (f) {
        var tr = el("tr");
        tr.appendChild(el("th", {}, f[0]));
        tr.appendChild(el("td", {}, f[1]));
        table.appendChild(tr);
      });
      box.appendChild(table);
      if (item.rules && item.rules.length) {
        var ul = el("ul", { "class": "rules" });
        item.rules.forEach(function (r) { ul.appendChild(el("li", {}, r)); });
        box.appendChild(ul);
      }
      if (item.text) box.appendChild(el("p", {}, item.text));
      panel.appendChild(box);
    });
    return panel;
  }

  /** The card slot: tabs for the plot and for every layer with something at the point. */
  function showCard(html, sections) {
    var slot = document.getElementById("card");
    slot.innerHTML = "";
    var tabs = el("div", { role: "tablist", "class": "card-tabs", "aria-label": label("atPoint") });
    var panels = [];
    if (html !== null) {
      var plot = el("div", { role: "tabpanel", id: "tab-plot", "class": "identify-section", "data-section": "plot", "aria-labelledby": "tabbtn-plot" });
      plot.innerHTML = html;
      panels.push({ key: "plot", label: label("plot"), panel: plot });
    }
    (sections || []).forEach(function (s) {
      if (s.items.length) panels.push({ key: s.key, label: s.label + " (" + s.items.length + ")", panel: renderSection(s) });
    });
    if (!panels.length) {
      slot.appendChild(el("p", { "class": "muted" }, label("noParcel")));
      return;
    }
    function select(key) {
      panels.forEach(function (p) {
        var on = p.key === key;
        p.panel.hidden = !on;
        p.button.setAttribute("aria-selected", String(on));
        p.button.tabIndex = on ? 0 : -1;
      });
    }
    panels.forEach(function (p, i) {
      p.button = el("button", { type: "button", role: "tab", id: "tabbtn-" + p.key, "aria-controls": "tab-" + p.key, "data-tab": p.key }, p.label);
      p.button.addEventListener("click", function () { select(p.key); });
      p.button.addEventListener("keydown", function (e) {
        var d = e.key === "ArrowRight" ? 1 : e.key === "ArrowLeft" ? -1 : 0;
        if (!d) return;
        var next = panels[(i + d + panels.length) % panels.length];
        select(next.key);
        next.button.focus();
      });
      tabs.appendChild(p.button);
    });
    if (panels.length > 1) slot.appendChild(tabs);
    panels.forEach(function (p) { slot.appendChild(p.panel); });
    select(panels[0].key);
    var data = slot.querySelector("#parcel-geojson");
    highlight(data ? JSON.parse(data.textContent) : null);
    sheet(true);
  }

  function fetchCard(id) {
    var url = state.config.urls.card.replace("{id}", id);
    return fetch(url, { credentials: "same-origin" }).then(function (r) {
      if (!r.ok) throw new Error("card " + r.status);
      return r.text();
    });
  }

  function openCard(id, sections) {
    state.cardId = id;
    return fetchCard(id).then(function (html) {
      if (String(state.cardId) === String(id)) { showCard(html, sections); updatePermalink(); }
    });
  }

  function onClick(e) {
    if (state.measuring) return;
    var seq = ++state.identifySeq;
    var url = state.config.urls.identify + "?lon=" + e.latlng.lng.toFixed(7) + "&lat=" + e.latlng.lat.toFixed(7);
    fetch(url, { credentials: "same-origin" }).then(function (r) {
      if (!r.ok) throw new Error("identify " + r.status);
      return r.json();
    }).then(function (found) {
      if (seq !== state.identifySeq) return null;
      if (found.parcel) return openCard(found.parcel.id, found.sections);
      state.cardId = null;
      highlight(null);
      showCard(null, found.sections);
      updatePermalink();
      return null;
    });
  }

  function zoomTo(bbox) {
    // bbox: west, south, east, north; never zoom past 19 for a tiny plot
    state.map.fitBounds([[bbox[1], bbox[0]], [bbox[3], bbox[2]]], { maxZoom: 19, padding: [30, 30] });
  }

  // --- search with autocomplete ---------------------------------------------------------------

  function searchUi() {
    return {
      form: document.getElementById("search-form"), input: document.getElementById("search-q"),
      list: document.getElementById("search-results"), message: document.getElementById("search-message"),
      pager: document.getElementById("search-pager"),
    };
  }

  function choose(r) {
    zoomTo(r.bbox);
    openCard(r.id);
  }

  function setActive(index) {
    var ui = searchUi(), options = ui.list.querySelectorAll("[role=option]");
    options.forEach(function (o, i) { o.setAttribute("aria-selected", String(i === index)); o.classList.toggle("active", i === index); });
    state.search.active = index;
    if (index >= 0 && options[index]) {
      ui.input.setAttribute("aria-activedescendant", options[index].id);
      options[index].scrollIntoView({ block: "nearest" });
    } else ui.input.removeAttribute("aria-activedescendant");
  }

  function renderResults(data, q, autoOpen) {
    var ui = searchUi();
    ui.list.innerHTML = "";
    ui.pager.innerHTML = "";
    state.search.results = data.results || [];
    state.search.active = -1;
    ui.input.removeAttribute("aria-activedescendant");
    var count = data.count !== undefined ? data.count : state.search.results.length;
    var page = data.page || 1, pages = data.pages || (count ? 1 : 0);
    // a broad free-text query is counted up to a cap: "100+ results, page 1 of 10+"
    var more = data.count_capped ? "+" : "";
    var text = data.error || data.message || "";
    if (!text) text = count ? label("resultsCount").replace("%(count)s", count + more).replace("%(page)s", page).replace("%(pages)s", pages + more) : label("noResults");
    ui.message.textContent = text;
    ui.input.setAttribute("aria-expanded", String(state.search.results.length > 0));
    state.search.results.forEach(function (r, i) {
      var li = el("li", { role: "option", id: "search-option-" + i, "aria-selected": "false" });
      var a = el("a", { href: "/?parcel=" + r.id, "class": "zoom-to", "data-id": r.id, tabindex: "-1" }, r.label);
      a.addEventListener("click", function (ev) { ev.preventDefault(); choose(r); });
      li.appendChild(a);
      ui.list.appendChild(li);
    });
    if (pages > 1 || more) {
      var prev = el("button", { type: "button", "class": "page-prev" }, label("previous"));
      var next = el("button", { type: "button", "class": "page-next" }, label("next"));
      prev.disabled = page <= 1;
      next.disabled = page >= pages && !more;
      prev.addEventListener("click", function () { search(q, page - 1); });
      next.addEventListener("click", function () { search(q, page + 1); });
      ui.pager.appendChild(prev);
      ui.pager.appendChild(next);
    }
    if (count && state.config.canExport) {
      var files = el("span", { "class": "search-export" }, label("listAsFile") + ": ");
      state.config.exportFormats.forEach(function (f, i) {
        if (i) files.appendChild(document.createTextNode(" · "));
        files.appendChild(el("a", { href: state.config.urls.parcelExport.replace("FMT", f[0]) + "?q=" + encodeURIComponent(q), download: "" }, f[1]));
      });
      ui.pager.appendChild(files);
    }
    if (autoOpen && state.search.results.length === 1 && count === 1) choose(state.search.results[0]);
  }

  function search(q, page, autoOpen) {
    var ui = searchUi();
    if (state.search.controller) state.search.controller.abort();
    var controller = window.AbortController ? new AbortController() : null;
    state.search.controller = controller;
    state.search.q = q;
    state.search.page = page || 1;
    var url = state.config.urls.search + "?q=" + encodeURIComponent(q) + "&page=" + state.search.page +
      "&page_size=" + (state.config.searchPageSize || 20);
    ui.form.setAttribute("aria-busy", "true");
    ui.form.classList.add("loading");
    ui.message.textContent = label("loading");
    return fetch(url, { credentials: "same-origin", signal: controller ? controller.signal : undefined })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        if (state.search.controller !== controller) return;
        state.search.controller = null;
        ui.form.removeAttribute("aria-busy");
        ui.form.classList.remove("loading");
        renderResults(data, q, autoOpen);
        sheet(true);
      })
      .catch(function (err) {
        if (err && err.name === "AbortError") return;  // a newer keystroke took over
        ui.form.removeAttribute("aria-busy");
        ui.form.classList.remove("loading");
        ui.message.textContent = String(err);
      });
  }

  function searchBox() {
    var ui = searchUi(), timer = null;
    state.search.requests = 0;
    ui.input.addEventListener("input", function () {
      clearTimeout(timer);
      var q = ui.input.value.trim();
      if (q.length < 2) {
        if (state.search.controller) state.search.controller.abort();
        ui.list.innerHTML = "";
        ui.pager.innerHTML = "";
        ui.message.textContent = "";
        ui.input.setAttribute("aria-expanded", "false");
        return;
      }
      timer = setTimeout(function () { state.search.requests += 1; search(q, 1, false); }, 250);
    });
    ui.input.addEventListener("keydown", function (e) {
      var n = (state.search.results || []).length;
      if (e.key === "ArrowDown" && n) { e.preventDefault(); setActive(Math.min(n - 1, state.search.active + 1)); }
      else if (e.key === "ArrowUp" && n) { e.preventDefault(); setActive(Math.max(0, state.search.active - 1)); }
      else if (e.key === "Escape") { setActive(-1); ui.list.innerHTML = ""; ui.input.setAttribute("aria-expanded", "false"); }
      else if (e.key === "Enter" && state.search.active >= 0 && n) {
        e.preventDefault();
        choose(state.search.results[state.search.active]);
      }
    });
    ui.form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      clearTimeout(timer);
      search(ui.input.value.trim(), 1, true);
    });
  }

  // --- start ----------------------------------------------------------------------------------

  /** The map fills the screen under the top bar, whatever height the bar wraps to. */
  function fitTopbar() {
    var bar = document.querySelector(".topbar");
    if (bar) document.documentElement.style.setProperty("--topbar", bar.offsetHeight + "px");
    if (state.map) state.map.invalidateSize();
  }

  function init(map, config) {
    fitTopbar();
    window.addEventListener("resize", fitTopbar);
    state.map = map;
    state.config = config;
    config.layers.forEach(function (l) { state.layers[l.name] = window[l.var]; });
    config.baseMaps.forEach(function (b) {
      state.bases[b.key] = window[b["var"]];
      if (b.shown) state.baseKey = b.key;
    });
    layerTree();
    legendControl();
    coordinatesControl();
    scaleControl();
    toolbar();
    map.on("click", onClick);
    map.on("moveend", updatePermalink);
    searchBox();
    var toggle = document.getElementById("sheet-toggle");
    if (toggle) toggle.addEventListener("click", function () {
      sheet(!document.getElementById("sidebar").classList.contains("sheet-open"));
    });
    var hasView = restoreFromUrl();
    if (config.parcel) {
      openCard(config.parcel).then(function () {
        var card = document.querySelector("#card .parcel-card");
        if (card && !hasView) zoomTo(card.getAttribute("data-bbox").split(",").map(Number));
      });
    }
    updatePermalink();
  }

  window.geogmina = { init: init, openCard: openCard, search: search, state: state };

  function start() {
    var node = document.getElementById("map-config");
    if (!node) return;
    var config = JSON.parse(node.textContent);
    init(window[config.mapName], config);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
