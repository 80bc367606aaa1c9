/* The fee calculator's map: the paid-parking zones over the app's base map; a click (or "my
 * position") picks the point whose zone is charged; "zoom to plot" finds a plot by its id. */
(function () {
  "use strict";

  function start() {
    if (!document.getElementById("fee-map")) return;
    var map = L.map("fee-map");
    window.feeMap = map;
    var zones = JSON.parse(document.getElementById("zones-data").textContent);
    var layer = L.geoJSON(zones, {
      style: function (f) { return { color: f.properties.kind === "city_centre" ? "#a30" : "#03a", weight: 2, fillOpacity: 0.15 }; },
      onEachFeature: function (f, l) { l.bindTooltip(geogminaText(f.properties.code + " " + f.properties.name)); }
    }).addTo(map);
    if (layer.getLayers().length) { map.fitBounds(layer.getBounds()); } else { map.setView([51.4, 21.15], 13); }
    var marker = null, x = document.getElementById("id_x"), y = document.getElementById("id_y");
    var zoneSelect = document.getElementById("id_zone");
    // the app's one convention: X is the northing (the latitude here), Y the easting (longitude)
    if (x.value && y.value) { marker = L.marker([parseFloat(x.value), parseFloat(y.value)]).addTo(map); }
    function pick(latlng) {
      if (marker) { marker.setLatLng(latlng); } else { marker = L.marker(latlng).addTo(map); }
      x.value = latlng.lat.toFixed(7); y.value = latlng.lng.toFixed(7); zoneSelect.value = "";
    }
    map.on("click", function (e) { pick(e.latlng); });
    layer.on("click", function (e) { pick(e.latlng); });
    zoneSelect.addEventListener("change", function () { if (zoneSelect.value) { x.value = ""; y.value = ""; } });
    window.geogminaGeo.decorate(map, { plotSearch: true, onLocate: pick });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
