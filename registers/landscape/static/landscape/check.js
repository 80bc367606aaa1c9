/* The inspector's check: areas (names as text), a tap places the object. */
(function () {
  var map = L.map("check-map", {zoomControl: true});
  window.checkMap = map;
  var areas = JSON.parse(document.getElementById("areas-data").textContent);
  var colours = {resolution_zone: "#7a3", cultural_park: "#a37", conservation_zone: "#37a"};
  var layer = L.geoJSON(areas, {
    style: function (f) { return {color: colours[f.properties.kind] || "#555", weight: 2, fillOpacity: 0.15}; },
    onEachFeature: function (f, l) { l.bindTooltip(geogminaText(f.properties.code + " " + f.properties.name)); }
  }).addTo(map);
  if (layer.getLayers().length) { map.fitBounds(layer.getBounds()); } else { map.setView([51.4, 21.15], 13); }
  var marker = null;
  var x = document.getElementById("id_x"), y = document.getElementById("id_y"), srid = document.getElementById("id_srid");
  function place(latlng) {
    if (marker) { marker.setLatLng(latlng); } else { marker = L.marker(latlng).addTo(map); }
  }
  if (srid.value === "4326" && x.value && y.value) { place([parseFloat(y.value), parseFloat(x.value)]); }
  map.on("click", function (e) {
    place(e.latlng);
    x.value = e.latlng.lng.toFixed(7); y.value = e.latlng.lat.toFixed(7); srid.value = "4326";
  });
  layer.on("click", function (e) { map.fire("click", {latlng: e.latlng}); });
})();
