/* The API's refusals of a forward order, shown next to the field they name: the field of the
 * form for each loc of a 422's detail, and a message from the label catalogue for each error the
 * portal knows (the API's own text otherwise). */
import { t } from "../labels.js";

/* The form's field for the path of a loc after "body" (schedule.start -> start). */
const FIELDS = {
  id: "form",
  buyer_id: "form",
  crop_id: "crop",
  quantity: "quantity",
  deliveries: "weekdays",
  schedule: "weekdays",
  "schedule.weekdays": "weekdays",
  "schedule.start": "start",
  "schedule.end": "end",
  max_price: "price",
  max_distance_km: "distance",
  min_tier: "tier",
};

export const FORM_FIELDS = ["crop", "quantity", "weekdays", "start", "end", "price", "distance", "tier"];

/* [label, field ("" any), error type ("" any), pattern of the API's message (null: any)],
 * the first that fits wins. */
const KNOWN = [
  ["kp_err_required", "", "missing", null],
  ["kp_err_whole", "", "int_parsing", null],
  ["kp_err_whole", "", "int_type", null],
  ["kp_err_whole", "", "int_from_float", null],
  ["kp_err_whole", "quantity", "", /whole number/],
  ["kp_err_number", "", "float_parsing", null],
  ["kp_err_number", "", "float_type", null],
  ["kp_err_date", "", "", /YYYY-MM-DD/],
  ["kp_err_quantity_positive", "quantity", "", /above 0/],
  ["kp_err_too_large", "", "less_than_equal", null],
  ["kp_err_too_large", "", "", /above the limit|at most/],
  ["kp_err_price", "price", "", /not a price|finite|boolean/],
  ["kp_err_price_negative", "price", "", /negative/],
  ["kp_err_distance_positive", "distance", "", /above 0/],
  ["kp_err_distance_positive", "distance", "greater_than_equal", null],
  ["kp_err_end_before_start", "end", "", /is before/],
  ["kp_err_no_weekday", "weekdays", "", /at least one weekday/],
  ["kp_err_schedule_empty", "weekdays", "", /no delivery day/],
  ["kp_err_crop_unknown", "crop", "", /no crop/],
  ["kp_err_tier", "tier", "", null],
];

/* The field a loc names: ["body", "schedule", "start"] -> "start"; "form" for the others. */
export function fieldOf(loc) {
  const path = (loc || []).filter(function (part, i) { return !(i === 0 && part === "body"); });
  for (let n = path.length; n > 0; n -= 1) {
    const key = path.slice(0, n).join(".");
    if (Object.prototype.hasOwnProperty.call(FIELDS, key)) {
      return FIELDS[key];
    }
  }
  return "form";
}

/* The message to show for one error of the detail. */
export function messageOf(error, field) {
  const msg = String(error.msg || "").replace(/^Value error, /, "");
  const type = String(error.type || "");
  const found = KNOWN.find(function (k) {
    return (!k[1] || k[1] === field) && (!k[2] || k[2] === type) && (!k[3] || k[3].test(msg));
  });
  return found ? t(found[0]) : msg;
}

/* {field: [messages]} for a 422's detail (a list of {loc, msg, type}) or any other refusal's
 * text (under "form"). */
export function errorsByField(detail) {
  const found = {};
  const add = function (field, text) {
    (found[field] = found[field] || []).push(text);
  };
  if (Array.isArray(detail)) {
    detail.forEach(function (error) {
      const field = fieldOf(error.loc);
      add(field, messageOf(error, field));
    });
  } else if (detail) {
    add("form", String(detail));
  }
  return found;
}
