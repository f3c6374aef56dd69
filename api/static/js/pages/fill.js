/* #/fill : the fill rate by crop and ISO week (a heat map) and by crop. */
import { getJson } from "../api.js";
import { upsertChart } from "../charts.js";
import { byId, esc, rows, setHtml, setText } from "../dom.js";
import { num, pct, t, unitLabel } from "../labels.js";
import { nm } from "../names.js";

function heatColour(rate) {
  const r = Math.max(0, Math.min(1, Number(rate || 0)));
  return "hsl(" + Math.round(r * 125) + ", 62%, " + Math.round(86 - r * 14) + "%)";
}

export const fillPage = {
  load: function () {
    return getJson("/stats/fill");
  },
  render: function (data) {
    const weeks = data.weeks || [];
    setText(byId("fill-summary"), t("fill_summary", {
      rate: pct(data.fill_rate), contracted: num(data.contracted), ordered: num(data.ordered),
      proposed: num(data.proposed || 0),
    }));
    setHtml(byId("fill-head"), '<tr><th scope="col">' + esc(t("col_crop")) + "</th>" +
      weeks.map(function (w) {
        return '<th scope="col" class="num" data-week="' + esc(w) + '">' + esc(w) + "</th>";
      }).join("") + '<th scope="col" class="num">' + esc(t("col_total")) + "</th></tr>");
    const body = rows(data.crops, weeks.length + 2, function (c) {
      const unit = unitLabel(c.unit);
      const cells = weeks.map(function (w) {
        const cell = (c.weeks || {})[w];
        if (!cell || !cell.ordered) {
          return '<td class="num heat none" data-week="' + esc(w) + '">–</td>';
        }
        const title = num(cell.contracted) + " / " + num(cell.ordered) + " " + unit;
        return '<td class="num heat" data-week="' + esc(w) + '" data-rate="' + esc(cell.fill_rate) +
          '" style="background:' + heatColour(cell.fill_rate) + '" title="' + esc(title) + '">' +
          esc(pct(cell.fill_rate)) + '<span class="sub">' + esc(title) + "</span></td>";
      }).join("");
      return '<tr data-crop="' + esc(c.crop_id) + '"><th scope="row">' + esc(nm(c)) +
        ' <span class="unit">(' + esc(unit) + ")</span></th>" + cells +
        '<td class="num heat total" data-rate="' + esc(c.fill_rate) + '" style="background:' +
        heatColour(c.fill_rate) + '">' + esc(pct(c.fill_rate)) + '<span class="sub">' +
        esc(num(c.contracted) + " / " + num(c.ordered) + " " + unit) + "</span></td></tr>";
    });
    setHtml(byId("fill-body"), body);
    const crops = data.crops || [];
    upsertChart("chart-fill", {
      type: "bar",
      data: {
        labels: crops.map(function (c) { return nm(c); }),
        datasets: [{
          label: t("col_fill_rate"),
          data: crops.map(function (c) { return Math.round(c.fill_rate * 1000) / 10; }),
          backgroundColor: crops.map(function (c) { return heatColour(c.fill_rate); }),
          borderColor: "#5d6b62",
          borderWidth: 1,
        }],
      },
      options: {
        indexAxis: "y",
        scales: { x: { min: 0, max: 100, title: { display: true, text: t("col_fill_rate") + " (%)" } } },
        plugins: {
          legend: { display: false },
          tooltip: { callbacks: { label: function (c) { return pct(c.parsed.x / 100); } } },
        },
      },
    });
  },
};
