/* foodmatch coordinator dashboard: a single page, hash routing, Thai and English, live refresh.
 * ES modules, no build step. Uses only the API of this server and the vendored Leaflet and
 * Chart.js under /static/vendor/ (globals loaded before it); makes no request to any other host.
 * This module boots the page, shows it in the language chosen and refreshes it. */
import { forgetKey, getJson, saveKey, storedKey, takeKeyFromAddress } from "./api.js";
import { setupChartDefaults } from "./charts.js";
import { byId, enc } from "./dom.js";
import { openWithKey } from "./files.js";
import { labelsLoaded, refreshInterval, rememberLanguage, storedLanguage } from "./labels.js";
import { loadNames, seedDistricts } from "./names.js";
import { PAGES } from "./pages.js";
import { FILTERS, onFilterChange } from "./pages/planning.js";
import { parseRoute, showPage } from "./routes.js";
import { applyPageLabels, noteLoaded, renderRoutePage } from "./shell.js";
import { state } from "./state.js";
import { noteFailure, renderKeyPanel, renderStatus } from "./status.js";

let refreshMs = 3000;

function onKeySubmit(event) {
  event.preventDefault();
  const key = byId("key-input").value.trim();
  if (!key) {
    return;
  }
  saveKey(key, byId("key-remember").checked);
  byId("key-input").value = "";
  state.needKey = false;
  renderKeyPanel();
  tick();
}

function applyLabels() {
  applyPageLabels("app_title");
}

function renderPage() {
  renderRoutePage(PAGES);
}

async function tick() {
  clearTimeout(state.timer);
  const generation = ++state.generation;
  const route = state.route;
  if (document.hidden && state.dataRoute && state.dataRoute.key === route.key) {
    // A tab nobody looks at does not poll; it catches up when shown (visibilitychange).
    state.timer = setTimeout(tick, refreshMs);
    return;
  }
  let answers;
  try {
    const overview = await getJson("/overview");
    if (!Object.keys(state.crops).length) {
      await loadNames();
    }
    answers = [overview, await PAGES[route.page].load(route)];
  } catch (err) {
    if (generation === state.generation) {
      noteFailure(err);
      renderStatus();
      renderKeyPanel();
      // Without a usable key, wait for one rather than knocking every 3 s.
      if (!state.needKey) {
        state.timer = setTimeout(tick, refreshMs);
      }
    }
    return;
  }
  if (generation !== state.generation) {
    return;
  }
  state.timer = setTimeout(tick, refreshMs);
  state.overview = answers[0];
  noteLoaded(answers[1], route);
  renderStatus();
  renderKeyPanel();
  renderPage();
  if (!state.seeded) {
    state.seeded = true;
    seedDistricts();
  }
  document.body.setAttribute("data-loaded", route.key);
}

function navigate() {
  takeKeyFromAddress();
  const previous = state.route;
  state.route = parseRoute();
  showPage(state.route);
  if (!previous || previous.page !== state.route.page || previous.id !== state.route.id) {
    window.scrollTo(0, 0);
  }
  document.body.removeAttribute("data-loaded");
  tick();
}

function setLanguage(lang) {
  rememberLanguage(lang);
  applyLabels();
  renderStatus();
  renderPage();
}

function start() {
  setupChartDefaults();
  document.querySelectorAll("[data-lang]").forEach(function (button) {
    button.addEventListener("click", function () {
      setLanguage(button.getAttribute("data-lang"));
    });
  });
  FILTERS.forEach(function (f) {
    byId(f[1]).addEventListener("change", onFilterChange);
  });
  byId("planning-filters").addEventListener("submit", function (event) {
    event.preventDefault();
  });
  byId("kitchen-select").addEventListener("change", function (event) {
    location.hash = "#/kitchen/" + enc(event.target.value);
  });
  byId("group-select").addEventListener("change", function (event) {
    location.hash = "#/group/" + enc(event.target.value);
  });
  byId("key-form").addEventListener("submit", onKeySubmit);
  byId("key-forget").addEventListener("click", function () {
    forgetKey();
    renderStatus();
    tick();
  });
  document.addEventListener("click", function (event) {
    const link = event.target.closest ? event.target.closest("a[data-doc], a[data-testid='planning-csv'], a[data-testid='planning-areas-csv']") : null;
    if (link) {
      openWithKey(link, event);
    }
  });
  window.addEventListener("hashchange", navigate);
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) {
      tick();
    }
  });
  applyLabels();
  navigate();
}

async function boot() {
  refreshMs = refreshInterval(3000);
  state.lang = storedLanguage();
  state.apiKey = storedKey();
  await labelsLoaded(refreshMs);
  start();
}

boot();
