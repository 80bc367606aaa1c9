/* The parking revenue page's charts (Chart.js from npm, served by the app): revenue by channel
 * per day, revenue by channel and estimated occupancy per hour, each with a vertical marker
 * where a new tariff came into force, and the before/after averages in a table. The data come
 * from the page's JSON endpoint (data-url); the texts from a json_script element (no inline
 * script: the page has a Content-Security-Policy). */
(function () {
  "use strict";
  var COLOURS = { app: "#1565c0", meter: "#6a1b9a", permits: "#2e7d32", surcharges: "#ef6c00",
                  occupancy: "#c62828", marker: "#d81b60" };

  function num(v) { return v === null || v === undefined ? null : Number(v); }
  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function markers(changes, labelOf, texts) {
    var out = {};
    changes.forEach(function (c, i) {
      var at = labelOf(c.date);
      if (at === null) return;
      out["tariff" + i] = {
        type: "line", scaleID: "x", value: at, borderColor: COLOURS.marker, borderWidth: 3,
        borderDash: [6, 4],
        label: { display: true, content: texts.tariff + " " + c.resolution, position: "start",
                 backgroundColor: COLOURS.marker, color: "#fff", font: { size: 11 } }
      };
    });
    return out;
  }

  function fmt(v, digits) {
    return v === null || v === undefined ? "–" : Number(v).toLocaleString(document.documentElement.lang || "pl",
      { minimumFractionDigits: digits, maximumFractionDigits: digits });
  }

  function changeTable(changes, texts) {
    var table = document.getElementById("rev-tariff-changes");
    var body = table.querySelector("tbody");
    body.textContent = "";
    changes.forEach(function (c) {
      [["before", c.before], ["after", c.after]].forEach(function (pair, j) {
        var tr = document.createElement("tr");
        tr.setAttribute("data-side", pair[0]);
        var cells = [j === 0 ? c.date : "", j === 0 ? c.resolution : "",
                     texts[pair[0]] + " (" + pair[1].from + " – " + pair[1].to + ")",
                     String(pair[1].days), fmt(pair[1].revenue, 2), fmt(pair[1].occupancy, 1)];
        cells.forEach(function (text) {
          var td = document.createElement("td");
          td.textContent = text;
          tr.appendChild(td);
        });
        body.appendChild(tr);
      });
    });
    table.hidden = changes.length === 0;
  }

  function draw(section, data, texts) {
    var plugin = window["chartjs-plugin-annotation"];
    if (plugin) Chart.register(plugin);
    document.getElementById("rev-zone-name").textContent =
      data.zone.municipality + " – " + data.zone.code + " " + data.zone.name +
      (data.zone.bays ? " (" + data.zone.bays + ")" : "");
    document.getElementById("rev-no-bays").hidden = !!data.zone.bays;

    var days = data.days.map(function (d) { return d.day; });
    var daily = new Chart(document.getElementById("chart-daily"), {
      type: "bar",
      data: { labels: days, datasets: ["app", "meter", "permits", "surcharges"].map(function (k) {
        return { label: texts[k], backgroundColor: COLOURS[k], stack: "zl",
                 data: data.days.map(function (d) { return num(d[k]); }) };
      }) },
      options: { maintainAspectRatio: false, animation: false,
                 scales: { x: { stacked: true }, y: { stacked: true, title: { display: true, text: texts.zl } } },
                 plugins: { annotation: { annotations: markers(data.tariff_changes, function (d) {
                   return days.indexOf(d) >= 0 ? d : null; }, texts) } } }
    });

    var hours = data.hours.map(function (h) { return h.day.slice(5) + " " + pad(h.hour) + ":00"; });
    var hourly = new Chart(document.getElementById("chart-hourly"), {
      data: { labels: hours, datasets: [
        { type: "bar", label: texts.app, backgroundColor: COLOURS.app, stack: "zl", yAxisID: "y",
          data: data.hours.map(function (h) { return num(h.app); }) },
        { type: "bar", label: texts.meter, backgroundColor: COLOURS.meter, stack: "zl", yAxisID: "y",
          data: data.hours.map(function (h) { return num(h.meter); }) },
        { type: "line", label: texts.occupancy, borderColor: COLOURS.occupancy, pointRadius: 0,
          borderWidth: 1.5, yAxisID: "occ", spanGaps: false,
          data: data.hours.map(function (h) { return num(h.occupancy); }) }
      ] },
      options: { maintainAspectRatio: false, animation: false,
                 scales: { x: { stacked: true, ticks: { maxTicksLimit: 16 } },
                           y: { stacked: true, position: "left", title: { display: true, text: texts.zl } },
                           occ: { position: "right", min: 0, suggestedMax: 100, grid: { drawOnChartArea: false },
                                  title: { display: true, text: texts.occupancy } } },
                 plugins: { annotation: { annotations: markers(data.tariff_changes, function (d) {
                   var at = d.slice(5) + " 00:00";
                   return hours.indexOf(at) >= 0 ? at : null; }, texts) } } }
    });
    changeTable(data.tariff_changes, texts);
    window.parkingRevenueCharts = { daily: daily, hourly: hourly, data: data };
    section.setAttribute("aria-busy", "false");
    section.setAttribute("data-drawn", "1");
  }

  function start() {
    var section = document.getElementById("rev-charts");
    if (!section || typeof Chart === "undefined") return;
    var texts = JSON.parse(document.getElementById("rev-texts").textContent);
    fetch(section.getAttribute("data-url"), { credentials: "same-origin",
                                              headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (data) { draw(section, data, texts); })
      .catch(function () {
        var p = document.createElement("p");
        p.className = "error";
        p.textContent = texts.failed;
        section.appendChild(p);
        section.setAttribute("aria-busy", "false");
      });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
