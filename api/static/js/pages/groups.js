/* #/groups : how volume and income spread across the groups (Gini, Lorenz curves, bars, table). */
import { getJson } from "../api.js";
import { GROUP_COLOUR, LINK_COLOUR, shortLabel, tooltipNumber, upsertChart } from "../charts.js";
import { byId, enc, esc, rows, setHtml, setText } from "../dom.js";
import { dec, money, num, pct, t } from "../labels.js";
import { nm, rememberDistrict } from "../names.js";
import { state } from "../state.js";

function lorenz(values) {
  const sorted = values.map(function (v) { return Math.max(0, Number(v || 0)); })
    .sort(function (a, b) { return a - b; });
  const total = sorted.reduce(function (a, b) { return a + b; }, 0);
  const points = [{ x: 0, y: 0 }];
  let running = 0;
  sorted.forEach(function (v, i) {
    running += v;
    points.push({
      x: Math.round(((i + 1) / sorted.length) * 1000) / 10,
      y: total ? Math.round((running / total) * 1000) / 10 : 0,
    });
  });
  return points;
}

export const groupsPage = {
  load: function () {
    return getJson("/stats/groups");
  },
  render: function (data) {
    const gini = data.gini || {};
    ["volume", "income", "utilisation"].forEach(function (k) {
      const el = byId("gini-" + k);
      el.setAttribute("data-value", String(gini[k]));
      setText(el, gini[k] === undefined || gini[k] === null ? "–" : dec(gini[k], 3));
    });
    const groups = data.groups || [];
    groups.forEach(function (g) {
      rememberDistrict(g.district, g.district_name_th, g.district_name_en);
    });
    setHtml(byId("groups-body"), rows(groups, 7, function (g) {
      const district = state.lang === "th" ? g.district_name_th : g.district_name_en;
      return '<tr data-group="' + esc(g.group_id) + '">' +
        '<th scope="row"><a href="#/group/' + esc(enc(g.group_id)) + '">' + esc(nm(g)) + "</a></th>" +
        "<td>" + esc(district || g.district) + "</td>" +
        '<td class="num">' + esc(num(g.announced)) + "</td>" +
        '<td class="num" data-value="' + esc(g.contracted) + '">' + esc(num(g.contracted)) + "</td>" +
        '<td class="num">' + esc(pct(g.utilisation)) + "</td>" +
        '<td class="num">' + esc(money(g.income_thb)) + "</td>" +
        '<td class="num">' + esc(num(g.contracts)) + "</td></tr>";
    }));
    upsertChart("chart-lorenz", {
      type: "scatter",
      data: {
        datasets: [
          {
            label: t("volume"), data: lorenz(groups.map(function (g) { return g.contracted; })),
            showLine: true, borderColor: GROUP_COLOUR, backgroundColor: GROUP_COLOUR, pointRadius: 2,
          },
          {
            label: t("income"), data: lorenz(groups.map(function (g) { return g.income_thb; })),
            showLine: true, borderColor: LINK_COLOUR, backgroundColor: LINK_COLOUR, pointRadius: 2,
          },
          {
            label: t("equality"), data: [{ x: 0, y: 0 }, { x: 100, y: 100 }], showLine: true,
            borderColor: "#9aa59e", borderDash: [6, 4], pointRadius: 0,
          },
        ],
      },
      options: {
        scales: {
          x: { min: 0, max: 100, title: { display: true, text: t("lorenz_x") } },
          y: { min: 0, max: 100, title: { display: true, text: t("lorenz_y") } },
        },
        plugins: {
          tooltip: {
            callbacks: {
              label: function (c) {
                return c.dataset.label + ": " + dec(c.parsed.x, 1) + " % → " + dec(c.parsed.y, 1) + " %";
              },
            },
          },
        },
      },
    });
    const names = groups.map(function (g) { return nm(g); });
    upsertChart("chart-group-bars", {
      type: "bar",
      data: {
        labels: names.map(function (n) { return shortLabel(n, 22); }),
        datasets: [
          {
            label: t("volume"), data: groups.map(function (g) { return g.contracted; }),
            backgroundColor: GROUP_COLOUR, yAxisID: "y",
          },
          {
            label: t("income"), data: groups.map(function (g) { return Math.round(g.income_thb); }),
            backgroundColor: LINK_COLOUR, yAxisID: "y1",
          },
        ],
      },
      options: {
        scales: {
          x: { ticks: { autoSkip: true, maxRotation: 60, minRotation: 45 } },
          y: { position: "left", title: { display: true, text: t("volume") } },
          y1: {
            position: "right", grid: { drawOnChartArea: false },
            title: { display: true, text: t("income") },
          },
        },
        plugins: {
          tooltip: {
            callbacks: {
              title: function (items) { return items.length ? names[items[0].dataIndex] : ""; },
              label: tooltipNumber(),
            },
          },
        },
      },
    });
  },
};
