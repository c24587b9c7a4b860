// Settings, Freeze: a lost phone or card. The person freezes one wallet or all of them
// (POST /me/freezes, no PIN: stopping money must be easy), sees the active freezes
// (GET /me/freezes?active=true) and lifts their own with the PIN. Lifting needs a fresh sign-in
// (403 fresh_sign_in_required): a thief holding the phone's session must not unfreeze it, so the
// page says why and offers to sign in again. An operator's freeze is shown with no lift button:
// only an operator lifts it (the API refuses the user 403 freeze_set_by_operator anyway).
import * as api from "../api.js";
import * as account from "../account.js";
import {$, el, fail, notice, onSubmit} from "../ui.js";

const SCOPES = {all: "nothing moves, in or out", debits: "no money goes out"};

// What a freeze or a wallet's `frozen` covers, in words ("USD wallet", "all my wallets").
function what(walletId) {
  const w = walletId && account.wallet(walletId);
  return walletId ? `${w ? w.currency : walletId} wallet` : "all my wallets";
}

export function describe(frozen) {
  const until = frozen.ends_at ? `until ${new Date(frozen.ends_at).toLocaleString()}` : "until lifted";
  return `Frozen: ${SCOPES[frozen.scope] || frozen.scope}, ${until}`;
}

export async function refresh() {
  const walletSelect = $("#my-freeze-wallet");
  const chosen = walletSelect.value;
  walletSelect.replaceChildren(el("option", {value: ""}, "all my wallets"),
    ...account.state.wallets.map((w) => el("option", {value: w.id}, `${w.currency} wallet`)));
  walletSelect.value = chosen;
  const list = (await api.get("/me/freezes?active=true")).data;
  // Redrawn only when the freezes changed: a redraw would drop a PIN being typed.
  const ids = list.map((f) => f.id).join(" ");
  if ($("#my-freezes").dataset.ids !== ids) {
    $("#my-freezes").replaceChildren(...list.map(item));
    $("#my-freezes").dataset.ids = ids;
  }
  $("#my-freezes-none").hidden = list.length > 0;
}

function item(freeze) {
  const text = `${what(freeze.wallet_id)}: ${SCOPES[freeze.scope] || freeze.scope}, "${freeze.reason}"` +
    (freeze.ends_at ? `, until ${new Date(freeze.ends_at).toLocaleString()}` : "");
  if (freeze.set_by !== "user") {
    return el("li", {}, el("p", {}, text), el("p", {class: "hint"},
      "Frozen by our support team: only they can lift it. Contact support."));
  }
  const pin = el("input", {id: `lift-pin-${freeze.id}`, name: "pin", type: "password", inputmode: "numeric",
    autocomplete: "off", required: ""});
  const form = el("form", {class: "freeze"}, el("p", {}, text),
    el("label", {for: pin.id}, `PIN to lift the freeze of ${what(freeze.wallet_id)}`), pin,
    el("button", {type: "submit"}, "Lift"));
  onSubmit(form, async (data) => {
    try {
      await api.post(`/me/freezes/${freeze.id}/lift`, {pin: data.get("pin")});
    } catch (error) {
      if (error.code !== "fresh_sign_in_required") throw error;
      pin.value = ""; // not kept on the page across the sign-in
      askToSignInAgain();
      return;
    }
    notice("The freeze is lifted.");
    await account.load();
    await refresh();
  });
  return el("li", {}, form);
}

function askToSignInAgain() {
  fail(new Error("To lift a freeze, sign in again first: lifting needs a sign-in from the last few minutes, "
    + "so that someone who has your phone cannot unfreeze your money."));
  $("#my-freeze-sign-in").hidden = false;
}

export function setup() {
  onSubmit($("#my-freeze-form"), async (form) => {
    const walletId = form.get("wallet_id") || null;
    await api.post("/me/freezes", {wallet_id: walletId, scope: form.get("scope"), reason: form.get("reason").trim()});
    $("#my-freeze-form").reset();
    notice(`Frozen: ${what(walletId)}.`);
    await account.load();
    await refresh();
  });
  // Signed out: nothing of this person's freezes stays on the page.
  api.onSignedOut(() => { $("#my-freezes").replaceChildren(); delete $("#my-freezes").dataset.ids; });
  $("#my-freeze-sign-in").addEventListener("click", () => {
    $("#my-freeze-sign-in").hidden = true;
    api.signOut();
  });
}
