/* The inspections register's map: inspections coloured by outcome over the landscape areas and
 * the app's base map; the one just saved opens its popup. Options come from data attributes. */
(function () {
  "use strict";

  function start() {
    var node = document.getElementById("inspections-map");
    if (!node) return;
    var map = L.map("inspections-map");
    window.inspectionsMap = map;
    L.geoJSON(JSON.parse(document.getElementById("areas-data").textContent), {
      style: { color: "#7a3", weight: 1, fillOpacity: 0.08 }, interactive: false
    }).addTo(map);
    var saved = node.getAttribute("data-saved") || "";
    var colours = { fail: "#c00", pass: "#080", review: "#d80" };
    window.geogminaGeo.decorate(map, { plotSearch: true });
    fetch(node.getAttribute("data-source"), { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        var layer = L.geoJSON(data, {
          pointToLayer: function (f, latlng) {
            var m = L.circleMarker(latlng, { radius: 8, color: colours[f.properties.outcome] || "#333", fillOpacity: 0.7,
                                             className: "inspection-marker inspection-" + f.properties.id });
            m.bindPopup(geogminaText("#" + f.properties.id + " " + f.properties.date + " " + f.properties.type + ": " + f.properties.outcome_label));
            return m;
          }
        }).addTo(map);
        if (layer.getLayers().length) { map.fitBounds(layer.getBounds(), { maxZoom: 17 }); } else { map.setView([51.4, 21.15], 12); }
        layer.eachLayer(function (l) { if (String(l.feature.properties.id) === saved) { l.openPopup(); } });
        node.dataset.count = layer.getLayers().length;
      });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
