/* The map page's behaviour on top of the folium map: cursor coordinates in EPSG:2180, the
 * legend, click → parcel card, search with zoom-to. Plain ES2017, no framework, no network
 * beyond this app. `window.geogmina` is exposed so tests can ask where the map is. */
(function () {
  "use strict";
  var EPSG2180 = "+proj=tmerc +lat_0=0 +lon_0=19 +k=0.9993 +x_0=500000 +y_0=-5300000 " +
    "+ellps=GRS80 +towgs84=0,0,0,0,0,0,0 +units=m +no_defs";

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function fmt(v) { return v.toFixed(2).replace(/\B(?=(\d{3})+(?!\d))/g, "\u2009"); }

  var state = { map: null, config: null, highlight: null, cardId: null };

  function coordinatesControl(map, label) {
    var toPl = proj4("EPSG:4326", EPSG2180);
    var Control = L.Control.extend({
      options: { position: "bottomleft" },
      onAdd: function () {
        var div = L.DomUtil.create("div", "leaflet-control coords");
        div.textContent = label;
        map.on("mousemove", function (e) {
          var p = toPl.forward([e.latlng.lng, e.latlng.lat]);
          div.textContent = label + "  x\u00a0" + fmt(p[1]) + "  y\u00a0" + fmt(p[0]);
        });
        return div;
      },
    });
    return new Control().addTo(map);
  }

  function legendControl(map, config) {
    var Control = L.Control.extend({
      options: { position: "bottomright" },
      onAdd: function () {
        var div = L.DomUtil.create("div", "leaflet-control legend");
        div.appendChild(el("strong", {}, config.labels.legend));
        config.legend.forEach(function (item) {
          var row = el("div", { "class": "legend-row" });
          var swatch = el("span", { "class": "swatch" });
          swatch.style.borderColor = item.color;
          swatch.style.background = item.fill;
          row.appendChild(swatch);
          var text = item.label;
          if (item.min_zoom > 8) text += " (" + config.labels.fromZoom + " " + item.min_zoom + ")";
          row.appendChild(el("span", {}, text));
          div.appendChild(row);
          (item.palette || []).forEach(function (entry) {
            var sub = el("div", { "class": "legend-row legend-sub" });
            var sw = el("span", { "class": "swatch" });
            sw.style.borderColor = entry[1];
            sw.style.background = entry[1];
            sub.appendChild(sw);
            sub.appendChild(el("span", {}, entry[2] || entry[0]));
            div.appendChild(sub);
          });
        });
        return div;
      },
    });
    return new Control().addTo(map);
  }

  function highlight(geojson) {
    if (state.highlight) { state.map.removeLayer(state.highlight); state.highlight = null; }
    if (!geojson) return;
    state.highlight = L.geoJSON(geojson, {
      style: { color: "#ffcc00", weight: 3, fillOpacity: 0.15, fillColor: "#ffcc00" },
      interactive: false,
    }).addTo(state.map);
  }

  function showCard(html) {
    var slot = document.getElementById("card");
    slot.innerHTML = html;
    var data = slot.querySelector("#parcel-geojson");
    highlight(data ? JSON.parse(data.textContent) : null);
  }

  function openCard(id) {
    state.cardId = id;
    var url = state.config.urls.card.replace("{id}", id);
    return fetch(url, { credentials: "same-origin" }).then(function (r) {
      if (!r.ok) throw new Error("card " + r.status);
      return r.text();
    }).then(function (html) { if (state.cardId === id) showCard(html); });
  }

  function zoomTo(bbox) {
    // bbox: west, south, east, north; never zoom past 19 for a tiny plot
    state.map.fitBounds([[bbox[1], bbox[0]], [bbox[3], bbox[2]]], { maxZoom: 19, padding: [30, 30] });
  }

  function onClick(e) {
    var url = state.config.urls.at + "?lon=" + e.latlng.lng.toFixed(7) + "&lat=" + e.latlng.lat.toFixed(7);
    fetch(url, { credentials: "same-origin" }).then(function (r) {
      if (r.status === 404) return null;
      if (!r.ok) throw new Error("at " + r.status);
      return r.json();
    }).then(function (found) {
      if (found) return openCard(found.id);
      state.cardId = null;
      highlight(null);
      document.getElementById("card").innerHTML = "";
      document.getElementById("card").appendChild(el("p", { "class": "muted" }, state.config.labels.noParcel));
    });
  }

  function renderResults(data) {
    var list = document.getElementById("search-results");
    var message = document.getElementById("search-message");
    list.innerHTML = "";
    message.textContent = data.error || data.message || (data.results.length ? "" : state.config.labels.noResults);
    (data.results || []).forEach(function (r) {
      var li = el("li");
      var a = el("a", { href: "/?parcel=" + r.id, "class": "zoom-to", "data-id": r.id }, r.label);
      a.addEventListener("click", function (ev) {
        ev.preventDefault();
        zoomTo(r.bbox);
        openCard(r.id);
      });
      li.appendChild(a);
      list.appendChild(li);
    });
    if (data.results && data.results.length === 1) {
      zoomTo(data.results[0].bbox);
      openCard(data.results[0].id);
    }
  }

  function search(q) {
    var url = state.config.urls.search + "?q=" + encodeURIComponent(q);
    return fetch(url, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(renderResults);
  }

  function init(map, config) {
    state.map = map;
    state.config = config;
    coordinatesControl(map, config.labels.coords);
    legendControl(map, config);
    map.on("click", onClick);
    var form = document.getElementById("search-form");
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      search(document.getElementById("search-q").value);
    });
    if (config.parcel) {
      openCard(config.parcel).then(function () {
        var card = document.querySelector("#card .parcel-card");
        if (card) zoomTo(card.getAttribute("data-bbox").split(",").map(Number));
      });
    }
  }

  window.geogmina = { init: init, openCard: openCard, search: search, state: state };
})();
