/* foodmatch bank page (/bank/): a bank (BAAC) reads, read-only, the forward revenue of the
 * farmer groups that consented to it: their list, and for one group a table and a chart by month
 * (contracted, delivered, refused), the buyers behind it and the CSV. Thai first with English;
 * the labels, API, key and file helpers are the dashboard's. Reads only the bank's routes
 * (/api/v1/bank/..., /api/v1/session): a bank key may read nothing else. */
import { HttpError, forgetKey, getJson, readSession, saveKey, storedKey, takeKeyFromAddress } from "../api.js";
import { upsertChart, setupChartDefaults } from "../charts.js";
import { byId, enc, esc, setHtml, setText } from "../dom.js";
import { openWithKey } from "../files.js";
import { day, labelsLoaded, locale, money, num, refreshInterval, rememberLanguage, storedLanguage, t } from "../labels.js";
import { nm } from "../names.js";
import { state } from "../state.js";
import { noteFailure, renderConnection, renderKeyPanel } from "../status.js";
import { applyPageLabels, noteLoaded, renderRoutePage, showSection } from "../shell.js";

let refreshMs = 30000;

const page = {
  bank: "", // the bank key's name (GET /session)
  identified: false,
  notBank: false,
  groups: {}, // id -> the consented group, for its name and district
};

const COLOURS = { contracted: "#2f7d4a", delivered: "#3b6ea5", refused: "#b4532a" };

function parseRoute() {
  const path = (location.hash || "#/").replace(/^#/, "") || "/";
  const parts = path.split("/").filter(Boolean);
  if (!parts.length) {
    return { page: "groups", key: "/" };
  }
  if (parts[0] === "group" && parts.length === 2) {
    let id = parts[1];
    try {
      id = decodeURIComponent(id);
    } catch (err) {
      // the id as written
    }
    return { page: "group", id: id, key: "/group/" + parts[1] };
  }
  return { page: "notfound", key: path };
}

/* "2027-01" as the month of the language shown (the Thai one in the Buddhist era). */
function monthName(month) {
  const parts = String(month).split("-").map(Number);
  return new Date(parts[0], parts[1] - 1, 1).toLocaleDateString(locale(), { month: "short", year: "numeric" });
}

function districtOf(g) {
  const name = state.lang === "th" ? g.district_name_th || g.district_name_en
    : g.district_name_en || g.district_name_th;
  return name || g.district || "";
}

async function identify() {
  const session = await readSession();
  page.identified = true;
  if (session && session.role) {
    page.notBank = session.role !== "bank" && session.role !== "coordinator";
    page.bank = session.role === "bank" ? String(session.name_th || "") : "";
  }
}

async function loadGroups() {
  const groups = await getJson("/bank/groups");
  groups.forEach(function (g) { page.groups[g.id] = g; });
  return { groups: groups };
}

async function loadGroup(route) {
  try {
    return { revenue: await getJson("/bank/groups/" + enc(route.id) + "/revenue") };
  } catch (err) {
    if (err instanceof HttpError && (err.status === 403 || err.status === 404)) {
      return { refused: true };
    }
    throw err;
  }
}

function renderGroups(data) {
  const rows = data.groups.map(function (g) {
    return "<tr><td><a href=\"#/group/" + esc(enc(g.id)) + "\" data-group=\"" + esc(g.id) + "\">" +
      esc(nm(g)) + "</a></td><td>" + esc(districtOf(g)) + "</td><td class=\"num\">" +
      esc(num(g.members)) + "</td><td>" + esc(day(String(g.consented_at).slice(0, 10))) + "</td></tr>";
  });
  setHtml(byId("bk-groups-body"), rows.length ? rows.join("")
    : "<tr><td colspan=\"4\" class=\"muted\">" + esc(t("bk_no_groups")) + "</td></tr>");
}

function amountCells(m) {
  return "<td class=\"num\">" + esc(money(m.contracted)) + "</td><td class=\"num\">" +
    esc(money(m.delivered)) + "</td><td class=\"num\">" + esc(money(m.refused)) + "</td>";
}

function renderChart(revenue) {
  const kinds = [
    { field: "contracted", label: t("bk_col_contracted") },
    { field: "delivered", label: t("bk_col_delivered") },
    { field: "refused", label: t("bk_col_refused") },
  ];
  upsertChart("bk-chart", {
    type: "bar",
    data: {
      labels: revenue.months.map(function (m) { return monthName(m.month); }),
      datasets: kinds.map(function (kind) {
        return {
          label: kind.label,
          data: revenue.months.map(function (m) { return Number(m[kind.field]); }),
          backgroundColor: COLOURS[kind.field],
        };
      }),
    },
    options: { plugins: { legend: { display: true } }, scales: { y: { beginAtZero: true } } },
  });
}

function renderGroup(data, route) {
  byId("bk-no-consent").hidden = !data.refused;
  byId("bk-group-box").hidden = !!data.refused;
  if (data.refused) {
    return;
  }
  const revenue = data.revenue;
  setText(byId("bk-group-name"), nm(revenue) + (districtOf(revenue) ? " · " + districtOf(revenue) : ""));
  const csv = byId("bk-csv");
  csv.setAttribute("href", "/api/v1/bank/groups/" + enc(route.id) + "/revenue.csv?lang=" + state.lang);
  csv.setAttribute("download", "bank-" + route.id + "-revenue.csv");
  setHtml(byId("bk-months-body"), revenue.months.length ? revenue.months.map(function (m) {
    return "<tr><th scope=\"row\">" + esc(monthName(m.month)) + "</th>" + amountCells(m) + "</tr>";
  }).join("") : "<tr><td colspan=\"4\" class=\"muted\">" + esc(t("bk_no_revenue")) + "</td></tr>");
  setHtml(byId("bk-months-total"), "<tr><th scope=\"row\">" + esc(t("bk_total")) + "</th>" +
    amountCells(revenue.total) + "</tr>");
  setHtml(byId("bk-buyers-body"), revenue.buyers.map(function (b) {
    return "<tr><td>" + esc(nm({ name_th: b.name_th, name_en: b.name_en, id: b.buyer_id })) +
      "</td><td>" + esc(b.kind ? t("kind_" + b.kind) : "") + "</td><td class=\"num\">" +
      esc(money(b.contracted)) + "</td></tr>";
  }).join(""));
  renderChart(revenue);
}

const PAGES = {
  groups: { load: loadGroups, render: renderGroups },
  group: { load: loadGroup, render: renderGroup },
  notfound: { load: async function () { return {}; }, render: function () {}, still: true },
};

function renderStatus() {
  renderConnection("bk_forbidden");
  byId("bk-not-bank").hidden = !page.notBank;
  setText(byId("bk-bank"), page.bank);
}

function applyLabels() {
  applyPageLabels("bk_title");
}

function renderPage() {
  renderRoutePage(PAGES);
}


function failed(err, generation) {
  if (generation !== state.generation) {
    return;
  }
  noteFailure(err);
  page.notBank = page.notBank || state.forbidden;
  renderStatus();
  renderKeyPanel();
  if (!state.needKey && !state.forbidden) {
    state.timer = setTimeout(tick, refreshMs);
  }
}

async function tick() {
  clearTimeout(state.timer);
  const generation = ++state.generation;
  const route = state.route;
  let data;
  try {
    if (!page.identified) {
      await identify();
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
  }
  document.body.removeAttribute("data-loaded");
  tick();
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
  page.identified = false;
  page.bank = "";
  page.notBank = false;
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
    page.identified = false;
    page.bank = "";
    renderStatus();
    tick();
  });
  document.addEventListener("click", function (event) {
    const link = event.target.closest ? event.target.closest("a[data-csv]") : null;
    if (link) {
      openWithKey(link, event);
    }
  });
  window.addEventListener("hashchange", navigate);
  setupChartDefaults();
  applyLabels();
  navigate();
}

async function boot() {
  refreshMs = refreshInterval(30000);
  state.lang = storedLanguage();
  state.apiKey = storedKey();
  await labelsLoaded(refreshMs);
  start();
}

boot();
