/* The dashboard's words and numbers in the language shown: the label catalogue (read from
 * GET /labels.json at boot: the dashboard holds no label of its own), t() and tOr() over it, the
 * language chosen (kept on this computer) and the formatters of numbers, money, quantities and
 * dates. */
import { state } from "./state.js";

const LANG_KEY = "foodmatch.lang";
const CATALOGUE = "/labels.json";

// Every label by key, each in Thai and English: {"key": {"th": "...", "en": "..."}}.
let catalogue = {};

/* Reads the catalogue; throws when the server does not give it. */
export async function loadLabels() {
  const response = await fetch(CATALOGUE, { headers: { Accept: "application/json" } });
  if (!response.ok) {
    throw new Error(CATALOGUE + ": HTTP " + response.status);
  }
  catalogue = await response.json();
}

/* The words come first: nothing is drawn before the catalogue is read. Without it the page
 * says so (in words of its own markup: #labels-failed) and tries again every retryMs. */
export async function labelsLoaded(retryMs) {
  const notice = document.getElementById("labels-failed");
  for (;;) {
    try {
      await loadLabels();
      if (notice) {
        notice.hidden = true;
      }
      return;
    } catch (err) {
      if (notice) {
        notice.hidden = false;
      }
      await new Promise(function (resolve) { setTimeout(resolve, retryMs); });
    }
  }
}

/* How often a page refreshes: defaultMs, unless the page set window.FOODMATCH_REFRESH_MS
 * before its script (the tests do). */
export function refreshInterval(defaultMs) {
  const asked = Number(window.FOODMATCH_REFRESH_MS);
  return asked > 0 ? asked : defaultMs;
}

export function storedLanguage() {
  return localStorage.getItem(LANG_KEY) === "en" ? "en" : "th";
}

export function rememberLanguage(lang) {
  state.lang = lang === "en" ? "en" : "th";
  try {
    localStorage.setItem(LANG_KEY, state.lang);
  } catch (err) {
    // Private mode: the choice lasts for this page only.
  }
}

export function has(table, key) {
  return Object.prototype.hasOwnProperty.call(table, key);
}

/* The label of key in lang, or undefined. */
function label(key, lang) {
  const entry = has(catalogue, key) ? catalogue[key] : null;
  return entry && has(entry, lang) ? entry[lang] : undefined;
}

export function t(key, vars) {
  let text = label(key, state.lang);
  if (text === undefined) {
    text = label(key, "en");
  }
  if (text === undefined) {
    text = key;
  }
  if (vars) {
    text = text.replace(/\{(\w+)\}/g, function (whole, name) {
      return has(vars, name) ? String(vars[name]) : whole;
    });
  }
  return text;
}

export function tOr(key, fallback) {
  const text = label(key, state.lang);
  return text === undefined ? fallback : text;
}

export function locale() {
  return state.lang === "th" ? "th-TH" : "en-GB";
}

const formats = {};
function numberFormat(kind) {
  const key = state.lang + ":" + kind;
  if (!formats[key]) {
    const options = {
      int: { maximumFractionDigits: 0 },
      dec1: { minimumFractionDigits: 1, maximumFractionDigits: 1 },
      dec2: { minimumFractionDigits: 2, maximumFractionDigits: 2 },
      dec3: { minimumFractionDigits: 3, maximumFractionDigits: 3 },
      dec4: { minimumFractionDigits: 4, maximumFractionDigits: 4 },
      pct: { style: "percent", minimumFractionDigits: 1, maximumFractionDigits: 1 },
    }[kind];
    formats[key] = new Intl.NumberFormat(locale(), options);
  }
  return formats[key];
}

export function num(value) {
  return numberFormat("int").format(Number(value || 0));
}

export function dec(value, digits) {
  return numberFormat("dec" + (digits || 2)).format(Number(value || 0));
}

export function pct(rate) {
  return numberFormat("pct").format(Number(rate || 0));
}

export function money(value) {
  if (value === null || value === undefined || value === "") {
    return "–";
  }
  return dec(Number(value), 2);
}

export function unitLabel(unit) {
  return unit ? t("unit_" + unit) : "";
}

export function qty(value, unit) {
  const u = unitLabel(unit);
  return num(value) + (u ? " " + u : "");
}

export function day(iso) {
  if (!iso) {
    return "";
  }
  const parts = String(iso).split("-").map(Number);
  const when = new Date(parts[0], parts[1] - 1, parts[2]);
  return when.toLocaleDateString(locale(), { day: "numeric", month: "short", year: "numeric" });
}

const WEEKDAY_CODES = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/* A weekday code's full name in the language shown ("Saturday"): 2024-01-01 was a Monday. */
export function weekdayName(code) {
  const when = new Date(2024, 0, 1 + WEEKDAY_CODES.indexOf(code));
  return when.toLocaleDateString(locale(), { weekday: "long" });
}

export function shortDay(iso) {
  if (!iso) {
    return "";
  }
  const parts = String(iso).split("-").map(Number);
  const when = new Date(parts[0], parts[1] - 1, parts[2]);
  return when.toLocaleDateString(locale(), { day: "numeric", month: "short" });
}

export function moment(iso) {
  if (!iso) {
    return "";
  }
  return new Date(iso).toLocaleString(locale(), { dateStyle: "medium", timeStyle: "medium" });
}
