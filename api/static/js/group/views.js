/* The group portal's pages as HTML: the proposals waiting for an answer, the coming deliveries
 * week by week, the contracts with the income by month, the certificates and one contract (with
 * what the kitchen kept of each delivery, and what it sent back and why). */
import { badge, enc, esc } from "../dom.js";
import { dec, locale, money, qty, shortDay, day, t } from "../labels.js";
import { buyerName, cropName, cropUnit, districtName } from "../names.js";
import { state } from "../state.js";
import {
  certificates, EXPIRING_DAYS, incomeByMonth, isoDate, parseDay, portal, proposals, upcomingByWeek,
} from "./data.js";

const HOUR_MS = 3600000;

/* Why a group turns a proposal down: {code, label}. */
export function rejectReasons() {
  return [
    { code: "price", label: t("gp_reason_price") },
    { code: "harvest", label: t("gp_reason_harvest") },
    { code: "transport", label: t("gp_reason_transport") },
    { code: "distance", label: t("gp_reason_distance") },
    { code: "sold", label: t("gp_reason_sold") },
  ];
}

function row(label, value, field) {
  return '<div><dt>' + esc(label) + '</dt><dd' + (field ? ' data-fact="' + esc(field) + '"' : "") +
    ">" + value + "</dd></div>";
}

function empty(text) {
  return '<p class="gp-empty" data-testid="empty">' + esc(text) + "</p>";
}

export function timeLeft(iso) {
  const ms = new Date(iso) - Date.now();
  if (!iso || ms <= 0) {
    return { text: t("gp_time_up"), urgent: true };
  }
  const hours = Math.floor(ms / HOUR_MS);
  const minutes = Math.floor((ms % HOUR_MS) / 60000);
  const text = hours >= 24
    ? t("gp_time_left_days", { days: Math.floor(hours / 24), hours: hours % 24 })
    : t("gp_time_left_hours", { hours: hours, minutes: minutes });
  return { text: text, urgent: hours < 24 };
}

/* Where a kitchen is: its district (amphoe), named by GET /buyers. A street address is not
 * recorded; the kitchen's name and district are what the group goes by. */
function buyerPlace(id) {
  const buyer = state.buyers[id];
  if (!buyer) {
    return "";
  }
  const th = buyer.district_name_th;
  const en = buyer.district_name_en;
  const name = (state.lang === "th" ? th || en : en || th) ||
    (state.districts[buyer.district] ? districtName(buyer.district) : "");
  // Without a name (a district outside the reference data) the distance says enough.
  return name ? t("district_named", { district: name }) : "";
}

function schedule(c) {
  const dates = c.deliveries.map(function (d) { return d.date; }).sort();
  const each = c.deliveries.length ? c.deliveries[0].quantity : 0;
  return t("gp_deliveries_each", {
    count: c.deliveries.length,
    quantity: qty(each, cropUnit(c.crop_id)),
    first: shortDay(dates[0]),
    last: shortDay(dates[dates.length - 1]),
  });
}

function distance(c) {
  const km = c.deliveries.length ? c.deliveries[0].distance_km : null;
  return km === null ? "" : t("gp_km", { km: dec(km, 1) });
}

function price(c) {
  const unit = cropUnit(c.crop_id);
  return t("gp_price_per", { price: money(c.unit_price), unit: unit ? t("unit_" + unit) : "" }) +
    '<span class="gp-sub gp-total">' + esc(t("gp_total", { value: money(c.value) })) + "</span>";
}

function reasonButtons(c) {
  return '<div class="gp-reasons" data-testid="reasons"><p>' + esc(t("gp_reject_why")) + "</p>" +
    rejectReasons().map(function (r) {
      return '<button type="button" class="button gp-big secondary" data-act="reject" data-id="' +
        esc(c.id) + '" data-reason="' + esc(r.code) + '" data-testid="reason-' + esc(r.code) + '">' +
        esc(r.label) + "</button>";
    }).join("") +
    '<button type="button" class="plain gp-big" data-act="reject-close" data-testid="reject-close">' +
    esc(t("gp_keep_proposal")) + "</button></div>";
}

function proposalCard(c) {
  const left = timeLeft(c.proposal_expires_at);
  const rejecting = portal.rejecting === c.id;
  return '<article class="gp-card" data-testid="proposal" data-contract="' + esc(c.id) + '">' +
    '<div class="gp-head"><h3>' + esc(cropName(c.crop_id)) + '</h3><span class="gp-left' +
    (left.urgent ? " urgent" : "") + '" data-testid="time-left">' + esc(left.text) + "</span></div>" +
    '<dl class="gp-facts">' +
    row(t("gp_buyer"), '<strong data-testid="buyer">' + esc(buyerName(c.buyer_id)) + "</strong>" +
      ' <span class="gp-sub">' + esc(buyerPlace(c.buyer_id)) + "</span>", "buyer") +
    row(t("gp_deliveries"), esc(schedule(c)), "deliveries") +
    row(t("gp_price"), price(c), "price") +
    row(t("gp_distance"), esc(distance(c)), "distance") +
    "</dl>" +
    (rejecting ? reasonButtons(c)
      : '<div class="gp-actions"><button type="button" class="button gp-big" data-act="accept" data-id="' +
        esc(c.id) + '" data-testid="accept">' + esc(t("gp_accept")) + "</button>" +
        '<button type="button" class="button gp-big secondary" data-act="reject-open" data-id="' +
        esc(c.id) + '" data-testid="reject">' + esc(t("gp_reject")) + "</button></div>") +
    "</article>";
}

export function proposalsPage() {
  const waiting = proposals();
  return "<h2>" + esc(t("gp_proposals_title")) + "</h2>" +
    '<p class="gp-lead">' + esc(t("gp_proposals_help")) + "</p>" +
    (waiting.length ? waiting.map(proposalCard).join("") : empty(t("gp_no_proposals")));
}

function weekday(iso) {
  return parseDay(iso).toLocaleDateString(locale(), { weekday: "long", day: "numeric", month: "short" });
}

function deliveryItem(item) {
  const c = item.contract;
  const d = item.delivery;
  return '<li class="gp-delivery" data-testid="delivery" data-contract="' + esc(c.id) + '" data-date="' +
    esc(d.date) + '"><div class="gp-when">' + esc(weekday(d.date)) + "</div>" +
    '<div class="gp-what"><strong>' + esc(cropName(c.crop_id)) + " " +
    esc(qty(d.quantity, cropUnit(c.crop_id))) + "</strong></div>" +
    '<div class="gp-where">' + esc(buyerName(c.buyer_id)) + ' <span class="gp-sub">' +
    esc([buyerPlace(c.buyer_id), t("gp_km", { km: dec(d.distance_km, 1) })].filter(Boolean).join(" · ")) +
    "</span></div></li>";
}

export function deliveriesPage() {
  const weeks = upcomingByWeek();
  return "<h2>" + esc(t("gp_deliveries_title")) + "</h2>" +
    (weeks.length ? weeks.map(function (w) {
      const first = parseDay(w.items[0].delivery.date);
      first.setDate(first.getDate() - ((first.getDay() + 6) % 7));
      return '<section class="gp-week" data-testid="week" data-week="' + esc(w.week) + '"><h3>' +
        esc(t("gp_week_of", { week: w.week.slice(6), date: day(isoDate(first)) })) + "</h3><ul>" +
        w.items.map(deliveryItem).join("") + "</ul></section>";
    }).join("") : empty(t("gp_no_deliveries")));
}

function monthName(month) {
  return parseDay(month + "-01").toLocaleDateString(locale(), { month: "long", year: "numeric" });
}

function incomeTable() {
  const months = incomeByMonth();
  if (!months.length) {
    return empty(t("gp_no_income"));
  }
  const total = months.reduce(function (sum, m) { return sum + m.amount; }, 0);
  return '<table class="gp-income" data-testid="income"><thead><tr><th>' + esc(t("gp_month")) +
    '</th><th class="num">' + esc(t("gp_deliveries")) + '</th><th class="num">' +
    esc(t("gp_income_thb")) + "</th></tr></thead><tbody>" +
    months.map(function (m) {
      return '<tr data-month="' + esc(m.month) + '"><td>' + esc(monthName(m.month)) +
        '</td><td class="num">' + esc(String(m.deliveries)) + '</td><td class="num">' +
        esc(money(m.amount)) + "</td></tr>";
    }).join("") +
    '</tbody><tfoot><tr><th>' + esc(t("gp_total_label")) + '</th><td></td><td class="num" data-testid="income-total">' +
    esc(money(total)) + "</td></tr></tfoot></table>";
}

function contractCard(c) {
  return '<li class="gp-contract" data-testid="contract" data-contract="' + esc(c.id) + '">' +
    '<a href="#/contract/' + esc(enc(c.id)) + '"><span class="gp-head"><strong>' +
    esc(cropName(c.crop_id)) + "</strong>" + badge("state_", c.state) + "</span>" +
    "<span>" + esc(buyerName(c.buyer_id)) + "</span>" +
    '<span class="gp-sub">' + esc(schedule(c)) + " · " + esc(money(c.value)) + " " +
    esc(t("gp_baht")) + "</span></a></li>";
}

export function contractsPage() {
  const list = portal.contracts.slice().sort(function (a, b) {
    return String(b.created_at).localeCompare(String(a.created_at));
  });
  return "<h2>" + esc(t("gp_income_title")) + "</h2>" +
    '<p class="gp-lead">' + esc(t("gp_income_help")) + "</p>" + incomeTable() +
    "<h2>" + esc(t("gp_contracts_title")) + "</h2>" +
    (list.length ? '<ul class="gp-list">' + list.map(contractCard).join("") + "</ul>"
      : empty(t("gp_no_contracts")));
}

function certificateCard(entry) {
  const c = entry.cert;
  let status = t("gp_cert_valid_days", { days: entry.daysLeft });
  let kind = "";
  if (c.revoked_on) {
    status = t("gp_cert_revoked", { date: day(c.revoked_on) });
    kind = " expired";
  } else if (entry.daysLeft < 0) {
    status = t("gp_cert_expired");
    kind = " expired";
  } else if (entry.daysLeft <= EXPIRING_DAYS) {
    status = t("gp_cert_expiring", { days: entry.daysLeft });
    kind = " expiring";
  }
  return '<article class="gp-card gp-cert' + kind + '" data-testid="certificate" data-cert="' +
    esc(c.id) + '" data-days="' + esc(String(entry.daysLeft)) + '"><div class="gp-head"><h3>' +
    esc(t("scheme_" + c.scheme)) + '</h3><span class="gp-left' + (kind ? " urgent" : "") + '">' +
    esc(status) + '</span></div><dl class="gp-facts">' +
    row(t("gp_valid_until"), esc(day(c.valid_until))) +
    row(t("gp_cert_crops"), esc(c.crops.map(cropName).join(", "))) +
    (c.certifier ? row(t("gp_certifier"), esc(c.certifier)) : "") +
    row(t("gp_cert_id"), '<span class="code">' + esc(c.id) + "</span>") + "</dl></article>";
}

export function certificatesPage() {
  const list = certificates();
  return "<h2>" + esc(t("gp_certificates_title")) + "</h2>" +
    '<p class="gp-lead">' + esc(t("gp_certificates_help", { days: EXPIRING_DAYS })) + "</p>" +
    (list.length ? list.map(certificateCard).join("") : empty(t("gp_no_certificates")));
}

export function contractPage(c) {
  return '<p><a class="gp-back" href="#/contracts">' + esc(t("gp_back")) + "</a></p>" +
    '<article class="gp-card" data-testid="contract-detail" data-contract="' + esc(c.id) + '">' +
    '<div class="gp-head"><h2>' + esc(cropName(c.crop_id)) + "</h2>" + badge("state_", c.state) +
    '</div><dl class="gp-facts">' +
    row(t("gp_buyer"), esc(buyerName(c.buyer_id)) + ' <span class="gp-sub">' +
      esc(buyerPlace(c.buyer_id)) + "</span>") +
    row(t("gp_price"), price(c)) +
    row(t("gp_distance"), esc(distance(c))) +
    row(t("gp_contract_id"), '<span class="code">' + esc(c.id) + "</span>") +
    "</dl><ul class=\"gp-list\">" + c.deliveries.map(function (d) {
      return '<li class="gp-delivery" data-testid="contract-delivery" data-date="' + esc(d.date) +
        '"><div class="gp-when">' + esc(weekday(d.date)) +
        '</div><div class="gp-what">' + esc(qty(d.quantity, cropUnit(c.crop_id))) + " " +
        badge("delivery_", d.state) + "</div>" + settled(c, d) + "</li>";
    }).join("") + "</ul></article>";
}

/* Why the kitchen sent produce back: the reason's label, with the kitchen's own words. */
function refusalText(d) {
  const reason = d.refusal_reason ? t("refusal_" + d.refusal_reason) : "";
  return [reason, d.refusal_note || ""].filter(Boolean).join(": ");
}

/* What the kitchen kept of a delivery it confirmed, and what it sent back and why. */
function settled(c, d) {
  if (d.state !== "delivered" || d.received === null || d.received === undefined) {
    return "";
  }
  const unit = cropUnit(c.crop_id);
  return '<div class="gp-sub" data-testid="kept">' + esc(t("gp_kept", { quantity: qty(d.received, unit) })) +
    "</div>" + (d.refused ? '<div class="gp-sub short" data-testid="sent-back" data-reason="' +
      esc(d.refusal_reason || "") + '">' + esc(t("gp_sent_back", {
        quantity: qty(d.refused, unit), reason: refusalText(d),
      })) + "</div>" : "");
}

/* A contract this group may not open, or one that does not exist. */
export function contractRefused(status) {
  return '<p><a class="gp-back" href="#/contracts">' + esc(t("gp_back")) + "</a></p>" +
    '<p class="notice" role="alert" data-testid="refused" data-status="' + esc(String(status)) + '">' +
    esc(status === 403 ? t("gp_not_your_contract") : t("gp_no_such_contract")) + "</p>";
}
