/* What the dashboard and the participants' pages share around their own content: the page's
 * fixed words in the language shown, which section a route shows, drawing the route's page and the
 * bookkeeping of a refresh that succeeded. */
import { setText } from "./dom.js";
import { t } from "./labels.js";
import { state } from "./state.js";

/* The language buttons say which language is shown. */
export function markLanguageButtons() {
  document.querySelectorAll("[data-lang]").forEach(function (button) {
    const active = button.getAttribute("data-lang") === state.lang;
    button.classList.toggle("active", active);
    button.setAttribute("aria-pressed", active ? "true" : "false");
  });
}

/* The page's language and title (the label ``titleKey``), every ``data-i18n`` text and
 * ``data-i18n-aria`` name in the language shown, and the language buttons. */
export function applyPageLabels(titleKey) {
  document.documentElement.lang = state.lang;
  document.title = t(titleKey);
  document.querySelectorAll("[data-i18n]").forEach(function (el) {
    setText(el, t(el.getAttribute("data-i18n")));
  });
  document.querySelectorAll("[data-i18n-aria]").forEach(function (el) {
    el.setAttribute("aria-label", t(el.getAttribute("data-i18n-aria")));
  });
  markLanguageButtons();
}

/* Shows the route's ``section.page`` and marks its link in the navigation. */
export function showSection(route) {
  document.querySelectorAll("section.page").forEach(function (section) {
    section.hidden = section.getAttribute("data-page") !== route.page;
  });
  document.querySelectorAll("nav.nav a").forEach(function (link) {
    if (link.getAttribute("data-route") === route.page) {
      link.setAttribute("aria-current", "page");
    } else {
      link.removeAttribute("aria-current");
    }
  });
}

/* Draws the route's page from ``pages`` when the data held are the route's. */
export function renderRoutePage(pages) {
  const route = state.route;
  if (state.data && state.dataRoute && state.dataRoute.key === route.key) {
    pages[route.page].render(state.data, route);
  }
}

/* A refresh of ``route`` succeeded with ``data``: online, with a usable key, updated now. */
export function noteLoaded(data, route) {
  state.data = data;
  state.dataRoute = route;
  state.offline = false;
  state.needKey = false;
  state.forbidden = false;
  state.serverError = 0;
  state.updated = new Date();
}
