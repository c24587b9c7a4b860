// Table rows and row buttons for the dashboard's lists (text only, through the wallet's el()).
import {el, fail, notice} from "../../wallet/js/ui.js";

export function cells(...values) {
  return el("tr", {}, ...values.map((value) => value instanceof Node ? el("td", {}, value)
    : el("td", {}, value === null || value === undefined ? "" : String(value))));
}

export const amountCell = (text) => el("td", {class: "num"}, text);

// A row's button: its accessible name says which row ("Disable Till 1"), as the visible word alone would not.
export function action(text, target, run) {
  const button = el("button", {type: "button", "aria-label": `${text} ${target}`}, text);
  button.addEventListener("click", async () => {
    button.disabled = true;
    try { await run(); } catch (error) { fail(error); } finally { button.disabled = false; }
  });
  return button;
}

// Secrets the API shows only once (terminal secret, API key, webhook secret): shown until the next action.
export function showOnce(box, what, secret) {
  box.replaceChildren(el("strong", {}, `${what} (shown once, copy it now): `), el("code", {}, secret));
  box.hidden = false;
  notice("");
}

export const when = (iso) => iso ? new Date(iso).toLocaleString() : "";
