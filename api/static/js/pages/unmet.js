/* #/unmet : unmet demand by reason, crop and district. */
import { getJson } from "../api.js";
import { barChart, shortLabel } from "../charts.js";
import { byId, esc, reasonHtml, rows, setHtml, setText } from "../dom.js";
import { num, qty, t, tOr, unitLabel } from "../labels.js";
import { nm, rememberDistrict } from "../names.js";

export const unmetPage = {
  load: function () {
    return getJson("/stats/unmet");
  },
  render: function (data) {
    const total = byId("unmet-total");
    total.setAttribute("data-value", String(data.total));
    setText(total, num(data.total));
    const pending = byId("unmet-pending");
    pending.setAttribute("data-value", String(data.pending || 0));
    setText(pending, num(data.pending || 0));
    setHtml(byId("unmet-reason-body"), rows(data.by_reason, 3, function (r) {
      return '<tr data-reason="' + esc(r.reason) + '"><td>' + reasonHtml(r.reason) + "</td>" +
        '<td class="num" data-value="' + esc(r.quantity) + '">' + esc(num(r.quantity)) + "</td>" +
        '<td class="num">' + esc(num(r.lines)) + "</td></tr>";
    }));
    setHtml(byId("unmet-crop-body"), rows(data.by_crop, 2, function (c) {
      return '<tr data-crop="' + esc(c.crop_id) + '"><td>' + esc(nm(c)) + "</td>" +
        '<td class="num" data-value="' + esc(c.quantity) + '">' + esc(qty(c.quantity, c.unit)) +
        "</td></tr>";
    }));
    data.by_district.forEach(function (d) { rememberDistrict(d.district, d.name_th, d.name_en); });
    setHtml(byId("unmet-district-body"), rows(data.by_district, 2, function (d) {
      return '<tr data-district="' + esc(d.district) + '"><td>' + esc(nm(d) || d.district) +
        "</td>" + '<td class="num" data-value="' + esc(d.quantity) + '">' + esc(num(d.quantity)) +
        "</td></tr>";
    }));
    barChart("chart-unmet-reason",
      data.by_reason.map(function (r) { return shortLabel(tOr("reason_" + r.reason, r.reason), 34); }),
      data.by_reason.map(function (r) { return r.quantity; }), t("col_quantity"), true);
    barChart("chart-unmet-crop",
      data.by_crop.map(function (c) { return nm(c) + " (" + unitLabel(c.unit) + ")"; }),
      data.by_crop.map(function (c) { return c.quantity; }), t("col_quantity"), true, "#d27d2d");
    barChart("chart-unmet-district",
      data.by_district.map(function (d) { return nm(d) || d.district; }),
      data.by_district.map(function (d) { return d.quantity; }), t("col_quantity"), true, "#7a4fa3");
  },
};
