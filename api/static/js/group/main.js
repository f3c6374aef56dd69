/* foodmatch farmer group portal at /group/: the group's proposals, supply, coming deliveries,
 * contracts with the income by month, and certificates, for a phone first. ES modules, no build
 * step, sharing the coordinator dashboard's modules (labels, API, names, HTML); asks nothing of
 * any other host. The group is the one its sign-in session or its API key (a #key=... link)
 * speaks for. */
import {
  forgetKey, getJson, HttpError, postJson, readSession, saveKey, storedKey, takeKeyFromAddress,
} from "../api.js";
import { byId, enc, esc, setHtml, setText } from "../dom.js";
import { labelsLoaded, refreshInterval, rememberLanguage, storedLanguage, t } from "../labels.js";
import { buyerName, cropName, nm } from "../names.js";
import { markLanguageButtons } from "../shell.js";
import { state } from "../state.js";
import { bankPanel, loadBankConsent, toggleBankConsent } from "./bank.js";
import { loadAll, loadGroup, portal, proposals } from "./data.js";
import { announce, firstErrorField, rememberDraft, supplyPage, supplySummary, withdrawSupply } from "./supply.js";
import {
  certificatesPage, contractPage, contractRefused, contractsPage, deliveriesPage, proposalsPage,
  rejectReasons,
} from "./views.js";

const REFRESH_MS = refreshInterval(30000);
const PAGES = {
  proposals: proposalsPage,
  supply: supplyPage,
  deliveries: deliveriesPage,
  contracts: contractsPage,
  certificates: certificatesPage,
};
let timer = null;
let detail = null; // {id, contract} or {id, status} of the contract page shown
let problem = "";
let session = null; // GET /api/v1/session's answer, when the server has the route
let toastTimer = null;
const TOAST_MS = 12000;

function route() {
  const parts = location.hash.replace(/^#\/?/, "").split("/").filter(Boolean);
  const key = "/" + parts.join("/");
  if (parts[0] === "contract" && parts[1]) {
    let id = parts[1];
    try {
      id = decodeURIComponent(parts[1]);
    } catch (err) {
      // The id as written.
    }
    return { page: "contract", id: id, key: key };
  }
  return PAGES[parts[0]] ? { page: parts[0], key: key } : { page: "proposals", key: "/" };
}

function applyLabels() {
  document.documentElement.lang = state.lang;
  document.title = t("gp_title") + (portal.group ? " · " + nm(portal.group) : "");
  setText(byId("gp-who"), portal.group ? nm(portal.group) : t("gp_title"));
  setText(byId("gp-nav-proposals"), t("gp_nav_proposals"));
  setText(byId("gp-nav-supply"), t("gp_nav_supply"));
  setText(byId("gp-nav-deliveries"), t("gp_nav_deliveries"));
  setText(byId("gp-nav-contracts"), t("gp_nav_contracts"));
  setText(byId("gp-nav-certificates"), t("gp_nav_certificates"));
  setText(byId("gp-signout"), t("gp_sign_out"));
  byId("gp-nav").setAttribute("aria-label", t("navigation"));
  byId("gp-lang").setAttribute("aria-label", t("language"));
  markLanguageButtons();
}

function keyPanel() {
  return '<form id="key-form" autocomplete="off"><h2>' + esc(t("gp_key_title")) + "</h2><p>" +
    esc(t("gp_key_help")) + "</p>" +
    (state.apiKey ? '<p class="notice" data-testid="key-error">' + esc(t("key_rejected")) + "</p>" : "") +
    '<div class="gp-field"><label for="key-input">' + esc(t("key_label")) + "</label>" +
    '<input type="password" id="key-input" data-testid="key-input" spellcheck="false" autocomplete="off"></div>' +
    '<button type="submit" class="button gp-big" data-testid="key-save">' + esc(t("key_save")) +
    "</button></form>";
}

/* Someone is filling in the supply form: the timed refresh leaves the page as it is. */
function typing() {
  const form = byId("supply-form");
  return Boolean(form && form.contains(document.activeElement));
}

function render() {
  applyLabels();
  const here = route();
  const ready = Boolean(portal.group) && !portal.notGroup;
  byId("gp-nav").hidden = !ready;
  byId("gp-signout").hidden = !(portal.group || portal.notGroup || state.apiKey);
  byId("gp-key").hidden = ready || portal.notGroup || !state.needKey;
  setHtml(byId("gp-key"), byId("gp-key").hidden ? "" : keyPanel());
  const problemEl = byId("gp-problem");
  problemEl.hidden = !problem && !portal.notGroup;
  setText(problemEl, portal.notGroup ? t("gp_not_a_group") : problem);
  const count = proposals().length;
  byId("gp-count").hidden = !count;
  setText(byId("gp-count"), String(count));
  document.querySelectorAll("#gp-nav [data-route]").forEach(function (link) {
    const current = link.getAttribute("data-route") === (here.page === "contract" ? "contracts" : here.page);
    if (current) {
      link.setAttribute("aria-current", "page");
    } else {
      link.removeAttribute("aria-current");
    }
  });
  if (!ready) {
    setHtml(byId("gp-page"), "");
    return;
  }
  const waiting = here.page === "contract" && (!detail || detail.id !== here.id);
  let html;
  if (waiting) {
    html = '<p class="gp-empty">' + esc(t("gp_loading")) + "</p>";
  } else if (here.page === "contract") {
    html = detail.contract ? contractPage(detail.contract) : contractRefused(detail.status);
  } else {
    html = PAGES[here.page]() + (here.page === "contracts" ? bankPanel() : "");
  }
  const page = byId("gp-page");
  const focused = document.activeElement && page.contains(document.activeElement)
    ? document.activeElement.id : "";
  setHtml(page, html);
  if (focused && byId(focused) && document.activeElement !== byId(focused)) {
    byId(focused).focus(); // a redraw keeps the field being filled in
  }
  page.setAttribute("data-page", here.page);
  // What the browser tests wait for: the route (as in the address) whose data are shown.
  document.body.dataset.loaded = waiting ? "" : here.key;
}

/* What a tap did, at the foot of the screen for a while (or until tapped). */
function say(text) {
  const toast = byId("gp-toast");
  clearTimeout(toastTimer);
  setText(toast, text);
  toast.hidden = !text;
  if (text) {
    toastTimer = setTimeout(function () { say(""); }, TOAST_MS);
  }
}

/* Ends the cookie session, or forgets the key this tab holds; the page starts again. */
async function signOut() {
  try {
    if (session && session.via === "session") {
      await postJson("/session/sign-out", {});
    }
  } catch (err) {
    // The session has ended already.
  }
  forgetKey();
  location.hash = "#/";
  location.reload();
}

function failed(err) {
  const status = err instanceof HttpError ? err.status : 0;
  state.needKey = status === 401;
  problem = status === 401 ? "" : status === 403 ? t("gp_forbidden")
    : status ? t("server_error", { status: status }) : t("gp_offline");
}

async function loadContract(id) {
  try {
    detail = { id: id, contract: await getJson("/contracts/" + enc(id)) };
  } catch (err) {
    if (err instanceof HttpError && (err.status === 403 || err.status === 404)) {
      detail = { id: id, status: err.status };
    } else {
      throw err;
    }
  }
}

/* Reads the group's data again and redraws (a timed refresh, without `force`, leaves a form
 * being filled in alone). */
async function refresh(force) {
  clearTimeout(timer);
  try {
    if (!portal.group && !portal.notGroup) {
      session = await readSession();
      await loadGroup(session);
    }
    if (portal.group) {
      await loadAll();
      await loadBankConsent();
      const here = route();
      if (here.page === "contract") {
        await loadContract(here.id);
      }
    }
    state.needKey = false;
    problem = "";
  } catch (err) {
    failed(err);
  }
  if (force || !typing()) {
    render();
  }
  if (!state.needKey && !portal.notGroup) {
    timer = setTimeout(refresh, REFRESH_MS);
  }
}

/* One change sent from a tap: the toast says what happened, the page is read again. */
async function act(change, done) {
  say("");
  try {
    const answer = await change();
    say(done(answer));
  } catch (err) {
    if (err instanceof HttpError && err.status === 409) {
      say(t("gp_too_late"));
    } else {
      failed(err);
    }
  }
  portal.rejecting = null;
  portal.withdrawing = null;
  await refresh(true);
}

function contractOf(id) {
  return portal.contracts.find(function (c) { return c.id === id; });
}

function reasonText(code) {
  const found = rejectReasons().find(function (r) { return r.code === code; });
  return found ? found.label : code;
}

const ACTIONS = {
  "accept": function (button) {
    const c = contractOf(button.dataset.id);
    return act(function () {
      return postJson("/contracts/" + enc(button.dataset.id) + "/accept", {});
    }, function () {
      return t("gp_accepted", { crop: cropName(c.crop_id), buyer: buyerName(c.buyer_id) });
    });
  },
  "reject-open": function (button) {
    portal.rejecting = button.dataset.id;
    render();
  },
  "reject-close": function () {
    portal.rejecting = null;
    render();
  },
  "reject": function (button) {
    const c = contractOf(button.dataset.id);
    const reason = reasonText(button.dataset.reason);
    return act(function () {
      return postJson("/contracts/" + enc(button.dataset.id) + "/reject", { reason: reason });
    }, function () {
      return t("gp_rejected", { crop: cropName(c.crop_id), buyer: buyerName(c.buyer_id), reason: reason });
    });
  },
  "withdraw-open": function (button) {
    portal.withdrawing = button.dataset.id;
    render();
  },
  "withdraw-close": function () {
    portal.withdrawing = null;
    render();
  },
  "bank-consent": function () {
    return act(function () {
      return toggleBankConsent(session ? session.csrf_token : "");
    }, function (granted) {
      return granted ? t("gp_bank_granted") : t("gp_bank_revoked");
    });
  },
  "withdraw": function (button) {
    return act(function () {
      return withdrawSupply(button.dataset.id);
    }, function (s) {
      return t("gp_withdrawn", { crop: cropName(s.crop_id) });
    });
  },
};

function onClick(event) {
  const button = event.target.closest("[data-act]");
  if (button && ACTIONS[button.dataset.act]) {
    event.preventDefault();
    button.disabled = true;
    ACTIONS[button.dataset.act](button);
    return;
  }
  if (event.target.closest("#gp-toast")) {
    say("");
    return;
  }
  if (event.target.closest("#gp-signout")) {
    signOut();
    return;
  }
  const lang = event.target.closest("[data-lang]");
  if (lang) {
    rememberLanguage(lang.getAttribute("data-lang"));
    render();
  }
}

async function onSupply(form) {
  const button = form.querySelector("[type=submit]");
  button.disabled = true;
  say("");
  let made = null;
  try {
    made = await announce(form);
  } catch (err) {
    failed(err);
  }
  if (made) {
    say(supplySummary(made));
    await refresh(true);
    return;
  }
  render();
  const wrong = firstErrorField();
  if (wrong && byId("sp-" + wrong)) {
    byId("sp-" + wrong).focus();
  }
}

function onSubmit(event) {
  const form = event.target;
  if (form.id === "supply-form") {
    event.preventDefault();
    onSupply(form);
  } else if (form.id === "key-form") {
    event.preventDefault();
    const key = byId("key-input").value.trim();
    if (key) {
      saveKey(key, false);
      state.needKey = false;
      refresh(true);
    }
  }
}

function onInput(event) {
  const form = event.target.form;
  if (form && form.id === "supply-form") {
    rememberDraft(form);
    if (event.type === "change" && event.target.name === "crop") {
      render(); // the unit in the labels follows the crop
    }
  }
}

async function boot() {
  rememberLanguage(storedLanguage());
  takeKeyFromAddress();
  state.apiKey = storedKey();
  await labelsLoaded(3000);
  document.addEventListener("click", onClick);
  document.addEventListener("submit", onSubmit);
  document.addEventListener("change", onInput);
  document.addEventListener("input", onInput);
  window.addEventListener("hashchange", function () {
    say("");
    detail = null;
    render();
    if (route().page === "contract") {
      refresh(true);
    }
    byId("view").focus();
  });
  await refresh(true);
}

boot();
