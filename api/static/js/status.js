/* The status line (engine, last update, offline or key trouble) and the API key panel. */
import { HttpError } from "./api.js";
import { byId, setText } from "./dom.js";
import { locale, t } from "./labels.js";
import { state } from "./state.js";

/* What a failed request means: no usable key (401), a key that may not see this (403), a server
 * error, or no answer at all. */
export function noteFailure(err) {
  const status = err instanceof HttpError ? err.status : 0;
  state.needKey = status === 401;
  state.forbidden = status === 403;
  state.offline = !(err instanceof HttpError);
  state.serverError = status && status !== 401 && status !== 403 ? status : 0;
}

export function renderStatus() {
  const engine = state.overview && state.overview.engine;
  const engineEl = byId("status-engine");
  if (engine) {
    engineEl.setAttribute("data-running", engine.running ? "true" : "false");
    engineEl.className = engine.running ? "ok" : "bad";
    setText(engineEl, engine.running ? t("engine_running") : t("engine_stopped"));
  }
  renderConnection("forbidden");
}

/* The status line's last update and what stands in the way (offline, no key, a key that may not
 * see this, a server error), on every page; ``forbiddenKey`` says the page's own words for 403. */
export function renderConnection(forbiddenKey) {
  if (state.updated) {
    setText(byId("status-updated"), t("updated") + " " +
      state.updated.toLocaleTimeString(locale()));
  }
  const offline = byId("status-offline");
  offline.hidden = !state.offline && !state.needKey && !state.forbidden && !state.serverError;
  setText(offline, state.needKey ? t("key_needed") : state.forbidden ? t(forbiddenKey)
    : state.serverError ? t("server_error", { status: state.serverError }) : t("offline"));
  byId("status").setAttribute("data-state", state.offline ? "offline"
    : state.needKey ? "key-needed" : state.forbidden ? "forbidden"
      : state.serverError ? "error" : "online");
  byId("key-forget").hidden = !state.apiKey;
}

export function renderKeyPanel() {
  const panel = byId("key-panel");
  const wasHidden = panel.hidden;
  panel.hidden = !state.needKey;
  byId("key-error").hidden = !(state.needKey && state.apiKey);
  if (state.needKey && wasHidden) {
    byId("key-input").focus();
  }
}
