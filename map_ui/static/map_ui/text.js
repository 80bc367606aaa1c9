/* geogminaText(s): an element holding `s` as text, never as HTML. Leaflet's bindTooltip and
 * bindPopup insert a string as HTML; names and ids come from imported data, so they are handed
 * over as elements built with textContent. */
(function () {
  "use strict";
  window.geogminaText = function (s) {
    var span = document.createElement("span");
    span.textContent = s == null ? "" : String(s);
    return span;
  };
})();
