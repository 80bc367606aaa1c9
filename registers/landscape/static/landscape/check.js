/* The inspector's check page: the landscape areas over the app's base map; a tap on the map or
 * "my position" puts the point into the form in WGS 84 with X the latitude and Y the longitude
 * (the map's convention: X is the northing). A "zoom to plot" box finds a plot by its id. */
(function () {
  "use strict";

  function start() {
    var node = document.getElementById("check-map");
    if (!node) return;
    var map = L.map("check-map", { zoomControl: true });
    window.checkMap = map;
    var areas = JSON.parse(document.getElementById("areas-data").textContent);
    var colours = { resolution_zone: "#7a3", cultural_park: "#a37", conservation_zone: "#37a" };
    var layer = L.geoJSON(areas, {
      style: function (f) { return { color: colours[f.properties.kind] || "#555", weight: 2, fillOpacity: 0.15 }; },
      onEachFeature: function (f, l) { l.bindTooltip(geogminaText(f.properties.code + " " + f.properties.name)); }
    }).addTo(map);
    if (layer.getLayers().length) { map.fitBounds(layer.getBounds()); } else { map.setView([51.4, 21.15], 13); }
    var marker = null;
    var x = document.getElementById("id_x"), y = document.getElementById("id_y"), srid = document.getElementById("id_srid");
    function place(latlng) {
      if (marker) { marker.setLatLng(latlng); } else { marker = L.marker(latlng).addTo(map); }
    }
    function pick(latlng) {
      place(latlng);
      x.value = latlng.lat.toFixed(7); y.value = latlng.lng.toFixed(7); srid.value = "4326";
    }
    if (srid.value === "4326" && x.value && y.value) { place([parseFloat(x.value), parseFloat(y.value)]); }
    map.on("click", function (e) { pick(e.latlng); });
    layer.on("click", function (e) { map.fire("click", { latlng: e.latlng }); });
    window.geogminaGeo.decorate(map, { plotSearch: true, onLocate: pick });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
