/* The admin's geometry widget without internet and without inline script: Django's MapWidget
 * (gis/js/OLMapWidget.js) on the app's own parcel tiles as the backdrop. Each widget's options
 * come from its <script type="application/json" class="geogmina-map-widget">. */
(function () {
  "use strict";
  function start() {
    document.querySelectorAll("script.geogmina-map-widget").forEach(function (node) {
      if (node.dataset.started) return;
      node.dataset.started = "1";
      var options = JSON.parse(node.textContent);
      options.base_layer = new ol.layer.VectorTile({
        source: new ol.source.VectorTile({
          format: new ol.format.MVT(),
          url: "/tiles/parcels/{z}/{x}/{y}.pbf",
          maxZoom: 18
        }),
        style: new ol.style.Style({ stroke: new ol.style.Stroke({ color: "#888", width: 1 }) })
      });
      window[node.dataset.module] = new MapWidget(options);
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
