/* Hash routing: the route in the address and the page it shows. */
import { PAGES } from "./pages.js";

const SIMPLE_PAGES = ["map", "fill", "unmet", "groups", "kitchens", "planning"];

export function parseRoute() {
  const hash = location.hash.replace(/^#/, "");
  const cut = hash.indexOf("?");
  const path = cut >= 0 ? hash.slice(0, cut) : hash;
  const params = new URLSearchParams(cut >= 0 ? hash.slice(cut + 1) : "");
  let parts;
  try {
    parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  } catch (err) {
    return { page: "notfound", params: params, key: hash };
  }
  const route = { page: "notfound", params: params, key: hash };
  if (parts.length === 0) {
    route.page = "overview";
  } else if (parts.length === 1 && SIMPLE_PAGES.indexOf(parts[0]) >= 0) {
    route.page = parts[0];
  } else if (parts.length === 2 && (parts[0] === "kitchen" || parts[0] === "group")) {
    route.page = parts[0];
    route.id = parts[1];
  }
  return route;
}

export function showPage(route) {
  document.querySelectorAll(".page").forEach(function (section) {
    section.hidden = section.getAttribute("data-page") !== route.page;
  });
  const navFor = { kitchen: "kitchens", group: "groups" }[route.page] || route.page;
  document.querySelectorAll("[data-route]").forEach(function (link) {
    if (link.getAttribute("data-route") === navFor) {
      link.setAttribute("aria-current", "page");
    } else {
      link.removeAttribute("aria-current");
    }
  });
  const page = PAGES[route.page];
  if (page && page.shown) {
    page.shown();
  }
}
