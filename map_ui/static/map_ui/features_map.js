/* A register page's map of its plots or areas (map_ui's {% features_map %}): the app's base
 * map, the features from the page's json_script, each plot linking to the main map. */
(function () {
  "use strict";

  function start() {
    document.querySelectorAll(".features-map").forEach(function (node) {
      var data = JSON.parse(document.getElementById(node.getAttribute("data-features")).textContent);
      var map = L.map(node.id);
      node._map = map;
      window.geogminaGeo.decorate(map, { locate: false, plotSearch: node.getAttribute("data-kind") === "parcels" });
      var layer = L.geoJSON(data, {
        style: { color: "#e65100", weight: 2, fillColor: "#ffb74d", fillOpacity: 0.4 },
        onEachFeature: function (f, l) {
          // the label is data: a string tooltip would be inserted as HTML, an element is not
          l.bindTooltip(window.geogminaGeo.el("span", {}, f.properties.label));
          if (f.properties.href) l.on("click", function () { window.location.href = f.properties.href; });
        },
      }).addTo(map);
      node.setAttribute("data-count", String(layer.getLayers().length));
      if (layer.getLayers().length) map.fitBounds(layer.getBounds(), { maxZoom: 18, padding: [15, 15] });
      else map.setView([51.9, 19.1], 6);
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
