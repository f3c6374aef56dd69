"use strict";

(function () {
  const API = "/api/v1";
  const REFRESH_MS = 3000;

  const LABELS = {
    th: {
      subtitle: "ตลาดล่วงหน้าอาหารปลอดภัย จังหวัดสงขลา — ครัวโรงพยาบาล โรงเรียน เรือนจำ กับกลุ่มเกษตรกร",
      groups: "กลุ่มเกษตรกร",
      buyers: "ผู้ซื้อ (ครัว)",
      orders_open: "คำสั่งซื้อที่เปิดอยู่",
      supply_open: "อุปทานที่เปิดอยู่",
      rounds: "รอบจับคู่",
      contracts: "สัญญา",
      fill_rate: "อัตราการเติมเต็ม",
      rounds_title: "รอบจับคู่ล่าสุด",
      contracts_title: "สัญญาล่าสุด",
      unfilled_title: "ปริมาณที่ยังไม่ได้จับคู่ (รอบล่าสุด) ตามเหตุผล",
      col_finished: "เสร็จเมื่อ",
      col_trigger: "สาเหตุ",
      col_status: "สถานะ",
      col_contracts: "สัญญา",
      col_demand: "ความต้องการ",
      col_filled: "จับคู่ได้",
      col_fill_rate: "อัตราเติมเต็ม",
      col_buyer: "ผู้ซื้อ",
      col_group: "กลุ่มเกษตรกร",
      col_crop: "พืชผัก",
      col_quantity: "ปริมาณ",
      col_price: "ราคา/หน่วย (บาท)",
      col_first_delivery: "ส่งมอบครั้งแรก",
      col_reason: "เหตุผล",
      col_lines: "รายการ",
      col_crops: "พืชผัก",
      none: "ยังไม่มีข้อมูล",
      engine_running: "ระบบจับคู่ทำงาน",
      engine_stopped: "ระบบจับคู่หยุด",
      offline: "ติดต่อเซิร์ฟเวอร์ไม่ได้",
      updated: "ปรับปรุงเมื่อ",
      trigger_request: "ตามคำขอ",
      trigger_debounce: "หลังมีการเปลี่ยนแปลง",
      trigger_schedule: "ตามกำหนดเวลา",
      status_completed: "เสร็จสิ้น",
      status_failed: "ล้มเหลว",
      unit_kg: "กก.",
      unit_piece: "ฟอง",
      reason_no_supply: "ไม่มีผู้เสนอขายพืชนี้",
      reason_standard_not_met: "ไม่มีผู้ผลิตที่ได้มาตรฐานตามที่ต้องการ",
      reason_certificate_invalid: "ใบรับรองหมดอายุก่อนส่งมอบ",
      reason_crop_not_covered: "ใบรับรองไม่ครอบคลุมพืชนี้",
      reason_no_food_safety_credential: "ไม่มีใบรับรองความปลอดภัยอาหาร (GMP)",
      reason_out_of_range: "ผู้ผลิตอยู่ไกลเกินระยะที่กำหนด",
      reason_price_too_high: "ราคาสูงกว่าราคาสูงสุด",
      reason_insufficient_supply: "ปริมาณที่เสนอขายไม่พอ",
      reason_capacity_taken: "ปริมาณถูกจัดสรรให้ผู้ซื้อรายอื่นแล้ว",
      reason_supplier_limit: "ครบจำนวนผู้ผลิตต่อการส่งมอบที่กำหนดแล้ว",
      reason_below_min_lot: "ปริมาณต่ำกว่าขั้นต่ำที่ผู้ผลิตส่งได้",
      reason_buyer_limit: "ผู้ผลิตส่งให้ผู้ซื้อครบจำนวนต่อสัปดาห์แล้ว",
    },
    en: {
      subtitle: "Safe-food forward market, Songkhla — hospital, school and prison kitchens with farmer groups",
      groups: "Farmer groups",
      buyers: "Buyers (kitchens)",
      orders_open: "Open orders",
      supply_open: "Open supply",
      rounds: "Matching rounds",
      contracts: "Contracts",
      fill_rate: "Fill rate",
      rounds_title: "Latest matching rounds",
      contracts_title: "Latest contracts",
      unfilled_title: "Unfilled quantity in the last round, by reason",
      col_finished: "Finished",
      col_trigger: "Trigger",
      col_status: "Status",
      col_contracts: "Contracts",
      col_demand: "Demand",
      col_filled: "Filled",
      col_fill_rate: "Fill rate",
      col_buyer: "Buyer",
      col_group: "Farmer group",
      col_crop: "Crop",
      col_quantity: "Quantity",
      col_price: "Unit price (THB)",
      col_first_delivery: "First delivery",
      col_reason: "Reason",
      col_lines: "Lines",
      col_crops: "Crops",
      none: "Nothing yet",
      engine_running: "engine running",
      engine_stopped: "engine stopped",
      offline: "server unreachable",
      updated: "updated",
      trigger_request: "on request",
      trigger_debounce: "after changes",
      trigger_schedule: "scheduled",
      status_completed: "completed",
      status_failed: "failed",
      unit_kg: "kg",
      unit_piece: "pcs",
      reason_no_supply: "nobody offers this crop",
      reason_standard_not_met: "no supply meets the required standard",
      reason_certificate_invalid: "certificate not valid on the delivery date",
      reason_crop_not_covered: "certificate does not cover the crop",
      reason_no_food_safety_credential: "no food-safety (GMP) credential",
      reason_out_of_range: "suppliers beyond the maximum distance",
      reason_price_too_high: "asking price above the maximum price",
      reason_insufficient_supply: "not enough supply",
      reason_capacity_taken: "supply went to other orders",
      reason_supplier_limit: "the order's supplier limit is reached",
      reason_below_min_lot: "below the supplier's minimum lot",
      reason_buyer_limit: "the supplier serves its most buyers that week",
    },
  };

  const state = {
    lang: localStorage.getItem("foodmatch.lang") === "en" ? "en" : "th",
    crops: {},
    names: { buyers: {}, groups: {} },
    data: null,
  };

  function t(key) {
    const table = LABELS[state.lang];
    return Object.prototype.hasOwnProperty.call(table, key) ? table[key] : key;
  }

  function tOr(key, fallback) {
    const text = t(key);
    return text === key ? fallback : text;
  }

  async function getJson(path) {
    const response = await fetch(API + path, { headers: { Accept: "application/json" } });
    if (!response.ok) {
      throw new Error(path + ": " + response.status);
    }
    return response.json();
  }

  function cell(text, className) {
    const td = document.createElement("td");
    td.textContent = text === null || text === undefined ? "" : String(text);
    if (className) {
      td.className = className;
    }
    return td;
  }

  function fillTable(id, rows, columns) {
    const body = document.getElementById(id);
    body.replaceChildren();
    if (rows.length === 0) {
      const tr = document.createElement("tr");
      const td = cell(t("none"), "empty");
      td.colSpan = columns;
      tr.appendChild(td);
      body.appendChild(tr);
      return;
    }
    for (const cells of rows) {
      const tr = document.createElement("tr");
      cells.forEach(function (c) { tr.appendChild(c); });
      body.appendChild(tr);
    }
  }

  function percent(rate) {
    return (Number(rate || 0) * 100).toFixed(1) + " %";
  }

  function number(value) {
    return Number(value || 0).toLocaleString(state.lang === "th" ? "th-TH" : "en-GB");
  }

  function when(iso) {
    if (!iso) {
      return "";
    }
    return new Date(iso).toLocaleString(state.lang === "th" ? "th-TH" : "en-GB");
  }

  function cropName(id) {
    const crop = state.crops[id];
    if (!crop) {
      return id;
    }
    return state.lang === "th" ? crop.name_th : crop.name_en;
  }

  function unitName(cropId) {
    const crop = state.crops[cropId];
    return crop ? t("unit_" + crop.unit) : "";
  }

  function participantName(kind, id) {
    const found = state.names[kind][id];
    if (!found) {
      return id;
    }
    return state.lang === "th" ? found.name_th : found.name_en;
  }

  function applyLabels() {
    document.documentElement.lang = state.lang;
    document.querySelectorAll("[data-i18n]").forEach(function (el) {
      el.textContent = t(el.getAttribute("data-i18n"));
    });
    document.querySelectorAll("[data-lang]").forEach(function (button) {
      button.classList.toggle("active", button.getAttribute("data-lang") === state.lang);
    });
  }

  function renderCounts(overview) {
    const items = [
      ["groups", number(overview.groups)],
      ["buyers", number(overview.buyers)],
      ["orders_open", number(overview.orders_open)],
      ["supply_open", number(overview.supply_open)],
      ["rounds", number(overview.rounds)],
      ["contracts", number(overview.contracts)],
      ["fill_rate", percent(overview.fill_rate)],
    ];
    const section = document.getElementById("counts");
    section.replaceChildren();
    for (const [key, value] of items) {
      const card = document.createElement("div");
      card.className = "card";
      const v = document.createElement("div");
      v.className = "value";
      v.textContent = value;
      const l = document.createElement("div");
      l.className = "label";
      l.textContent = t(key);
      card.append(v, l);
      section.appendChild(card);
    }
  }

  function renderRounds(rounds) {
    const rows = rounds.slice(0, 10).map(function (r) {
      const s = r.summary || {};
      return [
        cell(when(r.finished_at)),
        cell(tOr("trigger_" + r.trigger, r.trigger)),
        cell(tOr("status_" + r.status, r.status)),
        cell(number(r.contract_ids.length), "num"),
        cell(number(s.demand), "num"),
        cell(number(s.filled), "num"),
        cell(s.demand ? percent(s.fill_rate) : "–", "num"),
      ];
    });
    fillTable("rounds", rows, 7);
  }

  function renderContracts(contracts) {
    const rows = contracts.map(function (c) {
      const first = c.deliveries.length ? c.deliveries[0].date : "";
      return [
        cell(participantName("buyers", c.buyer_id)),
        cell(participantName("groups", c.group_id)),
        cell(cropName(c.crop_id)),
        cell(number(c.quantity) + " " + unitName(c.crop_id), "num"),
        cell(c.unit_price, "num"),
        cell(first),
      ];
    });
    fillTable("contracts", rows, 6);
  }

  function renderUnfilled(round) {
    const byReason = {};
    for (const line of (round && round.unfilled) || []) {
      const entry = byReason[line.reason] || { quantity: 0, lines: 0, crops: new Set() };
      entry.quantity += line.quantity;
      entry.lines += 1;
      entry.crops.add(line.crop_id);
      byReason[line.reason] = entry;
    }
    const reasons = Object.keys(byReason).sort(function (a, b) {
      return byReason[b].quantity - byReason[a].quantity;
    });
    const rows = reasons.map(function (reason) {
      const entry = byReason[reason];
      const label = document.createElement("td");
      label.textContent = tOr("reason_" + reason, reason) + " ";
      const code = document.createElement("span");
      code.className = "reason";
      code.textContent = reason;
      label.appendChild(code);
      return [
        label,
        cell(number(entry.quantity), "num"),
        cell(number(entry.lines), "num"),
        cell(Array.from(entry.crops).map(cropName).join(", ")),
      ];
    });
    fillTable("unfilled", rows, 4);
  }

  function renderStatus(ok, engine) {
    const el = document.getElementById("status");
    if (!ok) {
      el.textContent = t("offline");
      el.className = "status bad";
      return;
    }
    const running = engine && engine.running;
    el.textContent = (running ? t("engine_running") : t("engine_stopped")) + " · " +
      t("updated") + " " + new Date().toLocaleTimeString(state.lang === "th" ? "th-TH" : "en-GB");
    el.className = running ? "status" : "status bad";
  }

  function render() {
    applyLabels();
    const data = state.data;
    if (!data) {
      return;
    }
    renderCounts(data.overview);
    renderRounds(data.rounds);
    renderContracts(data.contracts);
    renderUnfilled(data.lastRound);
    renderStatus(true, data.overview.engine);
  }

  async function loadNames() {
    const [groups, buyers] = await Promise.all([getJson("/groups"), getJson("/buyers")]);
    for (const g of groups) {
      state.names.groups[g.id] = g;
    }
    for (const b of buyers) {
      state.names.buyers[b.id] = b;
    }
  }

  async function latestContracts(rounds, wanted) {
    const out = [];
    for (const r of rounds) {
      if (out.length >= wanted) {
        break;
      }
      if (r.contract_ids.length === 0) {
        continue;
      }
      const batch = await getJson("/contracts?round_id=" + encodeURIComponent(r.id) +
        "&limit=" + wanted);
      out.push(...batch.slice(0, wanted - out.length));
    }
    return out;
  }

  async function refresh() {
    try {
      const [overview, rounds] = await Promise.all([
        getJson("/overview"),
        getJson("/rounds?limit=20"),
      ]);
      const contracts = await latestContracts(rounds, 15);
      const lastRound = rounds.length ? await getJson("/rounds/" +
        encodeURIComponent(rounds[0].id)) : null;
      const unknown = contracts.some(function (c) {
        return !state.names.buyers[c.buyer_id] || !state.names.groups[c.group_id];
      });
      if (unknown) {
        await loadNames();
      }
      state.data = { overview: overview, rounds: rounds, contracts: contracts, lastRound: lastRound };
      render();
    } catch (err) {
      renderStatus(false, null);
    }
  }

  async function start() {
    document.querySelectorAll("[data-lang]").forEach(function (button) {
      button.addEventListener("click", function () {
        state.lang = button.getAttribute("data-lang");
        localStorage.setItem("foodmatch.lang", state.lang);
        render();
      });
    });
    applyLabels();
    try {
      for (const crop of await getJson("/crops")) {
        state.crops[crop.id] = crop;
      }
    } catch (err) {
      renderStatus(false, null);
    }
    await refresh();
    setInterval(refresh, REFRESH_MS);
  }

  start();
})();
