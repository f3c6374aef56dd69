/* The API of this server: the API key (kept for the tab, or on this computer when asked), GET
 * of JSON with it, and the HTTP errors. */
import { state } from "./state.js";

export const API = "/api/v1";
const API_KEY = "foodmatch.apiKey";

export function storedKey() {
  try {
    return sessionStorage.getItem(API_KEY) || localStorage.getItem(API_KEY) || "";
  } catch (err) {
    return "";
  }
}

export function saveKey(key, remember) {
  state.apiKey = key;
  try {
    sessionStorage.setItem(API_KEY, key);
    if (remember) {
      localStorage.setItem(API_KEY, key);
    } else {
      localStorage.removeItem(API_KEY);
    }
  } catch (err) {
    // Storage refused (private mode): the key lasts as long as this page.
  }
}

export function forgetKey() {
  state.apiKey = "";
  try {
    sessionStorage.removeItem(API_KEY);
    localStorage.removeItem(API_KEY);
  } catch (err) {
    // Nothing stored.
  }
}

/* A link such as http://127.0.0.1:8000/#key=fm_... (printed by `foodmatch demo`) hands the
 * dashboard its key; the key is kept for this tab and taken out of the address. */
export function takeKeyFromAddress() {
  const found = location.hash.match(/(^#|[?&])key=([^&]*)/);
  if (!found) {
    return;
  }
  let key = "";
  try {
    key = decodeURIComponent(found[2]).trim();
  } catch (err) {
    key = "";
  }
  if (key) {
    saveKey(key, false);
  }
  let rest = location.hash.replace(/(^#|[?&])key=[^&]*&?/, "$1").replace(/[?&]$/, "");
  if (rest === "#" || rest === "") {
    rest = "#/";
  }
  history.replaceState(null, "", location.pathname + location.search + rest);
}

/* A refused request: its status and, when the API said why, its JSON body (a 422's detail,
 * with the loc of each field). */
export function HttpError(path, status, body) {
  this.name = "HttpError";
  this.message = path + ": HTTP " + status;
  this.status = status;
  this.body = body === undefined ? null : body;
}
HttpError.prototype = Object.create(Error.prototype);

export function authHeaders(accept) {
  const headers = { Accept: accept || "application/json" };
  if (state.apiKey) {
    headers.Authorization = "Bearer " + state.apiKey;
  }
  return headers;
}

export async function getJson(path) {
  const response = await fetch(API + path, {
    headers: authHeaders(), cache: "no-store", credentials: "same-origin",
  });
  if (!response.ok) {
    throw new HttpError(path, response.status);
  }
  return response.json();
}

/* The CSRF token of a cookie session (GET /api/v1/session), sent with every change. */
let csrfToken = "";

export function setCsrfToken(token) {
  csrfToken = token || "";
}

async function bodyOf(response) {
  try {
    return await response.json();
  } catch (err) {
    return null;
  }
}

/* POST of JSON: the answer's JSON (null for 204 No Content), or an HttpError carrying the API's explanation. Each call
 * sends a fresh Idempotency-Key unless one is given (a retry of the same change sends the
 * same key, so it has its effect once). */
export function postJson(path, body, idempotencyKey) {
  return sendJson("POST", path, body, idempotencyKey);
}

export function putJson(path, body) {
  return sendJson("PUT", path, body);
}

/* Sends ``body`` as JSON with the key or the session's CSRF token; answers the JSON answer
 * (null for 204), or throws an HttpError with the answer's body. */
async function sendJson(method, path, body, idempotencyKey) {
  const headers = authHeaders();
  headers["Content-Type"] = "application/json";
  if (csrfToken) {
    headers["X-CSRF-Token"] = csrfToken;
  }
  if (idempotencyKey) {
    headers["Idempotency-Key"] = idempotencyKey;
  }
  const response = await fetch(API + path, {
    method: method, headers: headers, body: JSON.stringify(body || {}),
    cache: "no-store", credentials: "same-origin",
  });
  if (!response.ok) {
    throw new HttpError(path, response.status, await bodyOf(response));
  }
  return response.status === 204 ? null : response.json();
}

export async function getOrMissing(path) {
  try {
    return await getJson(path);
  } catch (err) {
    if (err instanceof HttpError && err.status === 404) {
      return null;
    }
    throw err;
  }
}

/* The cookie session of this browser (GET /api/v1/session: role, participant, CSRF token), or
 * null when there is none (an API key is used instead). */
export async function readSession() {
  try {
    const session = await getJson("/session");
    setCsrfToken(session.csrf_token || session.csrf || "");
    return session;
  } catch (err) {
    if (err instanceof HttpError && (err.status === 401 || err.status === 404)) {
      return null;
    }
    throw err;
  }
}
