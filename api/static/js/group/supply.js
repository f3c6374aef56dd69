/* The group's supply: the form that announces a crop for coming weeks (the API's refusals shown
 * next to their field, in the language shown) and the announcements still open, each withdrawn
 * in two taps. */
import { esc } from "../dom.js";
import { HttpError, postJson } from "../api.js";
import { money, qty, shortDay, t } from "../labels.js";
import { cropName, cropUnit, nm } from "../names.js";
import { state } from "../state.js";
import { comingWeeks, openSupply, portal, schemes } from "./data.js";

const WEEKS_AHEAD = 12;

/* What the form had, so a refresh redraws it as it was. */
const draft = { crop: "", scheme: "", from: "", weeks: "4", quantity: "", price: "", errors: {} };

function cropOptions() {
  const certified = {};
  ((portal.group && portal.group.certificates) || []).forEach(function (c) {
    c.crops.forEach(function (id) { certified[id] = true; });
  });
  const crops = Object.keys(state.crops).map(function (id) { return state.crops[id]; })
    .sort(function (a, b) {
      const first = (certified[b.id] ? 1 : 0) - (certified[a.id] ? 1 : 0);
      return first || nm(a).localeCompare(nm(b), "th");
    });
  return '<option value="">' + esc(t("gp_choose")) + "</option>" + crops.map(function (c) {
    return '<option value="' + esc(c.id) + '"' + (draft.crop === c.id ? " selected" : "") + ">" +
      esc(nm(c)) + "</option>";
  }).join("");
}

function schemeOptions() {
  return schemes().map(function (s) {
    return '<option value="' + esc(s) + '"' + (draft.scheme === s ? " selected" : "") + ">" +
      esc(t("scheme_" + s)) + "</option>";
  }).join("");
}

function weekOptions() {
  return comingWeeks(WEEKS_AHEAD).map(function (w) {
    return '<option value="' + esc(w.week) + '"' + (draft.from === w.week ? " selected" : "") + ">" +
      esc(t("gp_week_starting", { week: w.week.slice(6), date: shortDay(w.monday) })) + "</option>";
  }).join("");
}

function countOptions() {
  const options = [];
  for (let n = 1; n <= WEEKS_AHEAD; n += 1) {
    options.push('<option value="' + n + '"' + (draft.weeks === String(n) ? " selected" : "") + ">" +
      esc(t("gp_n_weeks", { n: n })) + "</option>");
  }
  return options.join("");
}

function field(name, label, control, help) {
  const error = draft.errors[name];
  return '<div class="gp-field' + (error ? " invalid" : "") + '" data-field="' + name + '">' +
    '<label for="sp-' + name + '">' + esc(label) + "</label>" + control +
    (help ? '<p class="gp-help" id="sp-' + name + '-help">' + esc(help) + "</p>" : "") +
    '<p class="gp-error" id="sp-' + name + '-error" data-testid="error-' + name + '"' +
    (error ? "" : " hidden") + ">" + esc(error || "") + "</p></div>";
}

function describedBy(name, help) {
  return ' aria-describedby="' + (help ? "sp-" + name + "-help " : "") + "sp-" + name + '-error"' +
    (draft.errors[name] ? ' aria-invalid="true"' : "");
}

function unitOfDraft() {
  const unit = cropUnit(draft.crop);
  return unit ? t("unit_" + unit) : t("gp_unit");
}

function formHtml() {
  const general = draft.errors.general;
  return '<form id="supply-form" class="gp-form" novalidate data-testid="supply-form">' +
    "<h2>" + esc(t("gp_announce_title")) + "</h2>" +
    '<p class="gp-lead">' + esc(t("gp_announce_help")) + "</p>" +
    field("crop", t("gp_crop"), '<select id="sp-crop" name="crop"' + describedBy("crop") + ">" +
      cropOptions() + "</select>") +
    field("scheme", t("gp_scheme"), '<select id="sp-scheme" name="scheme"' + describedBy("scheme") +
      ">" + schemeOptions() + "</select>") +
    '<div class="gp-pair">' +
    field("from", t("gp_from_week"), '<select id="sp-from" name="from"' + describedBy("from") + ">" +
      weekOptions() + "</select>") +
    field("weeks", t("gp_for_weeks"), '<select id="sp-weeks" name="weeks"' + describedBy("weeks") +
      ">" + countOptions() + "</select>") +
    "</div>" +
    field("quantity", t("gp_quantity_week", { unit: unitOfDraft() }),
      '<input id="sp-quantity" name="quantity" type="number" inputmode="numeric" step="1" value="' +
      esc(draft.quantity) + '"' + describedBy("quantity") + ">") +
    field("price", t("gp_asking_price", { unit: unitOfDraft() }),
      '<input id="sp-price" name="price" type="number" inputmode="decimal" step="0.01" value="' +
      esc(draft.price) + '"' + describedBy("price", true) + ">", t("gp_asking_price_help")) +
    (general ? '<p class="notice" role="alert" data-testid="supply-error">' + esc(general) + "</p>" : "") +
    '<button type="submit" class="button gp-big" data-testid="announce">' + esc(t("gp_announce")) +
    "</button></form>";
}

function supplyCard(s) {
  const weeks = Object.keys(s.weeks).sort();
  const unit = cropUnit(s.crop_id);
  const withdrawing = portal.withdrawing === s.id;
  return '<article class="gp-card" data-testid="supply" data-supply="' + esc(s.id) + '">' +
    '<div class="gp-head"><h3>' + esc(cropName(s.crop_id)) + '</h3><span class="gp-sub">' +
    esc(t("scheme_" + s.scheme)) + "</span></div>" +
    '<p class="gp-sub">' + esc(t("gp_price_per", { price: money(s.asking_price), unit: unit ? t("unit_" + unit) : "" })) +
    "</p><ul class=\"gp-weeks\">" + weeks.map(function (w) {
      return "<li><span>" + esc(t("gp_week_short", { week: w.slice(6) })) + "</span> <strong>" +
        esc(qty(s.weeks[w], unit)) + "</strong></li>";
    }).join("") + "</ul>" +
    (withdrawing
      ? '<div class="gp-actions"><button type="button" class="button gp-big danger" data-act="withdraw" data-id="' +
        esc(s.id) + '" data-testid="withdraw-confirm">' + esc(t("gp_withdraw_confirm")) + "</button>" +
        '<button type="button" class="button gp-big secondary" data-act="withdraw-close" data-testid="withdraw-keep">' +
        esc(t("gp_withdraw_keep")) + "</button></div>"
      : '<div class="gp-actions"><button type="button" class="button gp-big secondary" data-act="withdraw-open" data-id="' +
        esc(s.id) + '" data-testid="withdraw">' + esc(t("gp_withdraw")) + "</button></div>") +
    "</article>";
}

export function supplyPage() {
  const open = openSupply();
  return formHtml() + "<h2>" + esc(t("gp_open_supply_title")) + "</h2>" +
    (open.length ? open.map(supplyCard).join("")
      : '<p class="gp-empty" data-testid="empty">' + esc(t("gp_no_supply")) + "</p>");
}

export function rememberDraft(form) {
  draft.crop = form.crop.value;
  draft.scheme = form.scheme.value;
  draft.from = form.from.value;
  draft.weeks = form.weeks.value;
  draft.quantity = form.quantity.value;
  draft.price = form.price.value;
}

/* The Thai (or English) words for an API refusal of one field of the form. */
const FIELD_OF = { crop_id: "crop", scheme: "scheme", weeks: "quantity", asking_price: "price" };

function fieldMessage(name) {
  return {
    crop: t("gp_err_crop"),
    scheme: t("gp_err_scheme"),
    quantity: t("gp_err_quantity"),
    price: t("gp_err_price"),
    from: t("gp_err_week"),
  }[name];
}

export function errorsOf(detail) {
  const errors = {};
  if (!Array.isArray(detail)) {
    errors.general = t("gp_err_refused", { detail: String(detail || "") });
    return errors;
  }
  detail.forEach(function (item) {
    const loc = (item.loc || []).filter(function (part) { return part !== "body"; });
    let name = FIELD_OF[loc[0]] || "general";
    if (loc[0] === "weeks" && loc.length > 1 && !/^\d{4}-W\d{2}$/.test(String(loc[1]))) {
      name = "from";
    }
    if (!errors[name]) {
      errors[name] = name === "general" ? t("gp_err_refused", { detail: item.msg }) : fieldMessage(name);
    }
  });
  return errors;
}

function bodyOfDraft() {
  const quantity = draft.quantity.trim();
  const amount = /^\d+$/.test(quantity) ? Number(quantity) : quantity;
  const weeks = {};
  const start = comingWeeks(WEEKS_AHEAD).findIndex(function (w) { return w.week === draft.from; });
  comingWeeks(WEEKS_AHEAD + Number(draft.weeks)).slice(Math.max(0, start))
    .slice(0, Number(draft.weeks)).forEach(function (w) { weeks[w.week] = amount; });
  const stamp = Date.now().toString(36) + Math.random().toString(36).slice(2, 6);
  return {
    id: "sup-" + portal.group.id + "-" + stamp,
    group_id: portal.group.id,
    crop_id: draft.crop,
    scheme: draft.scheme,
    weeks: weeks,
    asking_price: draft.price.trim() === "" ? null : draft.price.trim(),
  };
}

/* Local checks the API would make anyway, said before sending: a crop and a quantity. */
function missing() {
  const errors = {};
  if (!draft.crop) {
    errors.crop = t("gp_err_crop");
  }
  if (draft.quantity.trim() === "") {
    errors.quantity = t("gp_err_quantity");
  }
  return errors;
}

/* Sends the form; answers the new announcement, or null with draft.errors set. */
export async function announce(form) {
  rememberDraft(form);
  draft.errors = missing();
  if (Object.keys(draft.errors).length) {
    return null;
  }
  try {
    const made = await postJson("/supply", bodyOfDraft());
    draft.crop = "";
    draft.quantity = "";
    draft.price = "";
    draft.errors = {};
    return made;
  } catch (err) {
    if (err instanceof HttpError && err.body && (err.status === 422 || err.status === 409)) {
      draft.errors = errorsOf(err.body.detail);
      return null;
    }
    throw err;
  }
}

export function firstErrorField() {
  return ["crop", "scheme", "from", "weeks", "quantity", "price"].find(function (name) {
    return draft.errors[name];
  });
}

export function supplySummary(s) {
  const weeks = Object.keys(s.weeks).sort();
  const first = weeks[0] || "";
  return t("gp_announced", {
    crop: cropName(s.crop_id),
    weeks: weeks.length,
    from: first.slice(6),
  });
}

export function withdrawSupply(id) {
  return postJson("/supply/" + encodeURIComponent(id) + "/withdraw", { reason: t("gp_withdraw_reason") });
}
