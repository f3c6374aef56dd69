/* Confirming a delivery on one order's page: of the deliveries due by today on a live contract
 * and not yet confirmed, the kitchen records what it received and what it refused, and why it
 * refused it (POST /contracts/{id}/deliveries/{date}/confirm); the shortfall goes back to the
 * book for another group. The reason is asked for once a quantity is sent back, its details
 * once the reason is "other". The API's refusals are shown next to the field they name. */
import { HttpError, postJson } from "../api.js";
import { byId, enc, esc, setHtml, setText } from "../dom.js";
import { day, num, t, unitLabel } from "../labels.js";
import { cropUnit, groupName } from "../names.js";

const FIELDS = ["received", "refused", "refusal_reason", "refusal_note"];
const CONFIRMABLE = ["accepted", "in_delivery"];
/* Why a kitchen sends produce back, as the API names it (labels: refusal_<code>). */
export const REFUSAL_REASONS = ["not_fresh", "residue_test_failed", "wrong_size", "late", "other"];
const NOTE_LENGTH = 200;

/* [label, field, pattern of the API's message], the first that fits wins. */
const KNOWN = [
  ["kp_err_more_than_contracted", "received", /more than/],
  ["kp_err_reason_required", "refusal_reason", /is required/],
  ["kp_err_reason_not_needed", "refusal_reason", /must be empty/],
  ["kp_err_note_other", "refusal_note", /only with the reason other/],
  ["kp_err_note_long", "refusal_note", /at most|characters/],
  ["kp_err_whole", "", /whole number/],
  ["kp_err_whole", "", /integer/],
];

/* Today's date (the browser's), as the API writes dates. */
export function today() {
  const now = new Date();
  const pad = function (n) { return String(n).padStart(2, "0"); };
  return now.getFullYear() + "-" + pad(now.getMonth() + 1) + "-" + pad(now.getDate());
}

/* The deliveries of the order's contracts the kitchen may confirm now. */
export function confirmable(order, contracts) {
  const due = today();
  const found = [];
  contracts.forEach(function (c) {
    if (c.order_id !== order.id || CONFIRMABLE.indexOf(c.state) < 0) {
      return;
    }
    (c.deliveries || []).forEach(function (d) {
      if (d.state === "scheduled" && d.date <= due) {
        found.push({ contract: c.id, group: c.group_id, date: d.date, quantity: d.quantity });
      }
    });
  });
  return found.sort(function (a, b) { return a.date < b.date ? -1 : a.date > b.date ? 1 : 0; });
}

function field(name, labelKey, control) {
  const box = document.createElement("div");
  box.className = "field";
  box.setAttribute("data-field", name);
  const label = document.createElement("label");
  label.htmlFor = "kp-confirm-" + name;
  label.setAttribute("data-i18n", labelKey);
  setText(label, t(labelKey));
  control.id = "kp-confirm-" + name;
  control.setAttribute("data-testid", "kp-confirm-" + name);
  control.setAttribute("aria-describedby", "kp-confirm-" + name + "-error");
  const error = document.createElement("p");
  error.className = "field-error";
  error.id = "kp-confirm-" + name + "-error";
  error.setAttribute("data-testid", "error-" + name);
  error.hidden = true;
  box.append(label, control, error);
  return box;
}

/* The reason and its details, added to the form once (before its button). */
function reasonFields() {
  const form = byId("kp-confirm");
  if (byId("kp-confirm-refusal_reason")) {
    return;
  }
  const select = document.createElement("select");
  select.setAttribute("aria-required", "true");
  const note = document.createElement("input");
  note.maxLength = NOTE_LENGTH;
  note.autocomplete = "off";
  const button = form.querySelector("button[type=submit]");
  form.insertBefore(field("refusal_reason", "kp_confirm_reason", select), button);
  form.insertBefore(field("refusal_note", "kp_confirm_note", note), button);
  byId("kp-confirm-refused").addEventListener("input", showReason);
  select.addEventListener("change", showReason);
}

function refusedCount() {
  const value = quantity(byId("kp-confirm-refused").value);
  return typeof value === "number" ? value : 0;
}

/* A field with its label (the style sheet's display of .field outranks the hidden attribute). */
function shown(control, visible) {
  const box = control.closest(".field");
  box.hidden = !visible;
  box.style.display = visible ? "" : "none";
}

/* The reason is asked for while something is sent back; its details with the reason "other". */
export function showReason() {
  const select = byId("kp-confirm-refusal_reason");
  const asked = refusedCount() > 0;
  shown(select, asked);
  if (!asked) {
    select.value = "";
  }
  const other = asked && select.value === "other";
  shown(byId("kp-confirm-refusal_note"), other);
  if (!other) {
    byId("kp-confirm-refusal_note").value = "";
  }
}

function renderReasons() {
  reasonFields();
  const select = byId("kp-confirm-refusal_reason");
  const chosen = select.value;
  setHtml(select, '<option value="">' + esc(t("kp_confirm_reason_pick")) + "</option>" +
    REFUSAL_REASONS.map(function (code) {
      return '<option value="' + esc(code) + '"' + (code === chosen ? " selected" : "") + ">" +
        esc(t("refusal_" + code)) + "</option>";
    }).join(""));
  showReason();
}

export function renderConfirm(order, contracts) {
  const form = byId("kp-confirm");
  const choices = order ? confirmable(order, contracts) : [];
  form.hidden = !choices.length;
  if (!choices.length) {
    return;
  }
  renderReasons();
  const unit = unitLabel(cropUnit(order.crop_id));
  setText(byId("kp-confirm-unit"), unit);
  const select = byId("kp-confirm-which");
  const chosen = select.value;
  setHtml(select, choices.map(function (c) {
    const value = c.contract + "|" + c.date;
    return '<option value="' + esc(value) + '" data-quantity="' + esc(c.quantity) + '"' +
      (value === chosen ? " selected" : "") + ">" + esc(day(c.date) + " · " + groupName(c.group) +
      " · " + num(c.quantity) + " " + unit) + "</option>";
  }).join(""));
  if (select.value !== form.__fmChoice) {
    form.__fmChoice = select.value;
    fillQuantities();
  }
}

/* The quantities of the delivery chosen: all of it received, nothing refused. */
export function fillQuantities() {
  const option = byId("kp-confirm-which").selectedOptions[0];
  byId("kp-confirm-received").value = option ? option.getAttribute("data-quantity") : "";
  byId("kp-confirm-refused").value = "0";
  byId("kp-confirm").__fmChoice = byId("kp-confirm-which").value;
  showReason();
}

function showError(field, text) {
  const el = byId(field === "form" ? "kp-confirm-form-error" : "kp-confirm-" + field + "-error");
  el.hidden = !text;
  setText(el, text || "");
  const input = byId("kp-confirm-" + field);
  if (input) {
    if (text) {
      input.setAttribute("aria-invalid", "true");
    } else {
      input.removeAttribute("aria-invalid");
    }
  }
}

function messageOf(error, field) {
  const msg = String(error.msg || "");
  const found = KNOWN.find(function (k) { return (!k[1] || k[1] === field) && k[2].test(msg); });
  return found ? t(found[0]) : msg;
}

function showRefusal(detail) {
  if (!Array.isArray(detail)) {
    showError("form", String(detail || t("kp_confirm_failed")));
    return;
  }
  detail.forEach(function (error) {
    const loc = (error.loc || []).filter(function (part) { return part !== "body"; });
    const field = FIELDS.indexOf(loc[0]) >= 0 ? loc[0] : "form";
    showError(field, messageOf(error, field));
  });
}

function quantity(text) {
  const value = String(text || "").trim();
  return /^\d+$/.test(value) ? Number(value) : value;
}

/* Sends the confirmation; answers the day confirmed, or "" when the API refused it (the
 * messages are then shown). Other failures are thrown. */
export async function sendConfirm() {
  FIELDS.concat(["form"]).forEach(function (field) { showError(field, ""); });
  const parts = byId("kp-confirm-which").value.split("|");
  const body = {
    received: quantity(byId("kp-confirm-received").value),
    refused: quantity(byId("kp-confirm-refused").value),
  };
  const reason = byId("kp-confirm-refusal_reason").value;
  const note = byId("kp-confirm-refusal_note").value.trim();
  if (reason) {
    body.refusal_reason = reason;
  }
  if (reason === "other" && note) {
    body.refusal_note = note;
  }
  try {
    await postJson("/contracts/" + enc(parts[0]) + "/deliveries/" + enc(parts[1]) + "/confirm", body);
  } catch (err) {
    if (err instanceof HttpError && err.body && (err.status === 422 || err.status === 409)) {
      showRefusal(err.body.detail);
      return "";
    }
    throw err;
  }
  return parts[1];
}
