/* The page's HTML: escaping, innerHTML and text set only when they change, table rows, lists of
 * facts, badges and reasons. */
import { t, tOr } from "./labels.js";

export function esc(value) {
  if (value === null || value === undefined) {
    return "";
  }
  return String(value).replace(/[&<>"']/g, function (ch) {
    return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[ch];
  });
}

export function enc(value) {
  return encodeURIComponent(value);
}

export function reasonHtml(reason) {
  return esc(tOr("reason_" + reason, reason)) +
    ' <span class="code">' + esc(reason) + "</span>";
}

export function badge(prefix, value) {
  return '<span class="badge ' + esc(prefix + value) + '">' +
    esc(tOr(prefix + value, value)) + "</span>";
}

export function setHtml(el, html) {
  if (el && el.__fmHtml !== html) {
    el.innerHTML = html;
    el.__fmHtml = html;
  }
}

export function setText(el, text) {
  if (el && el.textContent !== text) {
    el.textContent = text;
  }
}

export function byId(id) {
  return document.getElementById(id);
}

export function emptyRow(columns) {
  return '<tr class="empty"><td colspan="' + columns + '">' + esc(t("none")) + "</td></tr>";
}

export function rows(items, columns, render) {
  return items.length ? items.map(render).join("") : emptyRow(columns);
}

export function facts(pairs) {
  return pairs.filter(function (p) { return p[1] !== null && p[1] !== undefined && p[1] !== ""; })
    .map(function (p) {
      return "<div><dt>" + esc(t(p[0])) + "</dt><dd" + (p[2] ? ' data-fact="' + esc(p[2]) + '"' : "") +
        ">" + p[1] + "</dd></div>";
    }).join("");
}
