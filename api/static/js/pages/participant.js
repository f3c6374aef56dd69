/* What a kitchen's and a group's page share: the picker and the page for an unknown id. */
import { byId, esc, setHtml, setText } from "../dom.js";
import { locale } from "../labels.js";
import { nm } from "../names.js";

/* A kitchen or group page for an id that does not exist: say so and empty its tables.
 * Returns whether the page is missing. */
export function showMissing(page, missing, id, tables) {
  byId(page + "-missing").hidden = !missing;
  if (!missing) {
    return false;
  }
  setText(byId(page + "-name"), id);
  setHtml(byId(page + "-details"), "");
  tables.forEach(function (name) {
    setHtml(byId(page + "-" + name + "-body"), "");
  });
  return true;
}

export function participantOptions(select, table, chosen) {
  const items = Object.keys(table).map(function (id) { return [id, nm(table[id])]; })
    .sort(function (a, b) { return a[1].localeCompare(b[1], locale()); });
  const html = items.map(function (item) {
    return '<option value="' + esc(item[0]) + '">' + esc(item[1]) + "</option>";
  }).join("");
  setHtml(select, html);
  if (select.value !== chosen) {
    select.value = chosen;
  }
}
