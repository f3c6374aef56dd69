/* #/planning : the planning report, its filters (in the address) and its CSV; planningLine()
 * also draws a kitchen's unmet lines. */
import { API, getJson } from "../api.js";
import { byId, esc, reasonHtml, rows, setHtml, setText } from "../dom.js";
import { day, dec, has, locale, money, moment, num, qty, shortDay, t, tOr } from "../labels.js";
import { cropName, districtName, ensureNames, kitchenLink, rememberDistrict } from "../names.js";
import { state } from "../state.js";

export const FILTERS = [["crop_id", "filter-crop"], ["district", "filter-district"], ["week", "filter-week"]];

function planningQuery(params, extra) {
  const query = new URLSearchParams();
  FILTERS.forEach(function (f) {
    const value = params.get(f[0]);
    if (value) {
      query.set(f[0], value);
    }
  });
  Object.keys(extra || {}).forEach(function (k) {
    if (extra[k]) {
      query.set(k, extra[k]);
    }
  });
  const text = query.toString();
  return text ? "?" + text : "";
}

export function planningLine(l, withBuyers) {
  const dates = (l.dates || []).map(withBuyers ? shortDay : day).join(", ");
  const suggestion = state.lang === "th" ? l.suggestion_th : l.suggestion_en;
  const district = state.lang === "th" ? l.district_name_th : l.district_name_en;
  const crop = state.lang === "th" ? l.crop_name_th : l.crop_name_en;
  let html = '<tr data-crop="' + esc(l.crop_id) + '" data-district="' + esc(l.district) +
    '" data-week="' + esc(l.week) + '" data-reason="' + esc(l.reason) + '">' +
    "<td>" + esc(crop || cropName(l.crop_id)) + "</td>";
  if (withBuyers) {
    html += "<td>" + esc(district || l.district) + "</td>";
  }
  html += '<td><span class="nowrap">' + esc(l.week) + "</span>" +
    (withBuyers ? '<br><span class="muted small">' + esc(dates) + "</span>" : "") + "</td>";
  if (!withBuyers) {
    html += "<td>" + esc(dates) + "</td>";
  }
  html += "<td>" + reasonHtml(l.reason) + "</td>" +
    '<td class="num" data-value="' + esc(l.quantity) + '">' + esc(qty(l.quantity, l.unit)) + "</td>";
  if (withBuyers) {
    html += '<td class="num">' + esc(num(l.orders)) + "</td>" +
      "<td>" + (l.buyers || []).map(kitchenLink).join("<br>") + "</td>" +
      "<td>" + esc(tOr("tier_" + l.min_tier, l.min_tier)) + "</td>" +
      '<td class="num">' + esc(l.max_price_thb === null || l.max_price_thb === undefined
        ? "–" : money(l.max_price_thb)) + "</td>" +
      '<td class="num">' + esc(l.within_km === null || l.within_km === undefined
        ? "–" : num(l.within_km)) + "</td>";
  }
  const planting = state.lang === "th" ? l.planting_th : l.planting_en;
  const flagged = l.too_late_to_plant || l.out_of_season;
  const advice = planting
    ? '<br><span class="planting' + (flagged ? " warn" : "") + '">' + esc(planting) + "</span>"
    : "";
  return html + '<td class="suggestion">' + esc(suggestion) + advice + "</td></tr>";
}

/* The figures of one area row: groups, members, farm area (rai), announced, contracted. */
function areaFigures(r) {
  return '<td class="num">' + esc(num(r.groups)) + "</td>" +
    '<td class="num">' + esc(num(r.members)) + "</td>" +
    '<td class="num" data-value="' + esc(r.farm_area_rai) + '">' + esc(Number.isInteger(r.farm_area_rai) ? num(r.farm_area_rai) : dec(r.farm_area_rai, 1)) + "</td>" +
    '<td class="num" data-value="' + esc(r.announced) + '">' + esc(num(r.announced)) + "</td>" +
    '<td class="num" data-value="' + esc(r.contracted) + '">' + esc(num(r.contracted)) + "</td>";
}

function areaDistrict(r) {
  return (state.lang === "th" ? r.district_name_th : r.district_name_en) || districtName(r.district);
}

/* The groups' supply by district and by sub-district (the report's supply_by_area). */
export function renderAreas(area) {
  setHtml(byId("area-district-body"), rows(area.by_district, 6, function (r) {
    rememberDistrict(r.district, r.district_name_th, r.district_name_en);
    return '<tr data-district="' + esc(r.district) + '"><th scope="row">' + esc(areaDistrict(r)) +
      "</th>" + areaFigures(r) + "</tr>";
  }));
  setHtml(byId("area-subdistrict-body"), rows(area.by_subdistrict, 6, function (r) {
    const name = r.subdistrict || t("subdistrict_unrecorded");
    return '<tr data-district="' + esc(r.district) + '" data-subdistrict="' +
      esc(r.subdistrict_code) + '"><th scope="row">' + esc(name) +
      '<br><span class="muted small">' + esc(t("area_in_district", { name: districtName(r.district) })) +
      "</span></th>" + areaFigures(r) + "</tr>";
  }));
}

function options(select, items, chosen) {
  const html = '<option value="">' + esc(t("all")) + "</option>" + items.map(function (item) {
    return '<option value="' + esc(item[0]) + '">' + esc(item[1]) + "</option>";
  }).join("");
  setHtml(select, html);
  if (select.value !== (chosen || "")) {
    select.value = chosen || "";
  }
}

export const planningPage = {
  load: async function (route) {
    const filtered = planningQuery(route.params);
    const report = await getJson("/report/planning" + filtered);
    const all = filtered ? await getJson("/report/planning") : report;
    const buyerIds = [];
    report.lines.forEach(function (l) { Array.prototype.push.apply(buyerIds, l.buyers || []); });
    await ensureNames([], buyerIds);
    return { report: report, all: all };
  },
  render: function (data, route) {
    const crops = {};
    const districts = {};
    const weeks = {};
    data.all.lines.forEach(function (l) {
      crops[l.crop_id] = state.lang === "th" ? l.crop_name_th : l.crop_name_en;
      districts[l.district] = (state.lang === "th" ? l.district_name_th : l.district_name_en) ||
        l.district;
      rememberDistrict(l.district, l.district_name_th, l.district_name_en);
      weeks[l.week] = l.week;
    });
    const params = route.params;
    [["crop_id", crops], ["district", districts], ["week", weeks]].forEach(function (f) {
      const chosen = params.get(f[0]);
      if (chosen && !has(f[1], chosen)) {
        f[1][chosen] = f[0] === "crop_id" ? cropName(chosen) : f[0] === "district"
          ? districtName(chosen) : chosen;
      }
    });
    function sorted(map, byLabel) {
      return Object.keys(map).map(function (k) { return [k, map[k]]; }).sort(function (a, b) {
        return byLabel ? String(a[1]).localeCompare(String(b[1]), locale()) : a[0] < b[0] ? -1 : 1;
      });
    }
    options(byId("filter-crop"), sorted(crops, true), params.get("crop_id"));
    options(byId("filter-district"), sorted(districts, true), params.get("district"));
    options(byId("filter-week"), sorted(weeks, false), params.get("week"));
    byId("planning-csv").setAttribute("href", API + "/report/planning.csv" + planningQuery(params));
    const report = data.report;
    setText(byId("planning-summary"), t("planning_summary", {
      lines: num(report.lines.length), total: num(report.total), generated: moment(report.generated_at),
    }));
    setHtml(byId("planning-body"), rows(report.lines, 11, function (l) {
      return planningLine(l, true);
    }));
    renderAreas(report.supply_by_area);
  },
};

export function onFilterChange() {
  const query = new URLSearchParams();
  FILTERS.forEach(function (f) {
    const value = byId(f[1]).value;
    if (value) {
      query.set(f[0], value);
    }
  });
  const text = query.toString();
  location.hash = "#/planning" + (text ? "?" + text : "");
}
