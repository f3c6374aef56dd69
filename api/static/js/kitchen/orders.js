/* The kitchen's orders and each delivery's state: proposed to a group, accepted, in delivery,
 * delivered, or unfilled with the reason the last round gave and its nearest alternative in
 * plain words (the order's `delivery_status[].unfilled`; else the planning report's lines of
 * this kitchen); one order's page with its deliveries, contracts and cancelling; the contracts
 * with their documents and the CSV export. */
import { API } from "../api.js";
import { badge, byId, enc, esc, rows, setHtml } from "../dom.js";
import { day, dec, money, num, qty, shortDay, t, tOr, unitLabel } from "../labels.js";
import { cropName, cropUnit, groupName, nm } from "../names.js";
import { contractRow, contractSort } from "../pages/contracts.js";
import { cancelButton, cancelledDeliveries, cancelledRow } from "./cancel_day.js";
import { renderConfirm } from "./confirm.js";

/* A delivery's state: its label and its class. */
const DELIVERY_STATES = [
  ["kp_d_delivered", "delivered"],
  ["kp_d_in_delivery", "in_delivery"],
  ["kp_d_accepted", "accepted"],
  ["kp_d_proposed", "proposed"],
  ["kp_d_unfilled", "unfilled"],
  ["kp_d_released", "released"],
];
const LIVE = ["proposed", "accepted", "in_delivery", "completed"];

function stateLabel(code) {
  const found = DELIVERY_STATES.find(function (s) { return s[1] === code; });
  return found ? t(found[0]) : code;
}

function stateChip(code) {
  return '<span class="dstate d-' + esc(code) + '" data-state="' + esc(code) + '">' +
    esc(stateLabel(code)) + "</span>";
}

/* One part of a delivery a group covers: who, how much, in which state. */
function partOf(contract, line) {
  let code = contract.state === "completed" ? "delivered" : contract.state;
  if (line.state === "delivered" || line.state === "released") {
    code = line.state;
  }
  return { contract: contract, group: contract.group_id, quantity: line.quantity, state: code,
    refused: line.refused, refusalReason: line.refusal_reason, received: line.received,
    km: line.distance_km };
}

/* Each delivery of the order with the groups covering it and what is still open, with why. */
export function deliveriesOf(order, contracts, planning) {
  const mine = contracts.filter(function (c) {
    return c.order_id === order.id && LIVE.indexOf(c.state) >= 0;
  });
  const lines = (planning && planning.lines) || [];
  return (order.delivery_status || []).map(function (d) {
    const parts = [];
    mine.forEach(function (c) {
      (c.deliveries || []).forEach(function (line) {
        if (line.date === d.date) {
          parts.push(partOf(c, line));
        }
      });
    });
    let reason = "";
    let alternative = "";
    if (d.open > 0 && d.unfilled) {
      reason = d.unfilled.reason;
      alternative = alternativeText(d.unfilled.alternative, cropUnit(order.crop_id));
    } else if (d.open > 0) {
      const line = lines.find(function (l) {
        return l.crop_id === order.crop_id && (l.dates || []).indexOf(d.date) >= 0;
      });
      reason = line ? line.reason : "pending";
    }
    return { date: d.date, week: d.week, ordered: d.ordered, open: d.open, parts: parts, reason: reason,
      alternative: alternative };
  });
}

/* The first day (Monday) of an ISO week such as "2026-W52", as the page writes dates. */
function weekStart(week) {
  const m = /^(\d{4})-W(\d{2})$/.exec(String(week));
  if (!m) {
    return String(week || "");
  }
  const jan4 = new Date(Date.UTC(Number(m[1]), 0, 4));
  const monday = new Date(jan4.getTime());
  monday.setUTCDate(jan4.getUTCDate() - ((jan4.getUTCDay() + 6) % 7) + 7 * (Number(m[2]) - 1));
  return day(monday.toISOString().slice(0, 10));
}

/* Each measure of an alternative in the kitchen's words (`alt` as the order detail serves it:
 * rule, measure, value, limit; `where` the group's district as a phrase; `unit` the crop's). */
const ALTERNATIVES = {
  distance_km: function (alt, where) {
    return t("kp_alt_distance", { km: dec(alt.value, 1), limit: num(alt.limit), where: where });
  },
  scheme: function (alt, where) {
    return t("kp_alt_standard", {
      scheme: tOr("scheme_" + alt.value, alt.value), tier: tOr("tier_" + alt.limit, alt.limit), where: where,
    });
  },
  certificate_valid_until: function (alt, where) {
    return t("kp_alt_cert_until", { date: day(alt.value), where: where });
  },
  certificate_valid_from: function (alt, where) {
    return t("kp_alt_cert_from", { date: day(alt.value), where: where });
  },
  certificate_revoked_on: function (alt, where) {
    return t("kp_alt_cert_revoked", { date: day(alt.value), where: where });
  },
  crop_scope: function (alt, where) { return t("kp_alt_crop_scope", { where: where }); },
  food_safety: function (alt, where) { return t("kp_alt_food_safety", { where: where }); },
  unit_price_thb: function (alt, where, unit) {
    return t("kp_alt_price", { limit: money(alt.limit), unit: unit, where: where });
  },
  week: function (alt, where) { return t("kp_alt_week", { date: weekStart(alt.value), where: where }); },
  free_quantity: function (alt, where, unit) {
    return alt.rule === "insufficient_supply"
      ? t("kp_alt_insufficient", { limit: num(alt.limit), unit: unit, where: where })
      : t("kp_alt_capacity", { where: where });
  },
  suppliers: function (alt, where) { return t("kp_alt_suppliers", { limit: num(alt.limit), where: where }); },
  min_lot: function (alt, where, unit) {
    return t("kp_alt_min_lot", { lot: num(alt.value), room: num(alt.limit), unit: unit, where: where });
  },
  buyers: function (alt, where) { return t("kp_alt_buyers", { limit: num(alt.limit), where: where }); },
};

/* The nearest alternative of a delivery left unfilled, as one plain sentence: what kept the
 * group that came nearest from serving it, where that group is (its district), and the
 * kitchen's own limit. Empty when there is none (or its measure is unknown). */
export function alternativeText(alt, unit) {
  const say = alt ? ALTERNATIVES[alt.measure] : null;
  if (!say) {
    return "";
  }
  const district = nm({ name_th: alt.district_name_th, name_en: alt.district_name_en });
  const where = district
    ? t("kp_alt_where", { place: t("district_named", { district: district }) })
    : t("kp_alt_where_unknown");
  return say(alt, where, unitLabel(unit));
}

function alternativeHtml(d) {
  return d.alternative ? '<p class="alternative muted small">' + esc(d.alternative) + "</p>" : "";
}

/* The state a delivery is shown with: the least advanced of its parts, unfilled when open. */
export function deliveryState(delivery) {
  if (delivery.open > 0) {
    return "unfilled";
  }
  const order = ["proposed", "accepted", "in_delivery", "delivered", "released"];
  let least = "";
  delivery.parts.forEach(function (p) {
    if (!least || order.indexOf(p.state) < order.indexOf(least)) {
      least = p.state;
    }
  });
  return least || "unfilled";
}

function scheduleText(o) {
  const s = o.schedule || {};
  const every = (s.weekdays || []).map(function (d) { return t("wd_" + d); }).join(", ");
  const dates = o.delivery_status || [];
  const first = s.start || (dates.length ? dates[0].date : "");
  const last = s.end || (dates.length ? dates[dates.length - 1].date : "");
  return [
    qty(o.quantity, cropUnit(o.crop_id)) + " " + t("per_delivery"),
    every ? t("kp_every", { days: every }) : "",
    first ? day(first) + " – " + day(last) : "",
    tOr("tier_" + o.min_tier, o.min_tier),
    o.max_price ? t("max_price") + " " + money(o.max_price) + " " + t("baht") + "/" + unitLabel(cropUnit(o.crop_id)) : "",
    o.max_distance_km ? t("within") + " " + num(o.max_distance_km) + " " + t("km") : "",
  ].filter(Boolean).join(" · ");
}

function counts(deliveries) {
  const found = {};
  deliveries.forEach(function (d) {
    const code = deliveryState(d);
    found[code] = (found[code] || 0) + 1;
  });
  return DELIVERY_STATES.filter(function (s) { return found[s[1]]; }).map(function (s) {
    return '<span class="dstate d-' + esc(s[1]) + '">' + esc(t(s[0])) + " " + esc(num(found[s[1]])) + "</span>";
  }).join(" ");
}

/* Why deliveries are still without a supplier: one line per reason, with how many. */
function reasonLines(deliveries) {
  const found = {};
  const order = [];
  deliveries.forEach(function (d) {
    if (d.open > 0) {
      if (!found[d.reason]) {
        order.push(d.reason);
      }
      found[d.reason] = (found[d.reason] || 0) + 1;
    }
  });
  return order.map(function (reason) {
    // The nearest alternative too, when every delivery left open for this reason has the same.
    const said = deliveries.filter(function (d) { return d.open > 0 && d.reason === reason; })
      .map(function (d) { return d.alternative; });
    const same = said.every(function (a) { return a === said[0]; });
    return '<p class="unfilled" data-reason="' + esc(reason) + '">' + esc(t("kp_unfilled_because", {
      count: num(found[reason]), reason: tOr("reason_" + reason, reason),
    })) + "</p>" + (same ? alternativeHtml({ alternative: said[0] }) : "");
  }).join("");
}

function deliveryChip(d) {
  const code = deliveryState(d);
  const title = stateLabel(code) + (d.reason ? ": " + tOr("reason_" + d.reason, d.reason) : "") +
    (d.alternative ? " — " + d.alternative : "");
  return '<li class="dchip d-' + esc(code) + '" data-date="' + esc(d.date) + '" data-state="' +
    esc(code) + '" title="' + esc(title) + '"><span class="when">' + esc(shortDay(d.date)) +
    '</span> <span class="what">' + esc(stateLabel(code)) + "</span></li>";
}

function orderCard(o, contracts, planning) {
  const deliveries = deliveriesOf(o, contracts, planning);
  const open = o.state === "open";
  return '<article class="order-card" data-order="' + esc(o.id) + '" data-state="' + esc(o.state) + '">' +
    '<div class="order-head"><h3 class="first"><a href="#/order/' + esc(enc(o.id)) + '">' +
    esc(cropName(o.crop_id)) + "</a> " + badge("book_", o.state) + "</h3>" +
    '<span class="code">' + esc(o.id) + "</span></div>" +
    '<p class="muted small">' + esc(scheduleText(o)) + "</p>" +
    (open ? '<p class="counts">' + counts(deliveries) + "</p>" +
      '<ul class="dchips" aria-label="' + esc(t("kp_deliveries")) + '">' +
      deliveries.map(deliveryChip).join("") + "</ul>" + reasonLines(deliveries) : "") +
    "</article>";
}

function byFirstDate(a, b) {
  const da = a.delivery_status && a.delivery_status.length ? a.delivery_status[0].date : "";
  const db = b.delivery_status && b.delivery_status.length ? b.delivery_status[0].date : "";
  return da < db ? -1 : da > db ? 1 : a.id < b.id ? -1 : 1;
}

export function renderOrders(data) {
  const orders = data.orders.slice().sort(byFirstDate);
  const open = orders.filter(function (o) { return o.state === "open"; });
  const closed = orders.filter(function (o) { return o.state !== "open"; });
  setHtml(byId("kp-orders"), open.length ? open.map(function (o) {
    return orderCard(o, data.contracts, data.planning);
  }).join("") : '<p class="empty muted">' + esc(t("kp_no_orders")) + "</p>");
  byId("kp-closed-box").hidden = !closed.length;
  setHtml(byId("kp-closed"), closed.map(function (o) {
    return orderCard(o, data.contracts, data.planning);
  }).join(""));
}

/* What the kitchen sent back of a delivery, and why. */
function refusedText(p, unit) {
  const text = t("kp_refused", { quantity: num(p.refused) + " " + unit });
  return p.refusalReason ? text + " — " + t("refusal_" + p.refusalReason) : text;
}

function partHtml(p, unit) {
  return '<li data-contract="' + esc(p.contract.id) + '">' + stateChip(p.state) + " " +
    esc(groupName(p.group)) + ": " + esc(num(p.quantity) + " " + unit) +
    (p.refused ? ' <span class="short">' + esc(refusedText(p, unit)) + "</span>" : "") +
    "</li>";
}

function deliveryRow(d, unit, order) {
  const code = deliveryState(d);
  return '<tr data-date="' + esc(d.date) + '" data-state="' + esc(code) + '">' +
    '<td class="nowrap">' + esc(day(d.date)) + "</td>" +
    '<td class="num">' + esc(num(d.ordered) + " " + unit) + "</td>" +
    "<td>" + (d.parts.length ? '<ul class="parts">' + d.parts.map(function (p) {
      return partHtml(p, unit);
    }).join("") + "</ul>" : "") +
    (d.open > 0 ? '<p class="unfilled" data-reason="' + esc(d.reason) + '">' + stateChip("unfilled") + " " +
      esc(num(d.open) + " " + unit) + ": " + esc(tOr("reason_" + d.reason, d.reason)) + "</p>" +
      alternativeHtml(d) : "") +
    cancelButton(order, d) + "</td></tr>";
}

/* The order's deliveries and its cancelled ones, by date. */
function withCancelled(deliveries, order) {
  return deliveries.concat(cancelledDeliveries(order)).sort(function (a, b) {
    return a.date < b.date ? -1 : a.date > b.date ? 1 : 0;
  });
}

export function renderOrder(data) {
  byId("kp-order-forbidden").hidden = !data.forbidden;
  byId("kp-order-missing").hidden = !data.missing;
  const o = data.order;
  byId("kp-cancel").hidden = !o || o.state !== "open";
  renderConfirm(o, data.contracts);
  if (!o) {
    setHtml(byId("kp-order"), "");
    return;
  }
  const unit = unitLabel(cropUnit(o.crop_id));
  const deliveries = deliveriesOf(o, data.contracts, data.planning);
  const contracts = data.contracts.filter(function (c) { return c.order_id === o.id; }).sort(contractSort);
  setHtml(byId("kp-order"),
    '<div class="page-head"><h2 data-order="' + esc(o.id) + '">' + esc(cropName(o.crop_id)) + " " +
    badge("book_", o.state) + "</h2>" + '<span class="code">' + esc(o.id) + "</span></div>" +
    '<p class="muted">' + esc(scheduleText(o)) + "</p>" +
    "<h3>" + esc(t("kp_deliveries")) + "</h3>" +
    '<div class="scroll" tabindex="0" role="region" aria-label="' + esc(t("kp_deliveries")) + '">' +
    '<table class="deliveries-table" data-testid="kp-deliveries"><thead><tr>' +
    '<th scope="col">' + esc(t("col_date")) + '</th><th scope="col" class="num">' + esc(t("col_ordered")) +
    '</th><th scope="col">' + esc(t("kp_col_who")) + "</th></tr></thead><tbody>" +
    rows(withCancelled(deliveries, o), 3, function (d) {
      return d.cancelled ? cancelledRow(d) : deliveryRow(d, unit, o);
    }) + "</tbody></table></div>" +
    "<h3>" + esc(t("contracts_title")) + "</h3>" +
    '<div class="scroll" tabindex="0" role="region" aria-label="' + esc(t("contracts_title")) + '">' +
    '<table data-testid="kp-order-contracts"><thead><tr>' + contractHead() +
    "</tr></thead><tbody>" + rows(contracts, 9, function (c) {
      return contractRow(c, esc(groupName(c.group_id)));
    }) + "</tbody></table></div>");
}

function contractHead() {
  return ["col_contract", "col_group", "col_crop", "col_deliveries", "col_quantity", "col_price",
    "col_value", "col_state", "col_document"].map(function (key) {
    const numeric = ["col_quantity", "col_price", "col_value"].indexOf(key) >= 0;
    return '<th scope="col"' + (numeric ? ' class="num"' : "") + ">" + esc(t(key)) + "</th>";
  }).join("");
}

export function renderContracts(data, buyerId) {
  const base = API + "/buyers/" + enc(buyerId) + "/contracts.csv";
  const csv = byId("kp-csv");
  csv.setAttribute("href", base);
  csv.setAttribute("download", buyerId + "-contracts.csv");
  const lines = byId("kp-csv-deliveries");
  lines.setAttribute("href", base + "?deliveries=true");
  lines.setAttribute("download", buyerId + "-deliveries.csv");
  const contracts = data.contracts.slice().sort(contractSort);
  setHtml(byId("kp-contracts-body"), rows(contracts, 9, function (c) {
    return contractRow(c, esc(groupName(c.group_id)));
  }));
}
