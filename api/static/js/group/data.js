/* What the group portal holds: the group it speaks for, its contracts, its supply and its
 * certificates (read from the API with the group's key or session), and what the pages work
 * out of them: the proposals waiting, the coming deliveries week by week, the income by month,
 * the certificates about to expire and the ISO weeks a supply can be announced for. */
import { enc } from "../dom.js";
import { getJson, HttpError } from "../api.js";
import { loadNames } from "../names.js";
import { state } from "../state.js";

export const portal = {
  group: null, // the group (with its certificates), or null before the first answer
  contracts: [],
  supply: [],
  loadedAt: 0,
  notGroup: false, // the key or session is not a farmer group's
};

const DAY_MS = 86400000;
export const EXPIRING_DAYS = 60;
const OPEN_STATES = ["accepted", "in_delivery"];
const EARNING_STATES = ["accepted", "in_delivery", "completed"];

/* The group this browser speaks for: the session's participant, or the one group a group key
 * may see. */
async function whoAmI(session) {
  if (session && session.role && session.role !== "group") {
    return null;
  }
  const id = session && (session.participant_id || session.participant);
  if (id) {
    return id;
  }
  const groups = await getJson("/groups");
  return groups.length === 1 ? groups[0].id : null;
}

export async function loadGroup(session) {
  const id = await whoAmI(session);
  if (!id) {
    portal.notGroup = true;
    return;
  }
  try {
    // A kitchen's key may see a group it trades with, never the group's supply.
    await getJson("/supply?limit=1&group_id=" + enc(id));
  } catch (err) {
    if (err instanceof HttpError && err.status === 403) {
      portal.notGroup = true;
      return;
    }
    throw err;
  }
  portal.group = await getJson("/groups/" + enc(id));
  portal.notGroup = false;
}

export async function loadAll() {
  const id = portal.group.id;
  const answers = await Promise.all([
    getJson("/contracts?limit=1000&group_id=" + enc(id)),
    getJson("/supply?limit=1000&group_id=" + enc(id)),
    getJson("/groups/" + enc(id)),
  ]);
  portal.contracts = answers[0];
  portal.supply = answers[1];
  portal.group = answers[2];
  const buyers = portal.contracts.map(function (c) { return c.buyer_id; });
  if (!Object.keys(state.crops).length || buyers.some(function (b) { return !state.buyers[b]; })) {
    await loadNames();
  }
  portal.loadedAt = Date.now();
}

export function proposals() {
  return portal.contracts.filter(function (c) { return c.state === "proposed"; })
    .sort(function (a, b) {
      return String(a.proposal_expires_at).localeCompare(String(b.proposal_expires_at));
    });
}

export function parseDay(iso) {
  const parts = String(iso).split("-").map(Number);
  return new Date(parts[0], parts[1] - 1, parts[2]);
}

export function todayIso() {
  const now = new Date();
  return isoDate(now);
}

function pad(n) {
  return (n < 10 ? "0" : "") + n;
}

export function isoDate(d) {
  return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate());
}

/* ISO 8601 week of a date: "2026-W50". */
export function isoWeek(d) {
  const day = new Date(Date.UTC(d.getFullYear(), d.getMonth(), d.getDate()));
  const weekday = day.getUTCDay() || 7;
  day.setUTCDate(day.getUTCDate() + 4 - weekday);
  const yearStart = new Date(Date.UTC(day.getUTCFullYear(), 0, 1));
  const week = Math.ceil(((day - yearStart) / DAY_MS + 1) / 7);
  return day.getUTCFullYear() + "-W" + pad(week);
}

/* The Monday of each of the next `count` weeks, starting with next week. */
export function comingWeeks(count) {
  const now = new Date();
  const monday = new Date(now.getFullYear(), now.getMonth(), now.getDate());
  monday.setDate(monday.getDate() - ((monday.getDay() + 6) % 7) + 7);
  const weeks = [];
  for (let i = 0; i < count; i += 1) {
    const start = new Date(monday.getFullYear(), monday.getMonth(), monday.getDate() + 7 * i);
    weeks.push({ week: isoWeek(start), monday: isoDate(start) });
  }
  return weeks;
}

/* Deliveries still to make (accepted contracts, from today on), grouped by ISO week in date
 * order: [{week, monday, items: [{contract, delivery}]}]. */
export function upcomingByWeek() {
  const today = todayIso();
  const items = [];
  portal.contracts.forEach(function (c) {
    if (OPEN_STATES.indexOf(c.state) < 0) {
      return;
    }
    c.deliveries.forEach(function (d) {
      if (d.state === "scheduled" && d.date >= today) {
        items.push({ contract: c, delivery: d });
      }
    });
  });
  items.sort(function (a, b) { return a.delivery.date.localeCompare(b.delivery.date); });
  const weeks = [];
  items.forEach(function (item) {
    const last = weeks[weeks.length - 1];
    if (last && last.week === item.delivery.week) {
      last.items.push(item);
    } else {
      weeks.push({ week: item.delivery.week, items: [item] });
    }
  });
  return weeks;
}

/* What a delivery earns: what the kitchen received once confirmed, else what is due. */
function deliveryUnits(d) {
  if (d.state === "released") {
    return 0;
  }
  return d.received === null || d.received === undefined ? d.quantity : d.received;
}

/* Expected income by calendar month of delivery, from accepted, delivering and completed
 * contracts: [{month: "2026-12", amount, deliveries}], in month order. */
export function incomeByMonth() {
  const months = {};
  portal.contracts.forEach(function (c) {
    if (EARNING_STATES.indexOf(c.state) < 0) {
      return;
    }
    c.deliveries.forEach(function (d) {
      const units = deliveryUnits(d);
      if (!units) {
        return;
      }
      const month = d.date.slice(0, 7);
      const row = months[month] || (months[month] = { month: month, amount: 0, deliveries: 0 });
      row.amount += units * Number(c.unit_price);
      row.deliveries += 1;
    });
  });
  return Object.keys(months).sort().map(function (m) { return months[m]; });
}

export function daysUntil(iso) {
  return Math.round((parseDay(iso) - parseDay(todayIso())) / DAY_MS);
}

/* The group's certificates, the soonest to expire first, each with its days left. */
export function certificates() {
  const list = (portal.group && portal.group.certificates) || [];
  return list.map(function (c) {
    return { cert: c, daysLeft: daysUntil(c.valid_until) };
  }).sort(function (a, b) { return a.daysLeft - b.daysLeft; });
}

/* Schemes the group may announce under: those of its certificates still valid, then none. */
export function schemes() {
  const found = [];
  certificates().forEach(function (entry) {
    const c = entry.cert;
    if (entry.daysLeft >= 0 && !c.revoked_on && found.indexOf(c.scheme) < 0) {
      found.push(c.scheme);
    }
  });
  found.push("NONE");
  return found;
}

export function openSupply() {
  return portal.supply.filter(function (s) { return s.state === "open"; });
}
