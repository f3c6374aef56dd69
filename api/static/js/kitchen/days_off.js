/* #/days-off : the kitchen's own non-delivery days (weekdays and dates, besides Thailand's public
 * holidays), changed by the kitchen itself (PUT /buyers/{id}/days-off), and what becomes of a
 * delivery that falls on one: the order's on_holiday choice (docs/formats.md). */
import { HttpError, getJson, putJson } from "../api.js";
import { byId, enc, esc, setHtml, setText } from "../dom.js";
import { day, t, weekdayName } from "../labels.js";

const WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
let shown = { weekdays: [], dates: [] }; // what the form shows: saved, or being edited

export async function loadDaysOff(buyerId) {
  return { daysOff: await getJson("/buyers/" + enc(buyerId) + "/days-off") };
}

function fieldError(id, key) {
  const el = byId(id);
  el.hidden = !key;
  setText(el, key ? t(key) : "");
}

function renderWeekdays() {
  setHtml(byId("kp-days-off-weekdays"), WEEKDAYS.map(function (code) {
    const ticked = shown.weekdays.indexOf(code) >= 0 ? " checked" : "";
    return '<label class="check"><input type="checkbox" name="weekday" value="' + code +
      '" data-testid="kp-days-off-' + code + '"' + ticked + "> " + esc(weekdayName(code)) + "</label>";
  }).join(""));
}

function renderDates() {
  const items = shown.dates.map(function (d) {
    return '<li data-value="' + esc(d) + '"><span>' + esc(day(d)) + "</span> " +
      '<button type="button" class="plain" data-remove="' + esc(d) + '">' +
      esc(t("kp_days_off_remove")) + '<span class="visually-hidden"> ' + esc(day(d)) + "</span>" +
      "</button></li>";
  });
  setHtml(byId("kp-days-off-dates"), items.length ? items.join("")
    : '<li class="muted" data-none="true">' + esc(t("kp_days_off_no_dates")) + "</li>");
}

function show(daysOff) {
  shown = {
    weekdays: (daysOff.non_delivery_weekdays || []).slice(),
    dates: (daysOff.non_delivery_dates || []).slice(),
  };
  renderWeekdays();
  renderDates();
}

export function renderDaysOff(data) {
  show(data.daysOff || {});
  fieldError("kp-days-off-weekdays-error", "");
  fieldError("kp-days-off-date-error", "");
  setText(byId("kp-days-off-choice"), t("kp_days_off_choice", { field: t("kp_f_on_holiday") }));
}

function addDate() {
  const input = byId("kp-days-off-date");
  const value = input.value;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) {
    fieldError("kp-days-off-date-error", "kp_err_days_off_date");
    input.focus();
    return;
  }
  if (shown.dates.indexOf(value) >= 0) {
    fieldError("kp-days-off-date-error", "kp_err_days_off_listed");
    return;
  }
  fieldError("kp-days-off-date-error", "");
  shown.dates.push(value);
  shown.dates.sort();
  input.value = "";
  renderDates();
}

function weekdaysTicked() {
  const ticked = [];
  document.querySelectorAll('#kp-days-off-weekdays input[name="weekday"]').forEach(function (box) {
    if (box.checked) {
      ticked.push(box.value);
    }
  });
  return ticked;
}

/* The API's refusal (422) next to its field, in Thai; false when it is no field's. */
function refusalShown(err) {
  const detail = err instanceof HttpError && err.status === 422 && err.body && err.body.detail;
  if (!Array.isArray(detail) || !detail.length) {
    return false;
  }
  const where = (detail[0].loc || []).join(".");
  fieldError(where.indexOf("non_delivery_dates") >= 0 ? "kp-days-off-date-error"
    : "kp-days-off-weekdays-error",
  where.indexOf("non_delivery_dates") >= 0 ? "kp_err_days_off_date" : "kp_err_days_off_all_week");
  return true;
}

async function save(buyerId, button) {
  shown.weekdays = weekdaysTicked();
  if (shown.weekdays.length === WEEKDAYS.length) {
    fieldError("kp-days-off-weekdays-error", "kp_err_days_off_all_week");
    return null;
  }
  fieldError("kp-days-off-weekdays-error", "");
  button.disabled = true;
  try {
    return await putJson("/buyers/" + enc(buyerId) + "/days-off", {
      non_delivery_weekdays: shown.weekdays, non_delivery_dates: shown.dates,
    });
  } catch (err) {
    if (refusalShown(err)) {
      return null;
    }
    throw err;
  } finally {
    button.disabled = false;
  }
}

/* The form's events: ``buyerId()`` names the kitchen; ``onSaved(daysOff)`` after a change is
 * stored; ``onFailed(err)`` for a failure that is no field's. */
export function wireDaysOff(buyerId, onSaved, onFailed) {
  byId("kp-days-off-add").addEventListener("click", addDate);
  byId("kp-days-off-date").addEventListener("keydown", function (event) {
    if (event.key === "Enter") {
      event.preventDefault();
      addDate();
    }
  });
  byId("kp-days-off-dates").addEventListener("click", function (event) {
    const button = event.target.closest ? event.target.closest("button[data-remove]") : null;
    if (button) {
      const gone = button.getAttribute("data-remove");
      shown.dates = shown.dates.filter(function (d) { return d !== gone; });
      fieldError("kp-days-off-date-error", "");
      renderDates();
    }
  });
  byId("kp-days-off-weekdays").addEventListener("change", function () {
    shown.weekdays = weekdaysTicked();
    fieldError("kp-days-off-weekdays-error",
      shown.weekdays.length === WEEKDAYS.length ? "kp_err_days_off_all_week" : "");
  });
  byId("kp-days-off-form").addEventListener("submit", async function (event) {
    event.preventDefault();
    try {
      const saved = await save(buyerId(), event.target.querySelector("button[type=submit]"));
      if (saved) {
        show(saved);
        onSaved(saved);
      }
    } catch (err) {
      onFailed(err);
    }
  });
}
