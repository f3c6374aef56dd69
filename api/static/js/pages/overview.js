/* #/ : the market overview (cards, fill rate, the last round, contracts by state, the rounds). */
import { getJson } from "../api.js";
import { upsertChart } from "../charts.js";
import { badge, byId, esc, facts, rows, setHtml, setText } from "../dom.js";
import { dec, money, moment, num, pct, t, tOr } from "../labels.js";
import { state } from "../state.js";

const CONTRACT_STATES = [
  "proposed", "accepted", "in_delivery", "completed", "rejected", "cancelled", "expired",
];
const STATE_COLOURS = {
  proposed: "#e0a526",
  accepted: "#2f7d4a",
  in_delivery: "#2c6fbb",
  completed: "#5d6b62",
  rejected: "#b4532a",
  cancelled: "#9c2f2f",
  expired: "#a8a8a8",
};

export const overviewPage = {
  load: async function () {
    return { rounds: await getJson("/rounds?limit=10") };
  },
  render: function (data) {
    const o = state.overview;
    if (!o) {
      return;
    }
    document.querySelectorAll("#page-overview [data-field]").forEach(function (el) {
      const field = el.getAttribute("data-field");
      const value = o[field];
      el.setAttribute("data-value", String(value === undefined ? "" : value));
      setText(el, field === "fill_rate" ? pct(value) : num(value));
    });
    const filled = Math.min(100, Number(o.fill_rate || 0) * 100);
    byId("fill-meter-bar").style.width = filled + "%";
    byId("fill-meter-proposed").style.width = (o.ordered
      ? Math.min(100 - filled, (100 * Number(o.proposed || 0)) / o.ordered) : 0) + "%";
    setText(byId("fill-overall-text"), t("fill_overall", {
      contracted: num(o.contracted), ordered: num(o.ordered), proposed: num(o.proposed || 0),
    }));

    const empty = byId("empty-rounds");
    const emptyCount = Number(o.empty_rounds_since || 0);
    empty.hidden = !emptyCount;
    empty.setAttribute("data-count", String(emptyCount));
    setText(empty, emptyCount ? t(o.last_round ? "empty_rounds" : "empty_rounds_only", {
      count: num(emptyCount), at: moment(o.last_empty_round_at),
    }) : "");

    const last = o.last_round;
    if (last) {
      const s = last.summary || {};
      setHtml(byId("last-round"), facts([
        ["f_round", esc(last.id), "id"],
        ["f_finished", esc(moment(last.finished_at))],
        ["f_trigger", esc(tOr("trigger_" + last.trigger, last.trigger))],
        ["f_solver", esc(last.solver) + " · " +
          esc(tOr("solver_" + last.solver_status, last.solver_status))],
        ["f_demand", esc(num(s.demand))],
        ["f_filled", esc(num(s.filled))],
        ["f_fill_rate", esc(pct(s.fill_rate))],
        ["f_contracts", esc(num(s.contracts !== undefined ? s.contracts
          : (last.contract_ids || []).length))],
        ["f_goods_cost", s.goods_cost_thb !== undefined
          ? esc(money(s.goods_cost_thb) + " " + t("baht")) : null],
        ["f_transport_cost", s.transport_cost_thb !== undefined
          ? esc(money(s.transport_cost_thb) + " " + t("baht")) : null],
        ["f_km_per_unit", s.km_per_unit !== undefined
          ? esc(dec(s.km_per_unit, 1) + " " + t("km")) : null],
        ["f_wall", s.wall_seconds !== undefined
          ? esc(dec(s.wall_seconds, 2) + " " + t("seconds")) : null],
      ]));
    } else {
      setHtml(byId("last-round"), "<div><dd>" + esc(t("none")) + "</dd></div>");
    }

    const byState = o.contracts_by_state || {};
    const states = CONTRACT_STATES.filter(function (s) { return byState[s]; })
      .concat(Object.keys(byState).filter(function (s) {
        return CONTRACT_STATES.indexOf(s) < 0 && byState[s];
      }));
    setHtml(byId("by-state-body"), rows(states, 2, function (s) {
      return '<tr data-state="' + esc(s) + '"><td>' + badge("state_", s) + '</td><td class="num">' +
        esc(num(byState[s])) + "</td></tr>";
    }));
    upsertChart("chart-by-state", {
      type: "doughnut",
      data: {
        labels: states.map(function (s) { return tOr("state_" + s, s); }),
        datasets: [{
          data: states.map(function (s) { return byState[s]; }),
          backgroundColor: states.map(function (s) { return STATE_COLOURS[s] || "#888"; }),
        }],
      },
      options: {
        plugins: {
          legend: { position: "right" },
          tooltip: { callbacks: { label: function (c) { return c.label + ": " + num(c.parsed); } } },
        },
      },
    });

    setHtml(byId("rounds-body"), rows(data.rounds, 8, function (r) {
      const s = r.summary || {};
      const contracts = s.contracts !== undefined ? s.contracts : (r.contract_ids || []).length;
      return '<tr data-round="' + esc(r.id) + '">' +
        "<td>" + esc(moment(r.finished_at)) + "</td>" +
        "<td>" + esc(tOr("trigger_" + r.trigger, r.trigger)) + "</td>" +
        "<td>" + esc(tOr("status_" + r.status, r.status)) + "</td>" +
        "<td>" + esc(r.solver || "") + (r.solver_status ? " · " +
          esc(tOr("solver_" + r.solver_status, r.solver_status)) : "") + "</td>" +
        '<td class="num">' + esc(num(contracts)) + "</td>" +
        '<td class="num">' + esc(num(s.demand)) + "</td>" +
        '<td class="num">' + esc(num(s.filled)) + "</td>" +
        '<td class="num">' + esc(s.demand ? pct(s.fill_rate) : "–") + "</td></tr>";
    }));
  },
};
