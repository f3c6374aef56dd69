/* The contracts tables of a kitchen's and a group's page: deliveries, documents, order. */
import { API } from "../api.js";
import { badge, enc, esc } from "../dom.js";
import { day, dec, money, num, qty, t, tOr, unitLabel } from "../labels.js";
import { cropName, cropUnit } from "../names.js";

export function documentLinks(contractId) {
  const base = API + "/contracts/" + enc(contractId) + "/document?lang=";
  return '<a href="' + esc(base + "th") + '" target="_blank" rel="noopener" lang="th" ' +
    'data-doc="th">' + esc(t("doc_th")) + "</a> · " +
    '<a href="' + esc(base + "en") + '" target="_blank" rel="noopener" lang="en" ' +
    'data-doc="en">' + esc(t("doc_en")) + "</a>";
}

export function deliveriesHtml(c) {
  const unit = unitLabel(cropUnit(c.crop_id));
  return '<ul class="deliveries">' + (c.deliveries || []).map(function (d) {
    return '<li data-date="' + esc(d.date) + '">' + esc(day(d.date)) + " (" + esc(d.week) + "): " +
      esc(num(d.quantity) + " " + unit) + ' <span class="muted">· ' +
      esc(dec(d.distance_km, 1) + " " + t("km")) +
      (d.state && d.state !== "scheduled" ? " · " + tOr("delivery_" + d.state, d.state) : "") +
      "</span></li>";
  }).join("") + "</ul>";
}

export function contractRow(c, partyCell) {
  return '<tr data-contract="' + esc(c.id) + '">' +
    '<td class="nowrap">' + esc(c.id) + "</td>" +
    '<td class="party">' + partyCell + "</td>" +
    '<td class="crop">' + esc(cropName(c.crop_id)) + "</td>" +
    "<td>" + deliveriesHtml(c) + "</td>" +
    '<td class="num">' + esc(qty(c.quantity, cropUnit(c.crop_id))) + "</td>" +
    '<td class="num">' + esc(money(c.unit_price)) + "</td>" +
    '<td class="num">' + esc(money(c.value)) + "</td>" +
    "<td>" + badge("state_", c.state) + "</td>" +
    '<td class="nowrap">' + documentLinks(c.id) + "</td></tr>";
}

export function contractSort(a, b) {
  const da = a.deliveries && a.deliveries.length ? a.deliveries[0].date : "";
  const db = b.deliveries && b.deliveries.length ? b.deliveries[0].date : "";
  return da < db ? -1 : da > db ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
