/* The group's consent that the bank (BAAC) sees its forward revenue: read with the group's
 * data, shown under the income by month, given or withdrawn with one tap (PUT or DELETE
 * /api/v1/groups/{id}/bank-consent; a signed-in session sends its CSRF token). */
import { API, HttpError, authHeaders, getJson } from "../api.js";
import { enc, esc } from "../dom.js";
import { day, t } from "../labels.js";
import { portal } from "./data.js";

export const bank = { consent: null, read: false };

/* The group's consent in force for every bank key (`baac`), or null. */
export async function loadBankConsent() {
  const found = await getJson("/bank-consents?active=true&group_id=" + enc(portal.group.id));
  bank.consent = found.find(function (c) { return c.bank === "baac"; }) || null;
  bank.read = true;
}

export function bankPanel() {
  if (!bank.read) {
    return "";
  }
  const on = Boolean(bank.consent);
  const status = on ? t("gp_bank_on", { date: day(String(bank.consent.granted_at).slice(0, 10)) })
    : t("gp_bank_off");
  return '<section class="gp-card" data-testid="gp-bank"><h2>' + esc(t("gp_bank_title")) + "</h2>" +
    '<p class="gp-lead">' + esc(t("gp_bank_help")) + "</p>" +
    '<p data-testid="gp-bank-state" data-on="' + (on ? "true" : "false") + '"><strong>' +
    esc(status) + "</strong></p>" +
    '<button type="button" class="button gp-big" data-act="bank-consent" data-testid="gp-bank-toggle">' +
    esc(on ? t("gp_bank_revoke") : t("gp_bank_grant")) + "</button></section>";
}

/* Gives the consent when there is none, withdraws it when there is; answers what is now true. */
export async function toggleBankConsent(csrfToken) {
  const path = "/groups/" + enc(portal.group.id) + "/bank-consent";
  const headers = authHeaders();
  headers["Content-Type"] = "application/json";
  if (csrfToken) {
    headers["X-CSRF-Token"] = csrfToken;
  }
  const granting = !bank.consent;
  const response = await fetch(API + path, {
    method: granting ? "PUT" : "DELETE", headers: headers,
    body: granting ? JSON.stringify({ bank: "baac" }) : undefined,
    cache: "no-store", credentials: "same-origin",
  });
  if (!response.ok) {
    throw new HttpError(path, response.status);
  }
  return granting;
}
