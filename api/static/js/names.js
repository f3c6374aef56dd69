/* Names of crops, groups, kitchens and districts in the language shown, read from the API (and
 * read again now and then), and the links to a kitchen's or a group's page. */
import { getJson } from "./api.js";
import { enc, esc } from "./dom.js";
import { state } from "./state.js";

const NAMES_REFRESH_MS = 30000;

export function nm(obj) {
  if (!obj) {
    return "";
  }
  const first = state.lang === "th" ? obj.name_th : obj.name_en;
  const second = state.lang === "th" ? obj.name_en : obj.name_th;
  return first || second || obj.id || "";
}

export function cropName(id) {
  return state.crops[id] ? nm(state.crops[id]) : id;
}

export function cropUnit(id) {
  return state.crops[id] ? state.crops[id].unit : "";
}

export function groupName(id) {
  return state.groups[id] ? nm(state.groups[id]) : id;
}

export function buyerName(id) {
  return state.buyers[id] ? nm(state.buyers[id]) : id;
}

export function rememberDistrict(code, nameTh, nameEn) {
  if (code && (nameTh || nameEn)) {
    state.districts[code] = { name_th: nameTh, name_en: nameEn };
  }
}

export function districtName(code) {
  return state.districts[code] ? nm(state.districts[code]) : code || "";
}

export function kitchenLink(id) {
  return '<a href="#/kitchen/' + esc(enc(id)) + '" data-buyer="' + esc(id) + '">' +
    esc(buyerName(id)) + "</a>";
}

export function groupLink(id) {
  return '<a href="#/group/' + esc(enc(id)) + '" data-group="' + esc(id) + '">' +
    esc(groupName(id)) + "</a>";
}

export async function loadNames() {
  const answers = await Promise.all([getJson("/crops"), getJson("/groups"), getJson("/buyers")]);
  const crops = {};
  answers[0].forEach(function (c) { crops[c.id] = c; });
  const groups = {};
  answers[1].forEach(function (g) { groups[g.id] = g; });
  const buyers = {};
  answers[2].forEach(function (b) { buyers[b.id] = b; });
  state.crops = crops;
  state.groups = groups;
  state.buyers = buyers;
  state.namesAt = Date.now();
}

export async function ensureNames(groupIds, buyerIds) {
  const unknown = (groupIds || []).some(function (id) { return !state.groups[id]; }) ||
    (buyerIds || []).some(function (id) { return !state.buyers[id]; });
  if (unknown || Date.now() - state.namesAt > NAMES_REFRESH_MS) {
    await loadNames();
  }
}

export async function seedDistricts() {
  try {
    const answers = await Promise.all([getJson("/stats/groups"), getJson("/stats/unmet")]);
    answers[0].groups.forEach(function (g) {
      rememberDistrict(g.district, g.district_name_th, g.district_name_en);
    });
    answers[1].by_district.forEach(function (d) {
      rememberDistrict(d.district, d.name_th, d.name_en);
    });
  } catch (err) {
    // District names are a nicety: the codes are shown until a later answer names them.
  }
}
