// Balances, charges waiting for the person's approval, sending money, sandbox top-ups.
import * as api from "../api.js";
import * as account from "../account.js";
import {format, parse} from "../money.js";
import {describe as frozenText} from "./freezes.js";
import {$, el, fail, notice, onSubmit} from "../ui.js";

export async function refresh() {
  await account.load();
  $("#balances").replaceChildren(...account.state.wallets.map((w) => el("li", {class: "card"},
    el("span", {class: "currency"}, w.currency),
    el("strong", {class: "balance", "data-currency": w.currency}, format(w.available, w.currency)),
    w.held ? el("span", {class: "hint"}, `${format(w.held, w.currency)} held`) : "",
    // GET /wallets says whether a freeze covers the wallet now (by whom is in Settings).
    w.frozen ? el("span", {class: "frozen"}, frozenText(w.frozen)) : "")));
  await refreshPending();
}

async function refreshPending() {
  const pending = (await api.get("/payments/pending")).data;
  $("#pending-box").hidden = pending.length === 0;
  $("#pending").replaceChildren(...pending.map(pendingItem));
}

function pendingItem(payment) {
  const pin = el("input", {type: "password", inputmode: "numeric", autocomplete: "off", id: `pin-${payment.id}`});
  const approve = el("button", {type: "submit"}, "Approve");
  const decline = el("button", {type: "button"}, "Decline");
  const form = el("form", {class: "pending"},
    el("p", {}, `${payment.merchant_name} (${payment.terminal_label}) asks ${format(payment.amount, payment.currency)}`
      + (payment.reference ? `, ${payment.reference}` : "")),
    el("label", {for: pin.id}, "PIN"), pin, approve, decline);
  onSubmit(form, async () => {
    await api.post(`/payments/${payment.id}/confirm`, {pin: pin.value});
    notice("Approved.");
    await refresh();
  });
  decline.addEventListener("click", async () => {
    try {
      await api.post(`/payments/${payment.id}/decline`);
      notice("Declined.");
      await refresh();
    } catch (error) { fail(error); }
  });
  return el("li", {}, form);
}

export function setup() {
  onSubmit($("#send"), async (form) => {
    const currency = form.get("currency");
    const amount = parse(form.get("amount"), currency);
    if (!amount) throw new Error(`Enter an amount in ${currency}.`);
    const body = {to: form.get("to").trim(), amount, currency};
    if (form.get("note")) body.note = form.get("note");
    const pinBox = $("#send .pin-box");
    if (account.needsPin(amount)) {
      pinBox.hidden = false;
      if (!form.get("pin")) { $("#send-pin").focus(); throw new Error("Enter your PIN for this amount."); }
      body.pin = form.get("pin");
    }
    await api.post("/transfers", body, {idempotencyKey: api.newKey()});
    $("#send").reset();
    pinBox.hidden = true;
    notice(`Sent ${format(amount, currency)} to ${body.to}.`);
    await refresh();
  });
  onSubmit($("#topup"), async (form) => {
    const wallet = account.wallet(form.get("wallet"));
    const amount = parse(form.get("amount"), wallet.currency);
    if (!amount) throw new Error(`Enter an amount in ${wallet.currency}.`);
    await api.post(`/wallets/${wallet.id}/topups`, {amount, source: form.get("source")}, {idempotencyKey: api.newKey()});
    $("#topup-amount").value = "";
    notice(`Topped up ${format(amount, wallet.currency)}.`);
    await refresh();
  });
}
