/* The inspections register's map: inspections as markers, popups as text. */
(function () {
  var map = L.map("inspections-map");
  window.inspectionsMap = map;
  L.geoJSON(JSON.parse(document.getElementById("areas-data").textContent), {
    style: {color: "#7a3", weight: 1, fillOpacity: 0.08}, interactive: false
  }).addTo(map);
  var mapDiv = document.getElementById("inspections-map");
  var saved = mapDiv.dataset.saved || "";
  var colours = {fail: "#c00", pass: "#080", review: "#d80"};
  fetch(mapDiv.dataset.url, {credentials: "same-origin"})
    .then(function (r) { return r.json(); })
    .then(function (data) {
      var layer = L.geoJSON(data, {
        pointToLayer: function (f, latlng) {
          var m = L.circleMarker(latlng, {radius: 8, color: colours[f.properties.outcome] || "#333", fillOpacity: 0.7,
                                          className: "inspection-marker inspection-" + f.properties.id});
          m.bindPopup(geogminaText("#" + f.properties.id + " " + f.properties.date + " " + f.properties.type + ": " + f.properties.outcome_label));
          return m;
        }
      }).addTo(map);
      if (layer.getLayers().length) { map.fitBounds(layer.getBounds(), {maxZoom: 17}); } else { map.setView([51.4, 21.15], 12); }
      layer.eachLayer(function (l) { if (String(l.feature.properties.id) === saved) { l.openPopup(); } });
      document.getElementById("inspections-map").dataset.count = layer.getLayers().length;
    });
})();
