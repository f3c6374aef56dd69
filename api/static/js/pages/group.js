/* #/group/<group_id> : one group, its certificates, supply, contracts and income. */
import { getJson, getOrMissing } from "../api.js";
import { badge, byId, enc, esc, facts, rows, setHtml, setText } from "../dom.js";
import { day, dec, money, num, pct, t, tOr, unitLabel } from "../labels.js";
import { cropName, cropUnit, districtName, ensureNames, kitchenLink, nm, rememberDistrict } from "../names.js";
import { state } from "../state.js";
import { contractRow, contractSort } from "./contracts.js";
import { participantOptions, showMissing } from "./participant.js";

function certificateState(c) {
  const today = new Date().toISOString().slice(0, 10);
  if (c.revoked_on && c.revoked_on <= today) {
    return ["revoked", t("cert_revoked", { date: day(c.revoked_on) })];
  }
  if (c.valid_until && c.valid_until < today) {
    return ["expired", t("cert_expired")];
  }
  if (c.valid_from && c.valid_from > today) {
    return ["not_yet", t("cert_not_yet")];
  }
  if (c.revoked_on) {
    return ["revoked", t("cert_revoked", { date: day(c.revoked_on) })];
  }
  return ["valid", t("cert_valid")];
}

/* The central database's details of a participant and where they came from (provenance). */
export function registryFacts(p) {
  const sub = p.subdistrict || p.subdistrict_code ? esc(p.subdistrict || "") +
    (p.subdistrict_code ? ' <span class="code">' + esc(p.subdistrict_code) + "</span>" : "") : null;
  const contact = p.contact_name ? esc(p.contact_name) +
    (p.contact_position ? " (" + esc(p.contact_position) + ")" : "") : null;
  const source = p.source_agency
    ? esc(p.source_date ? t("f_source_line", { agency: p.source_agency, date: day(p.source_date) })
      : p.source_agency)
    : esc(t("f_source_unknown"));
  return [
    ["f_subdistrict", sub, "subdistrict"],
    ["f_farm_area", p.farm_area_rai === null || p.farm_area_rai === undefined ? null
      : esc(dec(p.farm_area_rai, 1)), "farm_area"],
    ["f_contact", contact, "contact"],
    ["f_registration_no", p.registration_no ? esc(p.registration_no) : null, "registration_no"],
    ["f_tax_id", p.tax_id ? esc(p.tax_id) : null, "tax_id"],
    ["f_source", source, "source"],
  ];
}

export const groupPage = {
  load: async function (route) {
    const id = route.id;
    const group = await getOrMissing("/groups/" + enc(id));
    if (!group) {
      await ensureNames([], []);
      return { missing: true, id: id };
    }
    const answers = await Promise.all([
      getJson("/supply?group_id=" + enc(id)),
      getJson("/contracts?group_id=" + enc(id) + "&limit=1000"),
      getJson("/stats/groups"),
    ]);
    const supply = await Promise.all(answers[0].map(function (s) {
      return getJson("/supply/" + enc(s.id));
    }));
    await ensureNames([id], answers[1].map(function (c) { return c.buyer_id; }));
    const figures = (answers[2].groups || []).filter(function (g) { return g.group_id === id; })[0];
    return { group: group, supply: supply, contracts: answers[1], figures: figures || null };
  },
  render: function (data, route) {
    participantOptions(byId("group-select"), state.groups, route.id);
    if (showMissing("group", data.missing, route.id, ["certificates", "supply", "contracts"])) {
      return;
    }
    const g = data.group;
    const f = data.figures;
    if (f) {
      rememberDistrict(f.district, f.district_name_th, f.district_name_en);
    }
    setText(byId("group-name"), nm(g));
    setHtml(byId("group-details"), facts([
      ["f_id", esc(g.id), "id"],
      ["f_name_th", '<span lang="th">' + esc(g.name_th) + "</span>"],
      ["f_name_en", '<span lang="en">' + esc(g.name_en) + "</span>"],
      ["f_kind", esc(tOr("kind_" + g.kind, g.kind))],
      ["f_district", esc(districtName(g.district)) + ' <span class="code">' + esc(g.district) + "</span>"],
      ["f_location", esc(dec(g.lat, 4) + ", " + dec(g.lon, 4))],
      ["f_members", g.members === null || g.members === undefined ? null
        : esc(num(g.members) + " " + t("persons"))],
      ["f_min_lot", g.min_lot === null || g.min_lot === undefined ? null : esc(num(g.min_lot))],
      ["f_max_buyers", g.max_buyers_per_week === null || g.max_buyers_per_week === undefined
        ? null : esc(num(g.max_buyers_per_week))],
      ["f_contracts", esc(num(data.contracts.length)), "contracts"],
    ].concat(registryFacts(g))));

    const live = data.contracts.filter(function (c) {
      return ["rejected", "cancelled", "expired"].indexOf(c.state) < 0;
    });
    const income = f ? f.income_thb : live.reduce(function (a, c) { return a + Number(c.value || 0); }, 0);
    const incomeEl = byId("group-income");
    incomeEl.setAttribute("data-value", String(income));
    setText(incomeEl, money(income));
    setText(byId("group-announced"), f ? num(f.announced) : "–");
    setText(byId("group-contracted"), f ? num(f.contracted) : "–");
    setText(byId("group-utilisation"), f ? pct(f.utilisation) : "–");

    setHtml(byId("group-certificates-body"), rows(g.certificates || [], 7, function (c) {
      const st = certificateState(c);
      let crops = (c.crops || []).map(cropName).concat((c.crop_groups || []).map(function (x) {
        return t("crop_group", { group: tOr("cropgroup_" + x, x) });
      }));
      if (!crops.length) {
        crops = [t("whole_farm")];
      }
      crops = crops.concat((c.scopes || []).map(function (x) { return t("scope", { scope: x }); }));
      return '<tr data-certificate="' + esc(c.id) + '"><td class="nowrap">' + esc(c.id) + "</td>" +
        "<td>" + esc(tOr("scheme_" + c.scheme, c.scheme)) + ' <span class="code">' + esc(c.scheme) +
        "</span></td><td>" + esc(day(c.valid_from)) + "</td><td>" + esc(day(c.valid_until)) + "</td>" +
        "<td>" + esc(crops.join(", ")) + "</td><td>" + esc(c.certifier || "") + "</td>" +
        '<td><span class="badge cert_' + esc(st[0]) + '">' + esc(st[1]) + "</span></td></tr>";
    }));

    setHtml(byId("group-supply-body"), rows(data.supply, 6, function (s) {
      const unit = unitLabel(cropUnit(s.crop_id));
      const weeks = Object.keys(s.weeks || {}).sort().map(function (w) {
        const done = (s.contracted || {})[w] || 0;
        return '<li data-week="' + esc(w) + '">' + esc(w) + ": " + esc(num(done) + " / " +
          num(s.weeks[w]) + " " + unit) + "</li>";
      }).join("");
      return '<tr data-supply="' + esc(s.id) + '"><td class="nowrap">' + esc(s.id) + "</td>" +
        "<td>" + esc(cropName(s.crop_id)) + "</td>" +
        "<td>" + esc(tOr("scheme_" + s.scheme, s.scheme)) + "</td>" +
        '<td class="num">' + esc(money(s.asking_price)) + "</td>" +
        '<td><ul class="deliveries">' + weeks + "</ul></td>" +
        "<td>" + badge("book_", s.state) + "</td></tr>";
    }));

    const contracts = data.contracts.slice().sort(contractSort);
    setHtml(byId("group-contracts-body"), rows(contracts, 9, function (c) {
      return contractRow(c, kitchenLink(c.buyer_id));
    }));
  },
};
