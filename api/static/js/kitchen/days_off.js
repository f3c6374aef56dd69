/* #/days-off : the kitchen's own non-delivery days (weekdays and dates, besides Thailand's public
 * holidays) as the service holds them, and what becomes of a delivery that falls on one: the
 * order's on_holiday choice (docs/formats.md). */
import { getJson } from "../api.js";
import { byId, enc, esc, setHtml, setText } from "../dom.js";
import { day, locale, t } from "../labels.js";

const WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/* The weekday's full name in the language shown ("Saturday"): 2024-01-01 was a Monday. */
function weekdayName(code) {
  const when = new Date(2024, 0, 1 + WEEKDAYS.indexOf(code));
  return when.toLocaleDateString(locale(), { weekday: "long" });
}

export async function loadDaysOff(buyerId) {
  return { buyer: await getJson("/buyers/" + enc(buyerId)) };
}

function list(items, render, noneKey) {
  if (!items.length) {
    return '<p class="muted" data-none="true">' + esc(t(noneKey)) + "</p>";
  }
  return "<ul>" + items.map(function (item) {
    return '<li data-value="' + esc(item) + '">' + esc(render(item)) + "</li>";
  }).join("") + "</ul>";
}

export function renderDaysOff(data) {
  const buyer = data.buyer || {};
  const weekdays = buyer.non_delivery_weekdays || [];
  const dates = buyer.non_delivery_dates || [];
  setHtml(byId("kp-days-off-weekdays"), list(weekdays, weekdayName, "kp_days_off_no_weekdays"));
  setHtml(byId("kp-days-off-dates"), list(dates, day, "kp_days_off_no_dates"));
  setText(byId("kp-days-off-choice"), t("kp_days_off_choice", { field: t("kp_f_on_holiday") }));
}
