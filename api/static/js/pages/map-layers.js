/* The Leaflet map (the vendored global L, no tiles) and its layers, kept and updated in place. */
import { esc } from "../dom.js";
import { t } from "../labels.js";
import { state } from "../state.js";

/* Land and lakes round Songkhla (OpenStreetMap via @geo-maps, see vendor/geo/README.md). */
const WATER_URL = "/static/vendor/geo/songkhla-water.geojson";

export function ensureMap() {
  if (state.map) {
    return state.map;
  }
  const map = L.map("map", { zoomSnap: 0.25, minZoom: 6, maxZoom: 16 });
  map.createPane("fm-land").style.zIndex = 300;
  map.createPane("fm-grid").style.zIndex = 350;
  map.createPane("fm-links").style.zIndex = 410;
  map.createPane("fm-points").style.zIndex = 420;
  const labels = map.createPane("fm-labels");
  labels.style.zIndex = 430;
  labels.style.pointerEvents = "none";
  L.control.scale({ imperial: false }).addTo(map);
  map.attributionControl.addAttribution("foodmatch");
  map.setView([7.1, 100.5], 9);
  state.map = {
    map: map, groups: {}, buyers: {}, links: {}, districts: {}, grid: null, fitted: false,
    water: null,
  };
  drawWater(state.map);
  return state.map;
}

/* The coast (land drawn over the sea-coloured background) and the lakes, under everything else;
   the map works without them if the file cannot be read. */
export async function drawWater(m) {
  try {
    const response = await fetch(WATER_URL, { credentials: "same-origin" });
    if (!response.ok) {
      return;
    }
    const data = await response.json();
    // The sea is the file's box less the land: outside the box nothing is known, so no colour.
    const box = data.bbox;
    L.rectangle([[box[1], box[0]], [box[3], box[2]]], {
      pane: "fm-land", interactive: false, className: "fm-sea", weight: 0, fillOpacity: 1,
    }).addTo(m.map);
    m.water = L.geoJSON(data, {
      pane: "fm-land",
      interactive: false,
      style: function (feature) {
        const lake = feature.properties.kind === "lake";
        return { className: lake ? "fm-lake" : "fm-land", weight: lake ? 0.8 : 0, fillOpacity: 1 };
      },
    }).addTo(m.map);
    m.map.attributionControl.addAttribution(esc(t("map_water_attribution")));
  } catch (error) {
    m.water = null;
  }
}

export function syncLayers(store, items, keyOf, create, update) {
  const seen = {};
  items.forEach(function (item) {
    const key = keyOf(item);
    seen[key] = true;
    if (store[key]) {
      update(store[key], item);
    } else {
      store[key] = create(item);
    }
  });
  Object.keys(store).forEach(function (key) {
    if (!seen[key]) {
      store[key].remove();
      delete store[key];
    }
  });
}

export function setPopup(layer, html) {
  if (layer.__fmPopup !== html) {
    if (layer.getPopup()) {
      layer.setPopupContent(html);
    } else {
      layer.bindPopup(html);
    }
    layer.__fmPopup = html;
  }
}

export function setTooltip(layer, text, sticky) {
  if (layer.__fmTooltip !== text) {
    if (layer.getTooltip()) {
      layer.setTooltipContent(esc(text));
    } else {
      layer.bindTooltip(esc(text), { sticky: !!sticky });
    }
    layer.__fmTooltip = text;
  }
}

export function drawGrid(m, bounds) {
  if (m.grid) {
    m.grid.remove();
  }
  const step = 0.1;
  const south = Math.floor((bounds.south - 0.3) / step) * step;
  const north = Math.ceil((bounds.north + 0.3) / step) * step;
  const west = Math.floor((bounds.west - 0.3) / step) * step;
  const east = Math.ceil((bounds.east + 0.3) / step) * step;
  const lines = [];
  const style = { pane: "fm-grid", interactive: false, className: "fm-grid", weight: 1 };
  for (let lat = south; lat <= north + 1e-9; lat += step) {
    lines.push(L.polyline([[lat, west], [lat, east]], style));
  }
  for (let lon = west; lon <= east + 1e-9; lon += step) {
    lines.push(L.polyline([[south, lon], [north, lon]], style));
  }
  m.grid = L.layerGroup(lines).addTo(m.map);
}

export function radius(value, max, smallest, largest) {
  if (!max || !value) {
    return smallest;
  }
  return smallest + (largest - smallest) * Math.sqrt(value / max);
}

export function popupTable(pairs) {
  return '<table class="mini">' + pairs.map(function (p) {
    return "<tr><th scope=\"row\">" + esc(p[0]) + '</th><td class="num">' + esc(p[1]) + "</td></tr>";
  }).join("") + "</table>";
}
