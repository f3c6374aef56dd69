/* #/kitchen/<buyer_id> : one kitchen, its orders per delivery, its contracts, its unmet lines. */
import { getJson, getOrMissing } from "../api.js";
import { badge, byId, emptyRow, enc, esc, facts, rows, setHtml, setText } from "../dom.js";
import { day, dec, money, num, qty, t, tOr, unitLabel, weekdayName } from "../labels.js";
import { cropName, cropUnit, districtName, ensureNames, groupLink, nm } from "../names.js";
import { state } from "../state.js";
import { contractRow, contractSort } from "./contracts.js";
import { participantOptions, showMissing } from "./participant.js";
import { planningLine } from "./planning.js";

export const kitchenPage = {
  load: async function (route) {
    const id = route.id;
    const buyer = await getOrMissing("/buyers/" + enc(id));
    if (!buyer) {
      await ensureNames([], []);
      return { missing: true, id: id };
    }
    const answers = await Promise.all([
      getJson("/orders?buyer_id=" + enc(id)),
      getJson("/contracts?buyer_id=" + enc(id) + "&limit=1000"),
      getJson("/report/planning?buyer_id=" + enc(id)),
    ]);
    const orders = await Promise.all(answers[0].map(function (o) {
      return getJson("/orders/" + enc(o.id));
    }));
    await ensureNames(answers[1].map(function (c) { return c.group_id; }), [id]);
    return { buyer: buyer, orders: orders, contracts: answers[1], planning: answers[2] };
  },
  render: function (data, route) {
    participantOptions(byId("kitchen-select"), state.buyers, route.id);
    if (showMissing("kitchen", data.missing, route.id, ["orders", "contracts", "unmet"])) {
      return;
    }
    const b = data.buyer;
    setText(byId("kitchen-name"), nm(b));
    setHtml(byId("kitchen-details"), facts([
      ["f_id", esc(b.id), "id"],
      ["f_name_th", '<span lang="th">' + esc(b.name_th) + "</span>"],
      ["f_name_en", '<span lang="en">' + esc(b.name_en) + "</span>"],
      ["f_kind", esc(tOr("kind_" + b.kind, b.kind))],
      ["f_district", esc(districtName(b.district)) + ' <span class="code">' + esc(b.district) + "</span>"],
      ["f_location", esc(dec(b.lat, 4) + ", " + dec(b.lon, 4))],
      ["f_days_off", esc((b.non_delivery_weekdays || []).map(weekdayName)
        .concat((b.non_delivery_dates || []).map(day)).join(", ")), "days_off"],
      ["f_orders", esc(num(data.orders.length)), "orders"],
      ["f_contracts", esc(num(data.contracts.length)), "contracts"],
    ]));

    const orders = data.orders.slice().sort(function (a, b2) { return a.id < b2.id ? -1 : 1; });
    const orderRows = orders.map(function (o) {
      const unit = unitLabel(o.crop_id ? cropUnit(o.crop_id) : "");
      const status = o.delivery_status || [];
      const span = Math.max(1, status.length);
      const s = o.schedule || {};
      const every = (s.weekdays || []).map(function (d) { return t("wd_" + d); }).join(", ");
      const head = '<th scope="rowgroup" rowspan="' + span + '" class="order-cell">' +
        '<span class="nowrap">' + esc(o.id) + "</span> " + badge("book_", o.state) +
        '<div class="muted small">' + esc(qty(o.quantity, cropUnit(o.crop_id)) + " " +
        t("per_delivery")) + (every ? " · " + esc(t("every") + " " + every) : "") + "<br>" +
        esc(tOr("tier_" + o.min_tier, o.min_tier)) +
        (o.max_price ? " · " + esc(t("max_price") + " " + money(o.max_price) + " " + t("baht")) : "") +
        (o.max_distance_km ? " · " + esc(t("within") + " " + num(o.max_distance_km) + " " + t("km")) : "") +
        "</div></th>" + '<td rowspan="' + span + '">' + esc(cropName(o.crop_id)) + "</td>";
      if (!status.length) {
        return '<tr data-order="' + esc(o.id) + '">' + head + '<td colspan="5" class="muted">' +
          esc(t("none")) + "</td></tr>";
      }
      return status.map(function (d, i) {
        return '<tr data-order="' + esc(o.id) + '" data-date="' + esc(d.date) + '">' +
          (i === 0 ? head : "") +
          "<td>" + esc(day(d.date)) + "</td><td>" + esc(d.week) + "</td>" +
          '<td class="num">' + esc(num(d.ordered) + " " + unit) + "</td>" +
          '<td class="num" data-value="' + esc(d.contracted) + '">' + esc(num(d.contracted)) + "</td>" +
          '<td class="num' + (d.open ? " short" : "") + '" data-value="' + esc(d.open) + '">' +
          esc(num(d.open)) + "</td></tr>";
      }).join("");
    });
    setHtml(byId("kitchen-orders-body"), orderRows.length ? orderRows.join("") : emptyRow(7));
    const contracts = data.contracts.slice().sort(contractSort);
    setHtml(byId("kitchen-contracts-body"), rows(contracts, 9, function (c) {
      return contractRow(c, groupLink(c.group_id));
    }));
    setHtml(byId("kitchen-unmet-body"), rows(data.planning.lines || [], 6, function (l) {
      return planningLine(l, false);
    }));
  },
};
