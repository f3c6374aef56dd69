/* Cancelling one delivery of an order on its page: each future delivery not yet delivered has a
 * "cancel this delivery" button that opens a small form asking why (required); the form posts
 * POST /orders/{id}/deliveries/{date}/cancel with the session's CSRF token (postJson). The
 * order keeps its other deliveries; the cancelled one stays in the table as cancelled, with the
 * reason given. */
import { HttpError, postJson } from "../api.js";
import { byId, enc, esc, setText } from "../dom.js";
import { day, t } from "../labels.js";
import { today } from "./confirm.js";

const REASON_LENGTH = 500;

/* Whether the kitchen may cancel this delivery (of the order as the API gave it): the order is
 * open and keeps another delivery, the date is after today, nothing of it is delivered. */
export function cancellable(order, delivery) {
  const open = order && order.state === "open" && (order.delivery_status || []).length > 1;
  const delivered = delivery.parts.some(function (p) { return p.state === "delivered"; });
  return Boolean(open) && delivery.date > today() && !delivered;
}

/* The button of a delivery's row, or "" when it cannot be cancelled. */
export function cancelButton(order, delivery) {
  if (!cancellable(order, delivery)) {
    return "";
  }
  return '<button type="button" class="button warn small" data-cancel-day="' + esc(delivery.date) +
    '" data-testid="kp-cancel-day-open">' + esc(t("kp_cancel_day")) + "</button>";
}

/* The cancelled deliveries of the order, as lines of its deliveries table. */
export function cancelledDeliveries(order) {
  return ((order && order.cancelled_deliveries) || []).map(function (c) {
    return { date: c.date, week: c.week, reason: c.reason, cancelled: true };
  });
}

export function cancelledRow(c) {
  return '<tr data-date="' + esc(c.date) + '" data-state="cancelled">' +
    '<td class="nowrap">' + esc(day(c.date)) + "</td><td></td>" +
    '<td><span class="dstate d-released" data-state="cancelled">' + esc(t("kp_day_cancelled")) +
    '</span> <span class="cancel-reason" data-testid="kp-cancelled-reason">' +
    esc(t("kp_day_cancelled_reason", { reason: c.reason })) + "</span></td></tr>";
}

function showError(text) {
  const error = byId("kp-cancel-day-reason-error");
  error.hidden = !text;
  setText(error, text || "");
  const input = byId("kp-cancel-day-reason");
  if (text) {
    input.setAttribute("aria-invalid", "true");
  } else {
    input.removeAttribute("aria-invalid");
  }
}

function close() {
  const form = byId("kp-cancel-day");
  form.hidden = true;
  form.removeAttribute("data-date");
  byId("kp-cancel-day-reason").value = "";
  showError("");
}

function open(date) {
  const form = byId("kp-cancel-day");
  form.setAttribute("data-date", date);
  setText(byId("kp-cancel-day-title"), t("kp_cancel_day_title", { date: day(date) }));
  showError("");
  form.hidden = false;
  byId("kp-cancel-day-reason").focus();
}

function messageOf(err) {
  const detail = err.body && err.body.detail;
  if (typeof detail === "string") {
    return detail;
  }
  return Array.isArray(detail) && detail.length ? String(detail[0].msg || "") : t("kp_cancel_day_failed");
}

/* Wires the buttons and the form: ``orderId()`` is the order of the page; ``done(date)`` runs
 * once a delivery is cancelled; ``failed(err)`` for failures other than the API's refusal. */
export function wireCancelDay(orderId, done, failed) {
  byId("kp-cancel-day-reason").maxLength = REASON_LENGTH;
  document.addEventListener("click", function (event) {
    const button = event.target.closest ? event.target.closest("button[data-cancel-day]") : null;
    if (button) {
      open(button.getAttribute("data-cancel-day"));
    }
  });
  byId("kp-cancel-day-close").addEventListener("click", close);
  window.addEventListener("hashchange", close);
  byId("kp-cancel-day").addEventListener("submit", async function (event) {
    event.preventDefault();
    const date = byId("kp-cancel-day").getAttribute("data-date");
    const reason = byId("kp-cancel-day-reason").value.trim();
    if (!reason) {
      showError(t("kp_err_day_reason"));
      byId("kp-cancel-day-reason").focus();
      return;
    }
    const button = event.target.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      await postJson("/orders/" + enc(orderId()) + "/deliveries/" + enc(date) + "/cancel", { reason: reason });
    } catch (err) {
      if (err instanceof HttpError && err.body && (err.status === 409 || err.status === 422)) {
        showError(messageOf(err));
      } else {
        failed(err);
      }
      return;
    } finally {
      button.disabled = false;
    }
    close();
    done(date);
  });
}
