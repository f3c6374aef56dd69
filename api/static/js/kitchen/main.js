/* foodmatch kitchen portal (/kitchen/): a hospital's nutrition unit orders ahead, follows each
 * delivery and cancels, in Thai first with English. Plain ES modules like the coordinator
 * dashboard, whose modules it shares (labels, API, page helpers, names, key panel); makes no
 * request to any other host. Signed in by a session cookie (GET /api/v1/session) or, until then,
 * by a kitchen's API key (the #key=... link, kept for the tab). */
import {
  HttpError, forgetKey, getJson, getOrMissing, postJson, readSession, saveKey, storedKey,
  takeKeyFromAddress,
} from "../api.js";
import { byId, enc, setText } from "../dom.js";
import { openWithKey } from "../files.js";
import { day, labelsLoaded, refreshInterval, rememberLanguage, storedLanguage, t } from "../labels.js";
import { ensureNames, loadNames, nm } from "../names.js";
import { state } from "../state.js";
import { noteFailure, renderConnection, renderKeyPanel } from "../status.js";
import { applyPageLabels, noteLoaded, renderRoutePage, showSection } from "../shell.js";
import { wireCancelDay } from "./cancel_day.js";
import { fillQuantities, sendConfirm } from "./confirm.js";
import { fillDefaults, labelForm, renderPreview, sendOrder } from "./form.js";
import { loadDaysOff, renderDaysOff, wireDaysOff } from "./days_off.js";
import { setKitchen } from "./holidays.js";
import { renderContracts, renderOrder, renderOrders } from "./orders.js";

let refreshMs = 5000;

const portal = {
  buyerId: "", // the kitchen this page works for (its session's or its key's)
  notKitchen: false,
  via: "", // "session" when signed in with a link (a cookie), "api_key" with a key
  flash: "",
};

function parseRoute() {
  const path = (location.hash || "#/").replace(/^#/, "") || "/";
  const parts = path.split("/").filter(Boolean);
  if (!parts.length) {
    return { page: "orders", key: "/" };
  }
  if (parts[0] === "new" && parts.length === 1) {
    return { page: "new", key: "/new" };
  }
  if (parts[0] === "contracts" && parts.length === 1) {
    return { page: "contracts", key: "/contracts" };
  }
  if (parts[0] === "days-off" && parts.length === 1) {
    return { page: "daysoff", key: "/days-off" };
  }
  if (parts[0] === "order" && parts.length === 2) {
    let id = parts[1];
    try {
      id = decodeURIComponent(id);
    } catch (err) {
      // the id as written
    }
    return { page: "order", id: id, key: "/order/" + parts[1] };
  }
  return { page: "notfound", key: path };
}

/* The kitchen of the session, or of the key: a kitchen's key sees one buyer, itself. */
async function identify() {
  const session = await readSession();
  portal.via = session ? String(session.via || "") : "";
  if (session && session.role) {
    portal.notKitchen = session.role !== "kitchen";
    portal.buyerId = session.role === "kitchen" ? String(session.participant_id || session.participant || "") : "";
    return;
  }
  const buyers = await getJson("/buyers");
  portal.notKitchen = buyers.length !== 1;
  portal.buyerId = buyers.length === 1 ? buyers[0].id : "";
}

async function loadOrders() {
  const me = enc(portal.buyerId);
  const answers = await Promise.all([
    getJson("/orders?buyer_id=" + me),
    getJson("/contracts?buyer_id=" + me + "&limit=1000"),
    getJson("/report/planning?buyer_id=" + me),
  ]);
  const orders = await Promise.all(answers[0].map(function (o) {
    return o.state === "open" ? getJson("/orders/" + enc(o.id)) : o;
  }));
  await ensureNames(answers[1].map(function (c) { return c.group_id; }), [portal.buyerId]);
  return { orders: orders, contracts: answers[1], planning: answers[2] };
}

async function loadOrder(route) {
  let order = null;
  try {
    order = await getOrMissing("/orders/" + enc(route.id));
  } catch (err) {
    if (err instanceof HttpError && err.status === 403) {
      return { forbidden: true, order: null, contracts: [], planning: null };
    }
    throw err;
  }
  if (!order) {
    return { missing: true, order: null, contracts: [], planning: null };
  }
  const me = enc(portal.buyerId);
  const answers = await Promise.all([
    getJson("/contracts?buyer_id=" + me + "&limit=1000"),
    getJson("/report/planning?buyer_id=" + me),
  ]);
  await ensureNames(answers[0].map(function (c) { return c.group_id; }), [portal.buyerId]);
  return { order: order, contracts: answers[0], planning: answers[1] };
}

async function loadContracts() {
  const contracts = await getJson("/contracts?buyer_id=" + enc(portal.buyerId) + "&limit=1000");
  await ensureNames(contracts.map(function (c) { return c.group_id; }), [portal.buyerId]);
  return { contracts: contracts };
}

const PAGES = {
  orders: { load: loadOrders, render: renderOrders },
  order: { load: loadOrder, render: renderOrder },
  contracts: { load: loadContracts, render: function (data) { renderContracts(data, portal.buyerId); } },
  daysoff: { load: function () { return loadDaysOff(portal.buyerId); }, render: renderDaysOff, still: true },
  new: { load: async function () { return {}; }, render: renderPreview, still: true },
  notfound: { load: async function () { return {}; }, render: function () {}, still: true },
};

function renderStatus() {
  renderConnection("kp_forbidden");
  byId("kp-signout").hidden = portal.via !== "session";
  byId("kp-not-kitchen").hidden = !portal.notKitchen;
  const buyer = state.buyers[portal.buyerId];
  setText(byId("kp-kitchen"), buyer ? nm(buyer) : "");
  setKitchen(buyer);
  const flash = byId("kp-flash");
  flash.hidden = !portal.flash;
  setText(flash, portal.flash);
}

function applyLabels() {
  applyPageLabels("kp_title");
  if (Object.keys(state.crops).length) {
    labelForm();
  }
}

function renderPage() {
  renderRoutePage(PAGES);
}


function failed(err, generation) {
  if (generation !== state.generation) {
    return;
  }
  noteFailure(err);
  // 403 on the kitchen's own lists: this key or session is not a kitchen's.
  portal.notKitchen = state.forbidden && state.route.page !== "order";
  renderStatus();
  renderKeyPanel();
  if (!state.needKey && !portal.notKitchen) {
    state.timer = setTimeout(tick, refreshMs);
  }
}

async function tick() {
  clearTimeout(state.timer);
  const generation = ++state.generation;
  const route = state.route;
  let data;
  try {
    if (!portal.buyerId) {
      await identify();
    }
    if (!Object.keys(state.crops).length) {
      await loadNames();
      labelForm();
      fillDefaults();
      renderPreview();
    }
    if (portal.notKitchen) {
      throw new HttpError("/buyers", 403);
    }
    data = await PAGES[route.page].load(route);
  } catch (err) {
    failed(err, generation);
    return;
  }
  if (generation !== state.generation) {
    return;
  }
  if (!PAGES[route.page].still) {
    state.timer = setTimeout(tick, refreshMs);
  }
  noteLoaded(data, route);
  renderStatus();
  renderKeyPanel();
  renderPage();
  document.body.setAttribute("data-loaded", route.key);
}

function navigate() {
  takeKeyFromAddress();
  const previous = state.route;
  state.route = parseRoute();
  showSection(state.route);
  if (previous && previous.key !== state.route.key) {
    window.scrollTo(0, 0);
    if (state.route.page !== "orders") {
      portal.flash = "";
      renderStatus();
    }
  }
  document.body.removeAttribute("data-loaded");
  tick();
}

async function onOrderSubmit(event) {
  event.preventDefault();
  const button = event.target.querySelector("button[type=submit]");
  button.disabled = true;
  try {
    const order = await sendOrder(portal.buyerId);
    if (order) {
      portal.flash = t("kp_sent", { id: order.id });
      fillDefaults();
      renderPreview();
      location.hash = "#/";
      renderStatus();
    }
  } catch (err) {
    failed(err, state.generation);
  } finally {
    button.disabled = false;
  }
}

async function onCancelSubmit(event) {
  event.preventDefault();
  const reason = byId("kp-cancel-reason").value.trim();
  const error = byId("kp-cancel-reason-error");
  error.hidden = !!reason;
  setText(error, reason ? "" : t("kp_err_reason"));
  if (!reason) {
    byId("kp-cancel-reason").focus();
    return;
  }
  const id = state.route.id;
  try {
    await postJson("/orders/" + enc(id) + "/cancel", { reason: reason });
  } catch (err) {
    if (err instanceof HttpError && err.body && err.body.detail) {
      error.hidden = false;
      setText(error, typeof err.body.detail === "string" ? err.body.detail : t("kp_cancel_failed"));
      return;
    }
    failed(err, state.generation);
    return;
  }
  byId("kp-cancel-reason").value = "";
  portal.flash = t("kp_cancelled", { id: id });
  location.hash = "#/";
  renderStatus();
}

async function onConfirmSubmit(event) {
  event.preventDefault();
  const button = event.target.querySelector("button[type=submit]");
  button.disabled = true;
  try {
    const confirmed = await sendConfirm();
    if (confirmed) {
      portal.flash = t("kp_confirmed", { date: day(confirmed) });
      renderStatus();
      tick();
    }
  } catch (err) {
    failed(err, state.generation);
  } finally {
    button.disabled = false;
  }
}

/* Ends the cookie session (the cookie stops working) and starts the page again. */
async function signOut() {
  try {
    await postJson("/session/sign-out", {});
  } catch (err) {
    // The session has ended already.
  }
  forgetKey();
  location.hash = "#/";
  location.reload();
}

function onKeySubmit(event) {
  event.preventDefault();
  const key = byId("key-input").value.trim();
  if (!key) {
    return;
  }
  saveKey(key, byId("key-remember").checked);
  byId("key-input").value = "";
  state.needKey = false;
  portal.buyerId = "";
  renderKeyPanel();
  tick();
}

function start() {
  document.querySelectorAll("[data-lang]").forEach(function (button) {
    button.addEventListener("click", function () {
      rememberLanguage(button.getAttribute("data-lang"));
      applyLabels();
      renderStatus();
      renderPage();
    });
  });
  byId("key-form").addEventListener("submit", onKeySubmit);
  byId("key-forget").addEventListener("click", function () {
    forgetKey();
    portal.buyerId = "";
    renderStatus();
    tick();
  });
  byId("kp-signout").addEventListener("click", signOut);
  byId("kp-form").addEventListener("submit", onOrderSubmit);
  byId("kp-form").addEventListener("input", renderPreview);
  byId("kp-form").addEventListener("change", renderPreview);
  byId("kp-cancel").addEventListener("submit", onCancelSubmit);
  byId("kp-confirm").addEventListener("submit", onConfirmSubmit);
  byId("kp-confirm-which").addEventListener("change", fillQuantities);
  wireCancelDay(function () { return state.route.id; }, function (date) {
    portal.flash = t("kp_day_cancelled_flash", { date: day(date) });
    renderStatus();
    tick();
  }, function (err) { failed(err, state.generation); });
  wireDaysOff(function () { return portal.buyerId; }, function () {
    portal.flash = t("kp_days_off_saved");
    renderStatus();
  }, function (err) { failed(err, state.generation); });
  document.addEventListener("click", function (event) {
    const link = event.target.closest ? event.target.closest("a[data-doc], a[data-csv]") : null;
    if (link) {
      openWithKey(link, event);
    }
  });
  window.addEventListener("hashchange", navigate);
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden && !PAGES[state.route.page].still) {
      tick();
    }
  });
  applyLabels();
  navigate();
}

async function boot() {
  refreshMs = refreshInterval(5000);
  state.lang = storedLanguage();
  state.apiKey = storedKey();
  await labelsLoaded(refreshMs);
  start();
}

boot();
