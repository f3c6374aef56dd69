/* Thailand's public holidays for the order form's preview (GET /calendar/holidays, one request
 * per year, kept for the page's life), and the service's rule for them: a delivery on a holiday
 * moves to the nearest earlier day that is not one; when that day already has a delivery, the
 * holiday's delivery is dropped (see docs/formats.md, on_holiday previous_working_day). The
 * kitchen's own non-delivery days count as closed too. */
import { getJson } from "../api.js";

const years = {};
const MAX_BACK = 31;
const WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
let kitchen = null;

/* The kitchen whose own non-delivery days (weekdays, dates) close days too. */
export function setKitchen(buyer) {
  kitchen = buyer || null;
}

function iso(when) {
  const pad = function (n) { return String(n).padStart(2, "0"); };
  return when.getFullYear() + "-" + pad(when.getMonth() + 1) + "-" + pad(when.getDate());
}

/* Asks for the years of ``dates`` not asked for yet; ``whenLoaded`` runs after each answer. */
export function loadHolidays(dates, whenLoaded) {
  const wanted = {};
  dates.forEach(function (d) {
    const year = Number(d.slice(0, 4));
    wanted[year] = true;
    wanted[year - 1] = true; // a move on 1 January lands in the year before
  });
  Object.keys(wanted).forEach(function (year) {
    if (years[year]) {
      return;
    }
    years[year] = {};
    getJson("/calendar/holidays?year=" + year).then(function (body) {
      body.holidays.forEach(function (h) { years[year][h.date] = h; });
      whenLoaded();
    }).catch(function () {
      delete years[year]; // asked again on the next change
    });
  });
}

/* Why no delivery is taken on ``date`` ({name_th, name_en}), or null: a public holiday, else
 * one of the kitchen's non-delivery days (named by ``kitchenDay``). */
export function holidayOn(date) {
  const found = years[date.slice(0, 4)];
  if (found && found[date]) {
    return found[date];
  }
  if (!kitchen) {
    return null;
  }
  const parts = date.split("-").map(Number);
  const wd = WEEKDAYS[(new Date(parts[0], parts[1] - 1, parts[2]).getDay() + 6) % 7];
  const closed = (kitchen.non_delivery_weekdays || []).indexOf(wd) >= 0 ||
    (kitchen.non_delivery_dates || []).indexOf(date) >= 0;
  return closed ? { kitchen_day: true } : null;
}

function previousOpen(date) {
  const parts = date.split("-").map(Number);
  const d = new Date(parts[0], parts[1] - 1, parts[2]);
  for (let back = 0; back < MAX_BACK; back += 1) {
    d.setDate(d.getDate() - 1);
    if (!holidayOn(iso(d))) {
      return iso(d);
    }
  }
  return null;
}

/* The deliveries after the holidays: each {date, moved_from, holiday} (moved_from and holiday
 * null when it stays), sorted; and the dropped ones ({date, holiday}). ``rule`` is the order's
 * on_holiday: "refuse" drops every closed date of a schedule instead of moving it. */
export function afterHolidays(dates, rule) {
  const kept = dates.filter(function (d) { return !holidayOn(d); });
  const taken = {};
  kept.forEach(function (d) { taken[d] = true; });
  const out = kept.map(function (d) { return { date: d, moved_from: null, holiday: null }; });
  const dropped = [];
  dates.forEach(function (d) {
    const holiday = holidayOn(d);
    if (!holiday) {
      return;
    }
    const moved = rule === "refuse" ? null : previousOpen(d);
    if (!moved || taken[moved]) {
      dropped.push({ date: d, holiday: holiday });
      return;
    }
    taken[moved] = true;
    out.push({ date: moved, moved_from: d, holiday: holiday });
  });
  out.sort(function (a, b) { return a.date < b.date ? -1 : a.date > b.date ? 1 : 0; });
  return { deliveries: out, dropped: dropped };
}
