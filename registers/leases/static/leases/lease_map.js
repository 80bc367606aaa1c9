/* The lease map: plots (municipal ones highlighted), other live leases, the lease's own area.
 * With `editable`, leaflet-draw lets the officer draw or reshape the leased area; the result is
 * written as GeoJSON (WGS 84) into the hidden form field, and a click on a plot adds its id to
 * the plots field. Plot ids are shown as text, never as HTML. The app's own base map
 * (orthophoto or plain; nothing from outside the app), "my position"
 * and "zoom to plot" from the plots field come from map_ui's geo.js. */
(function () {
  "use strict";

  function init(opts) {
    var data = JSON.parse(document.getElementById(opts.dataId).textContent);
    var map = L.map(opts.mapId, { preferCanvas: false, zoomSnap: 0.25 });
    var plots = L.geoJSON(data.plots, {
      style: function (f) {
        return f.properties.municipal
          ? { color: "#2e7d32", weight: 1.5, fillColor: "#a5d6a7", fillOpacity: 0.35 }
          : { color: "#8d6e63", weight: 1, fillColor: "#d7ccc8", fillOpacity: 0.15 };
      },
      onEachFeature: function (f, layer) {
        // the id is data: Leaflet inserts a string tooltip as HTML, an element as it is
        var tip = document.createElement("span");
        tip.textContent = f.properties.cadastral_id;
        layer.bindTooltip(tip, { sticky: true });
        if (opts.plotsInput) {
          layer.on("click", function () {
            if (drawing) return;
            var input = document.getElementById(opts.plotsInput);
            var ids = input.value.split(",").map(function (s) { return s.trim(); })
              .filter(function (s) { return s; });
            var i = ids.indexOf(f.properties.cadastral_id);
            if (i >= 0) ids.splice(i, 1); else ids.push(f.properties.cadastral_id);
            input.value = ids.join(", ");
          });
        }
      }
    }).addTo(map);
    var others = L.geoJSON(data.leases, {
      style: { color: "#c2185b", weight: 1, dashArray: "4 3", fillOpacity: 0.15 },
      interactive: false
    }).addTo(map);
    var drawn = new L.FeatureGroup().addTo(map);
    // An area drawn before a refused save comes back in the form's hidden input: it is the
    // officer's latest drawing (the stored one is data.current), so it is shown and kept.
    var posted = null;
    var areaField = opts.areaInput ? document.getElementById(opts.areaInput) : null;
    if (areaField && areaField.value) {
      try { posted = JSON.parse(areaField.value); } catch (err) { posted = null; }
    }
    var shown = posted || data.current;
    if (shown) {
      L.geoJSON(shown).eachLayer(function (layer) {
        if (layer.getLatLngs) {
          // one editable polygon per ring set
          var latlngs = layer.getLatLngs();
          var polys = (layer instanceof L.Polygon && Array.isArray(latlngs[0]) &&
                       Array.isArray(latlngs[0][0])) ? latlngs : [latlngs];
          polys.forEach(function (ll) {
            drawn.addLayer(L.polygon(ll, { color: "#c2185b", weight: 2, fillOpacity: 0.4 }));
          });
        }
      });
    }
    var bounds = null;
    [data.focus && data.focus.length ? L.geoJSON({ type: "FeatureCollection", features: data.focus }) : null,
     drawn.getLayers().length ? drawn : null, plots].some(function (g) {
      if (g && g.getBounds && g.getBounds().isValid()) { bounds = g.getBounds(); return true; }
      return false;
    });
    if (bounds) map.fitBounds(bounds, { padding: [20, 20], maxZoom: 19 });
    else map.setView([51.9, 19.1], 6);
    L.control.scale({ imperial: false }).addTo(map);
    if (window.geogminaGeo) {  // the app's base map, "my position", "zoom to plot" (map_ui)
      window.geogminaGeo.decorate(map, {
        plotInput: opts.plotsInput ? document.getElementById(opts.plotsInput) : null,
      });
    }

    var drawing = false;
    function write() {
      if (!opts.areaInput) return;
      var fc = drawn.toGeoJSON();
      document.getElementById(opts.areaInput).value = fc.features.length ? JSON.stringify(fc) : "";
    }
    if (opts.editable) {
      var texts = document.getElementById("draw-texts");
      if (texts && L.drawLocal) merge(L.drawLocal, JSON.parse(texts.textContent));
      var control = new L.Control.Draw({
        draw: { polygon: { allowIntersection: false, showArea: true,
                           shapeOptions: { color: "#c2185b" } },
                rectangle: { shapeOptions: { color: "#c2185b" } },
                polyline: false, circle: false, marker: false, circlemarker: false },
        edit: { featureGroup: drawn }
      });
      map.addControl(control);
      map.on(L.Draw.Event.DRAWSTART, function () { drawing = true; });
      map.on(L.Draw.Event.DRAWSTOP, function () { setTimeout(function () { drawing = false; }, 0); });
      map.on(L.Draw.Event.CREATED, function (e) { drawn.addLayer(e.layer); write(); });
      map.on(L.Draw.Event.EDITED, write);
      map.on(L.Draw.Event.DELETED, write);
    }
    window.leaseMap = { map: map, drawn: drawn, plots: plots, others: others };
    return window.leaseMap;
  }

  // the page's translations into Leaflet.draw's texts, key by key
  function merge(target, source) {
    Object.keys(source).forEach(function (key) {
      if (source[key] && typeof source[key] === "object" && target[key]) merge(target[key], source[key]);
      else target[key] = source[key];
    });
  }

  window.initLeaseMap = init;

  // Pages declare their map on its element (no inline script: the Content-Security-Policy):
  // <div id="lease-map" data-lease-map data-data-id="map-data" data-editable="1"
  //      data-area-input="…" data-plots-input="…">
  function start() {
    var el = document.querySelector("[data-lease-map]");
    if (!el) return;
    init({ mapId: el.id, dataId: el.dataset.dataId, editable: el.dataset.editable === "1",
           areaInput: el.dataset.areaInput || null, plotsInput: el.dataset.plotsInput || null });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
