/* #/new : a kitchen's forward order. The crop is searched by its Thai or English name; the
 * deliveries the schedule makes are previewed as the form is filled in; the API's refusals are
 * shown next to the field they name (errors.js). */
import { HttpError, postJson } from "../api.js";
import { byId, esc, setHtml, setText } from "../dom.js";
import { day, num, qty, t, tOr, unitLabel } from "../labels.js";
import { cropUnit, nm } from "../names.js";
import { state } from "../state.js";
import { FORM_FIELDS, errorsByField } from "./errors.js";
import { afterHolidays, loadHolidays } from "./holidays.js";

const WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const TIERS = ["SAFE", "ORGANIC", "ORGANIC_CERTIFIED", "ANY"];
const ON_HOLIDAY = ["previous_working_day", "refuse"];
const PREVIEW_MAX = 60;

function iso(when) {
  const pad = function (n) { return String(n).padStart(2, "0"); };
  return when.getFullYear() + "-" + pad(when.getMonth() + 1) + "-" + pad(when.getDate());
}

function parseDay(text) {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text || "")) {
    return null;
  }
  const parts = text.split("-").map(Number);
  return new Date(parts[0], parts[1] - 1, parts[2]);
}

/* The crop id for what was typed: an id, a Thai or an English name (any case), or the option
 * "Thai (English)"; what was typed when nothing fits (the API then names the problem). */
export function cropIdFor(text) {
  const wanted = String(text || "").trim().toLowerCase();
  const ids = Object.keys(state.crops);
  const found = ids.find(function (id) {
    const c = state.crops[id];
    const names = [id, c.name_th, c.name_en, c.name_th + " (" + c.name_en + ")",
      c.name_en + " (" + c.name_th + ")"];
    return names.some(function (n) { return String(n || "").toLowerCase() === wanted; });
  });
  return found || String(text || "").trim();
}

function chosenWeekdays() {
  return WEEKDAYS.filter(function (d) {
    const box = byId("kp-wd-" + d);
    return box && box.checked;
  });
}

/* The delivery dates of the schedule, as the API makes them (every chosen weekday from the
 * first date to the last). */
export function scheduleDates(start, end, weekdays) {
  const first = parseDay(start);
  const last = parseDay(end);
  if (!first || !last || last < first || !weekdays.length) {
    return [];
  }
  const dates = [];
  for (let d = new Date(first); d <= last && dates.length <= 1000; d.setDate(d.getDate() + 1)) {
    if (weekdays.indexOf(WEEKDAYS[(d.getDay() + 6) % 7]) >= 0) {
      dates.push(iso(d));
    }
  }
  return dates;
}

function cropOptions() {
  const crops = Object.keys(state.crops).map(function (id) { return state.crops[id]; });
  crops.sort(function (a, b) { return nm(a).localeCompare(nm(b), state.lang === "th" ? "th" : "en"); });
  setHtml(byId("kp-crop-list"), crops.map(function (c) {
    const other = state.lang === "th" ? c.name_en : c.name_th;
    return '<option value="' + esc(nm(c)) + '">' + esc(other + " · " + unitLabel(c.unit)) + "</option>";
  }).join(""));
}

function unitOfForm() {
  const id = cropIdFor(byId("kp-crop").value);
  return state.crops[id] ? cropUnit(id) : "";
}

function holidayName(h) {
  if (h.kitchen_day) {
    return t("kp_preview_kitchen_day");
  }
  return state.lang === "th" ? h.name_th : h.name_en;
}

export function renderPreview() {
  const unit = unitOfForm();
  setText(byId("kp-unit"), unit ? unitLabel(unit) : "");
  setText(byId("kp-price-unit"), t("baht") + (unit ? "/" + unitLabel(unit) : ""));
  const asked = scheduleDates(byId("kp-start").value, byId("kp-end").value, chosenWeekdays());
  loadHolidays(asked, renderPreview);
  const calendar = afterHolidays(asked, byId("kp-on-holiday").value || ON_HOLIDAY[0]);
  const dates = calendar.deliveries.map(function (c) { return c.date; });
  const quantity = /^\d+$/.test(byId("kp-quantity").value.trim()) ? Number(byId("kp-quantity").value) : 0;
  const today = iso(new Date());
  const past = dates.filter(function (d) { return d < today; }).length;
  setText(byId("kp-preview-summary"), dates.length
    ? t("kp_preview_summary", { count: num(dates.length), total: qty(quantity * dates.length, unit) }) +
      (past ? " " + t("kp_preview_past", { count: num(past) }) : "")
    : t("kp_preview_empty"));
  byId("kp-preview-summary").setAttribute("data-count", String(dates.length));
  const shown = calendar.deliveries.slice(0, PREVIEW_MAX).map(function (c) {
    const d = c.date;
    const wd = WEEKDAYS[(parseDay(d).getDay() + 6) % 7];
    const moved = c.moved_from
      ? ' <span class="moved">' + esc(t("kp_preview_moved", {
        date: day(c.moved_from), holiday: holidayName(c.holiday) })) + "</span>"
      : "";
    return '<li data-date="' + esc(d) + '"' +
      (c.moved_from ? ' data-moved-from="' + esc(c.moved_from) + '"' : "") +
      (d < today ? ' class="past"' : "") + ">" +
      '<span class="wd">' + esc(t("wd_" + wd)) + "</span> " + esc(day(d)) +
      ' <span class="muted">· ' + esc(qty(quantity, unit)) + "</span>" + moved + "</li>";
  });
  const droppedKey = byId("kp-on-holiday").value === "refuse" ? "kp_preview_skipped" : "kp_preview_dropped";
  calendar.dropped.forEach(function (c) {
    shown.push('<li class="dropped" data-dropped="' + esc(c.date) + '">' + esc(t(droppedKey, {
      date: day(c.date), holiday: holidayName(c.holiday) })) + "</li>");
  });
  if (dates.length > PREVIEW_MAX) {
    shown.push('<li class="muted">' + esc(t("kp_preview_more", { count: num(dates.length - PREVIEW_MAX) })) + "</li>");
  }
  setHtml(byId("kp-preview-list"), shown.join(""));
}

export function clearErrors() {
  FORM_FIELDS.concat(["form"]).forEach(function (field) {
    const el = byId("kp-" + field + "-error");
    if (el) {
      el.hidden = true;
      setText(el, "");
    }
    const box = document.querySelector('#kp-form [data-field="' + field + '"]');
    if (box) {
      box.classList.remove("invalid");
    }
    const input = byId("kp-" + field);
    if (input) {
      input.removeAttribute("aria-invalid");
    }
  });
}

/* Shows each message next to its field (the whole form's above it); focuses the first. */
export function showErrors(found) {
  clearErrors();
  let first = null;
  FORM_FIELDS.concat(["form"]).forEach(function (field) {
    if (!found[field]) {
      return;
    }
    const el = byId("kp-" + field + "-error");
    setText(el, found[field].join(" "));
    el.hidden = false;
    const box = document.querySelector('#kp-form [data-field="' + field + '"]');
    if (box) {
      box.classList.add("invalid");
    }
    const input = field === "weekdays" ? byId("kp-wd-mon") : byId("kp-" + field);
    if (input && field !== "weekdays") {
      input.setAttribute("aria-invalid", "true");
    }
    first = first || input || el;
  });
  if (first && first.focus) {
    first.focus();
  }
}

function number(text) {
  const value = String(text || "").trim().replace(/,/g, "");
  return value !== "" && !isNaN(Number(value)) ? Number(value) : value;
}

/* The body of POST /orders from the form: what was typed goes as typed when it is no number,
 * so that the API names the field. */
export function orderBody(buyerId) {
  const body = {
    id: "",
    buyer_id: buyerId,
    crop_id: cropIdFor(byId("kp-crop").value),
    quantity: number(byId("kp-quantity").value),
    schedule: {
      start: byId("kp-start").value,
      end: byId("kp-end").value,
      weekdays: chosenWeekdays(),
    },
    min_tier: byId("kp-tier").value,
    on_holiday: byId("kp-on-holiday").value || ON_HOLIDAY[0],
  };
  const price = String(byId("kp-price").value || "").trim().replace(/,/g, "");
  if (price) {
    body.max_price = price;
  }
  const distance = byId("kp-distance").value;
  if (String(distance || "").trim()) {
    body.max_distance_km = number(distance);
  }
  const stamp = new Date().toISOString().replace(/\D/g, "").slice(0, 14);
  body.id = "ord-" + buyerId + "-" + stamp + "-" + Math.random().toString(36).slice(2, 6);
  return body;
}

/* Sends the order; answers the order as stored, or null when the API refused it (the messages
 * are then shown). Other failures (offline, 401) are thrown. */
export async function sendOrder(buyerId) {
  clearErrors();
  const body = orderBody(buyerId);
  try {
    return await postJson("/orders", body, body.id);
  } catch (err) {
    if (err instanceof HttpError && err.body && (err.status === 422 || err.status === 409 ||
        err.status === 403)) {
      showErrors(errorsByField(err.body.detail));
      return null;
    }
    throw err;
  }
}

export function fillDefaults() {
  const start = new Date();
  start.setDate(start.getDate() + 14 + ((8 - start.getDay()) % 7)); // a Monday two weeks on
  const end = new Date(start);
  end.setDate(end.getDate() + 27);
  byId("kp-start").value = iso(start);
  byId("kp-end").value = iso(end);
  byId("kp-crop").value = "";
  byId("kp-quantity").value = "";
  byId("kp-price").value = "";
  byId("kp-distance").value = "50";
  byId("kp-tier").value = "SAFE";
  byId("kp-on-holiday").value = ON_HOLIDAY[0];
  WEEKDAYS.forEach(function (d) { byId("kp-wd-" + d).checked = d === "mon"; });
  clearErrors();
}

/* The form's controls in the language shown (weekdays, standards, crops), keeping what was
 * typed and ticked. */
export function labelForm() {
  const ticked = chosenWeekdays();
  setHtml(byId("kp-weekdays"), WEEKDAYS.map(function (d) {
    return '<label class="check"><input type="checkbox" id="kp-wd-' + d + '" data-testid="kp-wd-' +
      d + '" value="' + d + '"' + (ticked.indexOf(d) >= 0 ? " checked" : "") + "> " +
      esc(t("wd_" + d)) + "</label>";
  }).join(""));
  const tier = byId("kp-tier").value || "SAFE";
  setHtml(byId("kp-tier"), TIERS.map(function (code) {
    return '<option value="' + code + '"' + (code === tier ? " selected" : "") + ">" +
      esc(tOr("tier_" + code, code)) + "</option>";
  }).join(""));
  const rule = byId("kp-on-holiday").value || ON_HOLIDAY[0];
  setHtml(byId("kp-on-holiday"), ON_HOLIDAY.map(function (code) {
    return '<option value="' + code + '"' + (code === rule ? " selected" : "") + ">" +
      esc(t("kp_on_holiday_" + code)) + "</option>";
  }).join(""));
  cropOptions();
  renderPreview();
}
