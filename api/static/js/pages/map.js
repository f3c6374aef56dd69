/* #/map : groups and kitchens at their places, a line per pair under contract, district names. */
import { getJson } from "../api.js";
import { GROUP_COLOUR, LINK_COLOUR } from "../charts.js";
import { byId, enc, esc, setText } from "../dom.js";
import { num, pct, t, tOr } from "../labels.js";
import { buyerName, cropName, districtName, ensureNames, groupName, nm } from "../names.js";
import { state } from "../state.js";
import { drawGrid, ensureMap, popupTable, radius, setPopup, setTooltip, syncLayers } from "./map-layers.js";

const KIND_COLOURS = {
  hospital: "#c0392b",
  school: "#2c6fbb",
  prison: "#7a4fa3",
};

export const mapPage = {
  load: async function () {
    const data = await getJson("/map");
    await ensureNames(data.groups.map(function (g) { return g.id; }),
      data.buyers.map(function (b) { return b.id; }));
    return data;
  },
  shown: function () {
    if (state.map) {
      state.map.map.invalidateSize();
    }
  },
  render: function (data) {
    const m = ensureMap();
    m.map.invalidateSize();
    if (data.bounds && !m.fitted) {
      const b = data.bounds;
      m.map.fitBounds([[b.south, b.west], [b.north, b.east]], { padding: [30, 30] });
      drawGrid(m, b);
      m.fitted = true;
    }
    const places = {};
    const maxAnnounced = Math.max.apply(null, [1].concat(data.groups.map(function (g) {
      return g.announced || 0;
    })));
    const maxOrdered = Math.max.apply(null, [1].concat(data.buyers.map(function (b) {
      return b.ordered || 0;
    })));
    const maxLink = Math.max.apply(null, [1].concat(data.links.map(function (l) {
      return l.quantity || 0;
    })));

    function groupPopup(g) {
      return "<strong>" + esc(nm(g)) + "</strong><br>" +
        '<span class="muted">' + esc(t("kind_farmer_group")) + " · " + esc(districtName(g.district)) +
        "</span>" + popupTable([
          [t("announced"), num(g.announced)],
          [t("contracted"), num(g.contracted)],
        ]) + '<a href="#/group/' + esc(enc(g.id)) + '">' + esc(t("open_details")) + "</a>";
    }
    function groupStyle(g) {
      return { radius: radius(g.announced, maxAnnounced, 4, 14) };
    }
    syncLayers(m.groups, data.groups, function (g) { return g.id; }, function (g) {
      const layer = L.circleMarker([g.lat, g.lon], Object.assign({
        pane: "fm-points", className: "fm-group", color: "#ffffff", weight: 1.5,
        fillColor: GROUP_COLOUR, fillOpacity: 0.85,
      }, groupStyle(g))).addTo(m.map);
      layer.getElement().setAttribute("data-id", g.id);
      setPopup(layer, groupPopup(g));
      setTooltip(layer, nm(g));
      return layer;
    }, function (layer, g) {
      layer.setLatLng([g.lat, g.lon]);
      layer.setRadius(groupStyle(g).radius);
      setPopup(layer, groupPopup(g));
      setTooltip(layer, nm(g));
    });

    function buyerPopup(b) {
      return "<strong>" + esc(nm(b)) + "</strong><br>" +
        '<span class="muted">' + esc(tOr("kind_" + b.kind, b.kind)) + " · " +
        esc(districtName(b.district)) + "</span>" + popupTable([
          [t("ordered"), num(b.ordered)],
          [t("contracted"), num(b.contracted)],
          [t("col_fill_rate"), b.ordered ? pct(b.contracted / b.ordered) : "–"],
        ]) + '<a href="#/kitchen/' + esc(enc(b.id)) + '">' + esc(t("open_details")) + "</a>";
    }
    syncLayers(m.buyers, data.buyers, function (b) { return b.id; }, function (b) {
      const layer = L.circleMarker([b.lat, b.lon], {
        pane: "fm-points", className: "fm-buyer fm-kind-" + b.kind, color: "#ffffff", weight: 2,
        fillColor: KIND_COLOURS[b.kind] || "#b4532a", fillOpacity: 0.9,
        radius: radius(b.ordered, maxOrdered, 4, 14),
      }).addTo(m.map);
      layer.getElement().setAttribute("data-id", b.id);
      setPopup(layer, buyerPopup(b));
      setTooltip(layer, nm(b));
      return layer;
    }, function (layer, b) {
      layer.setLatLng([b.lat, b.lon]);
      layer.setRadius(radius(b.ordered, maxOrdered, 4, 14));
      setPopup(layer, buyerPopup(b));
      setTooltip(layer, nm(b));
    });

    data.groups.forEach(function (g) { places["g:" + g.id] = g; });
    data.buyers.forEach(function (b) { places["b:" + b.id] = b; });
    const links = data.links.filter(function (l) {
      return places["g:" + l.group_id] && places["b:" + l.buyer_id];
    });
    function linkPopup(l) {
      return "<strong>" + esc(groupName(l.group_id)) + " → " + esc(buyerName(l.buyer_id)) +
        "</strong>" + popupTable([
          [t("contracted"), num(l.quantity)],
          [t("col_contracts"), num(l.contracts)],
        ]) + '<p class="muted">' + esc(t("crops")) + ": " +
        esc((l.crops || []).map(cropName).join(", ")) + "</p>" +
        '<a href="#/group/' + esc(enc(l.group_id)) + '">' + esc(groupName(l.group_id)) + "</a><br>" +
        '<a href="#/kitchen/' + esc(enc(l.buyer_id)) + '">' + esc(buyerName(l.buyer_id)) + "</a>";
    }
    function linkWeight(l) {
      return 1 + 9 * Math.sqrt((l.quantity || 0) / maxLink);
    }
    // Along the road model's places (l.via) where it has a route, else straight.
    function linkPath(l, g, b) {
      return [[g.lat, g.lon]].concat(l.via || [], [[b.lat, b.lon]]);
    }
    function linkKey(l) {
      return l.group_id + "\u0000" + l.buyer_id;
    }
    syncLayers(m.links, links, linkKey, function (l) {
      const g = places["g:" + l.group_id];
      const b = places["b:" + l.buyer_id];
      const layer = L.polyline(linkPath(l, g, b), {
        pane: "fm-links", className: "fm-link", color: LINK_COLOUR, opacity: 0.55,
        weight: linkWeight(l), lineCap: "round",
      }).addTo(m.map);
      const el = layer.getElement();
      el.setAttribute("data-group", l.group_id);
      el.setAttribute("data-buyer", l.buyer_id);
      el.setAttribute("data-quantity", String(l.quantity));
      el.setAttribute("data-via", String((l.via || []).length));
      setPopup(layer, linkPopup(l));
      setTooltip(layer, groupName(l.group_id) + " → " + buyerName(l.buyer_id) + ": " +
        num(l.quantity), true);
      return layer;
    }, function (layer, l) {
      const g = places["g:" + l.group_id];
      const b = places["b:" + l.buyer_id];
      layer.setLatLngs(linkPath(l, g, b));
      layer.setStyle({ weight: linkWeight(l) });
      layer.getElement().setAttribute("data-quantity", String(l.quantity));
      setPopup(layer, linkPopup(l));
      setTooltip(layer, groupName(l.group_id) + " → " + buyerName(l.buyer_id) + ": " +
        num(l.quantity), true);
    });

    // District labels at the middle of the places in each district (no tiles to name them).
    const centres = {};
    data.groups.concat(data.buyers).forEach(function (p) {
      if (!p.district) {
        return;
      }
      const c = centres[p.district] || { lat: 0, lon: 0, n: 0, district: p.district };
      c.lat += p.lat;
      c.lon += p.lon;
      c.n += 1;
      centres[p.district] = c;
    });
    const labelled = Object.keys(centres).map(function (k) { return centres[k]; })
      .filter(function (c) { return state.districts[c.district]; });
    function labelIcon(c) {
      return L.divIcon({
        className: "fm-district", iconSize: null,
        html: "<span>" + esc(districtName(c.district)) + "</span>",
      });
    }
    syncLayers(m.districts, labelled, function (c) { return c.district; }, function (c) {
      const layer = L.marker([c.lat / c.n, c.lon / c.n], {
        pane: "fm-labels", icon: labelIcon(c), interactive: false, keyboard: false,
      }).addTo(m.map);
      layer.__fmLabel = districtName(c.district);
      return layer;
    }, function (layer, c) {
      layer.setLatLng([c.lat / c.n, c.lon / c.n]);
      if (layer.__fmLabel !== districtName(c.district)) {
        layer.setIcon(labelIcon(c));
        layer.__fmLabel = districtName(c.district);
      }
    });

    setText(byId("map-summary"), t("map_summary", {
      groups: num(data.groups.length), buyers: num(data.buyers.length), links: num(links.length),
    }));
  },
};
