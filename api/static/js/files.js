/* Files the dashboard links to (contract documents, the planning CSV), fetched with the key. */
import { HttpError, authHeaders } from "./api.js";
import { noteFailure, renderKeyPanel, renderStatus } from "./status.js";
import { state } from "./state.js";

/* Contract documents and the CSV need the key too: with one, a click fetches the file with
 * it and opens (or saves) the answer from memory; without one, the plain link is followed. */
export async function openWithKey(link, event) {
  if (!state.apiKey) {
    return;
  }
  event.preventDefault();
  const download = link.getAttribute("download");
  const target = download ? null : window.open("", "_blank");
  try {
    const response = await fetch(link.getAttribute("href"), {
      headers: authHeaders("*/*"), credentials: "same-origin",
    });
    if (!response.ok) {
      throw new HttpError(link.getAttribute("href"), response.status);
    }
    const url = URL.createObjectURL(await response.blob());
    if (target) {
      target.location.href = url;
    } else {
      const save = document.createElement("a");
      save.href = url;
      save.download = download;
      document.body.appendChild(save);
      save.click();
      save.remove();
    }
    setTimeout(function () { URL.revokeObjectURL(url); }, 60000);
  } catch (err) {
    if (target) {
      target.close();
    }
    noteFailure(err);
    renderStatus();
    renderKeyPanel();
  }
}
