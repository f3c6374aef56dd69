/* #/kitchens : every kitchen with what it ordered and what is under contract. */
import { getJson } from "../api.js";
import { byId, enc, esc, rows, setHtml } from "../dom.js";
import { locale, num, pct, tOr } from "../labels.js";
import { districtName, ensureNames, nm } from "../names.js";

export const kitchensPage = {
  load: async function () {
    const data = await getJson("/map");
    await ensureNames([], data.buyers.map(function (b) { return b.id; }));
    return data;
  },
  render: function (data) {
    const buyers = data.buyers.slice().sort(function (a, b) {
      return nm(a).localeCompare(nm(b), locale());
    });
    setHtml(byId("kitchens-body"), rows(buyers, 6, function (b) {
      return '<tr data-buyer="' + esc(b.id) + '"><th scope="row">' +
        '<a href="#/kitchen/' + esc(enc(b.id)) + '">' + esc(nm(b)) + "</a></th>" +
        "<td>" + esc(tOr("kind_" + b.kind, b.kind)) + "</td>" +
        "<td>" + esc(districtName(b.district)) + "</td>" +
        '<td class="num">' + esc(num(b.ordered)) + "</td>" +
        '<td class="num">' + esc(num(b.contracted)) + "</td>" +
        '<td class="num">' + esc(b.ordered ? pct(b.contracted / b.ordered) : "–") + "</td></tr>";
    }));
  },
};
