/* Charts drawn with the vendored Chart.js (a global loaded before the dashboard), updated in
 * place on each refresh, and the colours the charts and the map share. */
import { byId } from "./dom.js";
import { num } from "./labels.js";
import { state } from "./state.js";

export const GROUP_COLOUR = "#2f7d4a";
export const LINK_COLOUR = "#d27d2d";

export function setupChartDefaults() {
  if (!window.Chart) {
    return;
  }
  Chart.defaults.animation = false;
  Chart.defaults.font.family = getComputedStyle(document.documentElement).fontFamily;
  Chart.defaults.color = "#1f2a24";
  Chart.defaults.maintainAspectRatio = false;
}

export function upsertChart(id, config) {
  if (!window.Chart) {
    return null;
  }
  const canvas = byId(id);
  const signature = JSON.stringify([config.type, config.data, state.lang]);
  const entry = state.charts[id];
  if (!entry) {
    const chart = new Chart(canvas, config);
    state.charts[id] = { chart: chart, signature: signature };
    return chart;
  }
  if (entry.signature === signature) {
    return entry.chart;
  }
  const chart = entry.chart;
  chart.data.labels = config.data.labels;
  config.data.datasets.forEach(function (dataset, i) {
    if (chart.data.datasets[i]) {
      Object.assign(chart.data.datasets[i], dataset);
    } else {
      chart.data.datasets.push(dataset);
    }
  });
  chart.data.datasets.length = config.data.datasets.length;
  chart.options = config.options;
  chart.update("none");
  entry.signature = signature;
  return chart;
}

export function tooltipNumber(suffix) {
  return function (context) {
    const value = context.parsed.x !== undefined && context.chart.options.indexAxis === "y"
      ? context.parsed.x : context.parsed.y;
    return (context.dataset.label ? context.dataset.label + ": " : "") + num(value) +
      (suffix ? " " + suffix : "");
  };
}

export function shortLabel(text, size) {
  return text.length > size ? text.slice(0, size - 1) + "…" : text;
}

export function barChart(id, labels, values, label, horizontal, colour) {
  upsertChart(id, {
    type: "bar",
    data: {
      labels: labels,
      datasets: [{ label: label, data: values, backgroundColor: colour || "#b4532a" }],
    },
    options: {
      indexAxis: horizontal ? "y" : "x",
      plugins: { legend: { display: false }, tooltip: { callbacks: { label: tooltipNumber() } } },
      scales: {
        x: { ticks: { autoSkip: false } },
        y: { ticks: { autoSkip: false } },
      },
    },
  });
}
