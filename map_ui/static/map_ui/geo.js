/* Shared by the map page and the registers' maps: Polish coordinate systems (proj4), the
 * national number format, geodesic and EPSG:2180 measurements, base maps, "my position" and
 * "zoom to plot". Plain ES2017; proj4, Leaflet and geographiclib-geodesic come from the app's
 * static files. Convention everywhere: X is the NORTHING (or the latitude), Y the EASTING (or
 * the longitude), as in Polish geodesy. */
(function () {
  "use strict";
  var TM = "+proj=tmerc +lat_0=0 +k=0.999923 +ellps=GRS80 +towgs84=0,0,0,0,0,0,0 +units=m +no_defs";
  var DEFS = {
    "EPSG:2180": "+proj=tmerc +lat_0=0 +lon_0=19 +k=0.9993 +x_0=500000 +y_0=-5300000 " +
      "+ellps=GRS80 +towgs84=0,0,0,0,0,0,0 +units=m +no_defs",
    "EPSG:2176": TM + " +lon_0=15 +x_0=5500000 +y_0=0",
    "EPSG:2177": TM + " +lon_0=18 +x_0=6500000 +y_0=0",
    "EPSG:2178": TM + " +lon_0=21 +x_0=7500000 +y_0=0",
    "EPSG:2179": TM + " +lon_0=24 +x_0=8500000 +y_0=0",
  };
  var CRS_CODES = ["EPSG:2180", "EPSG:2176", "EPSG:2177", "EPSG:2178", "EPSG:2179", "EPSG:4326"];
  if (window.proj4) Object.keys(DEFS).forEach(function (k) { proj4.defs(k, DEFS[k]); });

  /** 1234.5 → "1 234,50" (non-breaking space groups, decimal comma), as Polish offices write. */
  function fmt(value, decimals) {
    if (value === null || value === undefined || !isFinite(value)) return "–";
    var d = decimals === undefined ? 2 : decimals;
    var neg = value < 0;
    var parts = Math.abs(value).toFixed(d).split(".");
    var whole = parts[0].replace(/\B(?=(\d{3})+(?!\d))/g, "\u00a0");
    return (neg ? "-" : "") + whole + (parts[1] ? "," + parts[1] : "");
  }

  /** "1 234,5" / "1234.5" / "1 234.5" → 1234.5 (NaN when not a number). */
  function parseNumber(text) {
    var s = String(text || "").replace(/[\s\u00a0\u2009]/g, "").replace(",", ".");
    if (!/^[-+]?\d+(\.\d+)?$/.test(s)) return NaN;
    return parseFloat(s);
  }

  /** A WGS 84 point in ``code``: {x: northing or latitude, y: easting or longitude}. */
  function toXY(latlng, code) {
    if (code === "EPSG:4326") return { x: latlng.lat, y: latlng.lng };
    var p = proj4("EPSG:4326", code, [latlng.lng, latlng.lat]);
    return { x: p[1], y: p[0] };
  }

  /** X (northing / latitude) and Y (easting / longitude) in ``code`` → a Leaflet LatLng. */
  function fromXY(x, y, code) {
    if (code === "EPSG:4326") return L.latLng(x, y);
    var p = proj4(code, "EPSG:4326", [y, x]);
    return L.latLng(p[1], p[0]);
  }

  function formatXY(latlng, code) {
    var p = toXY(latlng, code);
    if (code === "EPSG:4326") return "φ\u00a0" + fmt(p.x, 6) + "°  λ\u00a0" + fmt(p.y, 6) + "°";
    return "X\u00a0" + fmt(p.x, 2) + "  Y\u00a0" + fmt(p.y, 2);
  }

  /** The PL-2000 zone (EPSG:2176–2179) whose central meridian is nearest to a longitude. */
  function pl2000Zone(lng) {
    var zones = [[15, "EPSG:2176"], [18, "EPSG:2177"], [21, "EPSG:2178"], [24, "EPSG:2179"]];
    var best = zones[0];
    zones.forEach(function (z) { if (Math.abs(lng - z[0]) < Math.abs(lng - best[0])) best = z; });
    return best[1];
  }

  /** Length and area of a line or ring of LatLngs: on the GRS80/WGS 84 ellipsoid (Karney's
   * geodesics, geographiclib) and in the EPSG:2180 plane. Area only when ``closed``. */
  function measure(latlngs, closed) {
    var out = { geodesic: { length: 0, area: null }, plane2180: { length: 0, area: null } };
    if (latlngs.length < 2) return out;
    var g = window.geodesic && window.geodesic.Geodesic.WGS84;
    var pts = latlngs.map(function (ll) { return proj4("EPSG:4326", "EPSG:2180", [ll.lng, ll.lat]); });
    var n = latlngs.length, segs = closed && n > 2 ? n : n - 1;
    for (var i = 0; i < segs; i++) {
      var a = latlngs[i], b = latlngs[(i + 1) % n];
      out.geodesic.length += g ? g.Inverse(a.lat, a.lng, b.lat, b.lng).s12 : a.distanceTo(b);
      var pa = pts[i], pb = pts[(i + 1) % n];
      out.plane2180.length += Math.hypot(pb[0] - pa[0], pb[1] - pa[1]);
    }
    if (closed && n > 2) {
      var s = 0;
      for (var j = 0; j < n; j++) {
        var p = pts[j], q = pts[(j + 1) % n];
        s += p[0] * q[1] - q[0] * p[1];
      }
      out.plane2180.area = Math.abs(s) / 2;
      if (g) {
        var poly = g.Polygon(false);
        latlngs.forEach(function (ll) { poly.AddPoint(ll.lat, ll.lng); });
        out.geodesic.area = Math.abs(poly.Compute(false, true).area);
      }
    }
    return out;
  }

  /** The map's scale denominator at its centre (96 dpi screen, as GIS clients assume). */
  function scaleOf(map) {
    var lat = map.getCenter().lat * Math.PI / 180;
    var metresPerPixel = 40075016.686 * Math.cos(lat) / Math.pow(2, map.getZoom() + 8);
    return metresPerPixel * 96 / 0.0254;
  }

  /** The (fractional) zoom that shows the map at 1:``denominator``. */
  function zoomForScale(map, denominator) {
    var lat = map.getCenter().lat * Math.PI / 180;
    var metresPerPixel = denominator * 0.0254 / 96;
    return Math.log2(40075016.686 * Math.cos(lat) / metresPerPixel) - 8;
  }

  function setScale(map, denominator) {
    var snap = map.options.zoomSnap;
    map.options.zoomSnap = 0;  // only this once: the wheel and buttons keep whole zoom levels
    map.setZoom(zoomForScale(map, denominator), { animate: false });
    map.options.zoomSnap = snap;
  }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  /** Base maps from the app's json_script ({key, label, url, attribution, max_zoom, …}):
   * the default one added, a small switcher when there are several. Returns {key: layer}. */
  function addBaseMaps(map, baseMaps) {
    var layers = {}, labels = {}, shown = null;
    (baseMaps || []).forEach(function (b) {
      var layer = b.url ? L.tileLayer(b.url, {
        attribution: b.attribution || b.label, maxZoom: b.max_zoom || 22,
        maxNativeZoom: b.max_native_zoom || b.max_zoom || 22,
        bounds: b.bounds ? L.latLngBounds(b.bounds) : undefined,
      }) : L.layerGroup();
      layers[b.key] = layer;
      labels[b.label] = layer;
      if (b["default"] && !shown) { layer.addTo(map); shown = b.key; }
    });
    if (Object.keys(labels).length > 1) L.control.layers(labels, null, { collapsed: true }).addTo(map);
    return layers;
  }

  /** A "my position" button: browser geolocation, a marker with its accuracy circle.
   * ``onFound(latlng)`` is called with the position (e.g. to fill a form). */
  function locateControl(map, label, onFound, errorLabel) {
    var marker = null, circle = null;
    var Control = L.Control.extend({
      options: { position: "topleft" },
      onAdd: function () {
        var div = L.DomUtil.create("div", "leaflet-bar leaflet-control geo-locate");
        var btn = el("button", { type: "button", "class": "locate-button", title: label, "aria-label": label }, "\u25CE");
        div.appendChild(btn);
        L.DomEvent.disableClickPropagation(div);
        btn.addEventListener("click", function () {
          if (!navigator.geolocation) { btn.setAttribute("data-error", "unsupported"); return; }
          btn.classList.add("busy");
          navigator.geolocation.getCurrentPosition(function (pos) {
            btn.classList.remove("busy");
            btn.removeAttribute("data-error");
            btn.setAttribute("data-located", pos.coords.latitude + "," + pos.coords.longitude);
            var ll = L.latLng(pos.coords.latitude, pos.coords.longitude);
            var acc = pos.coords.accuracy || 0;
            if (marker) { marker.setLatLng(ll); circle.setLatLng(ll).setRadius(acc); } else {
              circle = L.circle(ll, { radius: acc, weight: 1, color: "#1565c0", fillOpacity: 0.1, interactive: false }).addTo(map);
              marker = L.circleMarker(ll, { radius: 7, color: "#fff", weight: 2, fillColor: "#1565c0", fillOpacity: 1, className: "my-position", interactive: false }).addTo(map);
            }
            map.setView(ll, Math.max(map.getZoom(), 17));
            if (onFound) onFound(ll, acc);
          }, function (err) {
            btn.classList.remove("busy");
            btn.setAttribute("data-error", String(err.code));
            btn.title = (errorLabel || label) + " (" + err.message + ")";
          }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 30000 });
        });
        return div;
      },
    });
    return new Control().addTo(map);
  }

  /** Zoom a map to the plot named in ``input`` (a parcel id field, or several separated by
   * commas), asking the search API for its extent. Resolves with the result or null. */
  function zoomToPlot(map, searchUrl, query) {
    var first = String(query || "").split(/[,;\s]+/).filter(Boolean)[0];
    if (!first) return Promise.resolve(null);
    return fetch(searchUrl + "?q=" + encodeURIComponent(first), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : { results: [] }; })
      .then(function (data) {
        var hit = (data.results || []).filter(function (r) { return r.label.indexOf(first) === 0 || r.cadastral_id === first; })[0] ||
          (data.results || [])[0];
        if (!hit || !hit.bbox) return null;
        var b = hit.bbox;
        map.fitBounds([[b[1], b[0]], [b[3], b[2]]], { maxZoom: 19, padding: [20, 20] });
        return hit;
      });
  }

  /** The map context the registers' pages get from {% map_context %} (map_ui's template tag). */
  function context() {
    var node = document.getElementById("geogmina-map-context");
    return node ? JSON.parse(node.textContent) : { baseMaps: [], urls: {}, labels: {} };
  }

  /** Base map, "my position" and a "zoom to plot" button next to a plot field: what every
   * register map gets. ``plotInput`` may be null. */
  function decorate(map, opts) {
    var ctx = context();
    opts = opts || {};
    var bases = addBaseMaps(map, ctx.baseMaps);
    if (opts.locate !== false) locateControl(map, ctx.labels.myPosition, opts.onLocate, ctx.labels.noPosition);
    if (opts.plotInput) {
      var button = el("button", { type: "button", "class": "zoom-to-plot" }, ctx.labels.zoomToPlot);
      opts.plotInput.insertAdjacentElement("afterend", button);
      button.addEventListener("click", function () { zoomToPlot(map, ctx.urls.search, opts.plotInput.value); });
    } else if (opts.plotSearch) {
      // no plot field on the page: a small box on the map
      var Control = L.Control.extend({
        options: { position: "topright" },
        onAdd: function () {
          var form = el("form", { "class": "leaflet-control plot-search" });
          var input = el("input", { type: "search", "class": "plot-search-q", placeholder: ctx.labels.zoomToPlot, "aria-label": ctx.labels.zoomToPlot });
          var go = el("button", { type: "submit", "class": "zoom-to-plot", title: ctx.labels.zoomToPlot }, "\u2192");
          form.appendChild(input);
          form.appendChild(go);
          L.DomEvent.disableClickPropagation(form);
          form.addEventListener("submit", function (ev) {
            ev.preventDefault();
            zoomToPlot(map, ctx.urls.search, input.value).then(function (hit) {
              form.setAttribute("data-found", hit ? String(hit.id) : "");
            });
          });
          return form;
        },
      });
      new Control().addTo(map);
    }
    return bases;
  }

  window.geogminaGeo = {
    DEFS: DEFS, CRS_CODES: CRS_CODES, fmt: fmt, parseNumber: parseNumber, toXY: toXY,
    fromXY: fromXY, formatXY: formatXY, pl2000Zone: pl2000Zone, measure: measure,
    scaleOf: scaleOf, zoomForScale: zoomForScale, setScale: setScale, el: el,
    addBaseMaps: addBaseMaps, locateControl: locateControl, zoomToPlot: zoomToPlot,
    context: context, decorate: decorate,
  };
})();
