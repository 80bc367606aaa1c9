/* The front desk's map: tap a point to fill X/Y (PL-1992, X the northing); "my position" too. */
(function () {
  "use strict";

  function start() {
    var node = document.getElementById("desk-map");
    if (!node || !window.L) return;
    var geo = window.geogminaGeo;
    var x = document.getElementById("desk-x");
    var y = document.getElementById("desk-y");
    var map = L.map(node);
    node._map = map;
    var marker = null;
    function put(latlng, fill) {
      if (marker) marker.setLatLng(latlng);
      else marker = L.circleMarker(latlng, { radius: 7, color: "#1565c0" }).addTo(map);
      if (fill) {
        var p = geo.toXY(latlng, "EPSG:2180");
        x.value = p.x.toFixed(2);
        y.value = p.y.toFixed(2);
        document.getElementById("desk-plot").value = "";
      }
    }
    geo.decorate(map, { onLocate: function (latlng) { put(latlng, true); } });
    map.on("click", function (ev) { put(ev.latlng, true); });
    var px = geo.parseNumber(x.value), py = geo.parseNumber(y.value);
    if (isFinite(px) && isFinite(py) && x.value && y.value) {
      var ll = geo.fromXY(px, py, "EPSG:2180");
      put(ll, false);
      map.setView(ll, 17);
    } else {
      var c = (node.getAttribute("data-centre") || "").split(",").map(Number);
      if (c.length === 2 && isFinite(c[0]) && isFinite(c[1])) map.setView(c, 14);
      else map.setView([51.9, 19.1], 6);
    }
    node.setAttribute("data-ready", "1");
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
