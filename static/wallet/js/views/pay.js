// Scan and pay: camera (BarcodeDetector where the browser has it) or a pasted payload -> the
// decode endpoint -> what the person is about to pay -> PIN above the no-PIN limit -> pay.
import * as api from "../api.js";
import * as account from "../account.js";
import {format, parse} from "../money.js";
import {cameraAvailable, scanOnce} from "../scanner.js";
import {$, facts, fail, notice, onSubmit} from "../ui.js";

let scanned = null; // {payload, decoded}
let attempt = null; // {body, key}: a retry of the same payment reuses its Idempotency-Key

async function check(payload) {
  const decoded = await api.post("/qr/decode", {payload});
  scanned = {payload, decoded};
  attempt = null;
  $("#pay-receipt").hidden = true;
  facts($("#pay-preview"), [["Merchant", decoded.merchant && decoded.merchant.name],
    ["City", decoded.merchant && decoded.merchant.city],
    ["Amount", decoded.amount ? format(decoded.amount, decoded.currency) : "you enter it"],
    ["Reference", decoded.reference]]);
  if (!decoded.payable) throw new Error(`This code cannot be paid here${decoded.reason ? `: ${decoded.reason}` : "."}`);
  $("#pay-amount-box").hidden = Boolean(decoded.amount);
  const same = account.state.wallets.find((w) => w.currency === decoded.currency);
  if (same) $("#pay-wallet").value = same.id;
  $("#pay-confirm .pin-box").hidden = !(decoded.amount && account.needsPin(decoded.amount));
  $("#pay-confirm").hidden = false;
}

async function pay(form) {
  const {payload, decoded} = scanned;
  const wallet = account.wallet(form.get("wallet"));
  const body = {payload, wallet_id: wallet.id};
  let amount = decoded.amount;
  if (!amount) {
    amount = parse(form.get("amount") || "", wallet.currency);
    if (!amount) throw new Error(`Enter an amount in ${wallet.currency}.`);
    body.amount = amount;
  }
  if (account.needsPin(amount)) {
    $("#pay-confirm .pin-box").hidden = false;
    if (!form.get("pin")) { $("#pay-pin").focus(); throw new Error("Enter your PIN for this amount."); }
    body.pin = form.get("pin");
  }
  // Same body again (a retry after a lost answer): same key, so it is paid once. Another body: a new payment.
  const text = JSON.stringify(body);
  if (!attempt || attempt.text !== text) attempt = {text, key: api.newKey()};
  const paid = await api.post("/qr/payments", body, {idempotencyKey: attempt.key});
  $("#pay-confirm").hidden = true;
  $("#pay-confirm").reset();
  $("#paste").reset();
  facts($("#pay-receipt dl"), [["Merchant", paid.merchant && paid.merchant.name], ["Amount", format(paid.amount, paid.currency)],
    ["Reference", paid.reference], ["Status", paid.status], ["Payment", paid.id], ["At", new Date(paid.created_at).toLocaleString()]]);
  $("#pay-receipt").hidden = false;
  notice(`Paid ${format(paid.amount, paid.currency)}.`);
}

export function setup() {
  onSubmit($("#paste"), (form) => check(form.get("payload").trim()));
  onSubmit($("#pay-confirm"), pay);
  if (!cameraAvailable()) return; // no camera API: the paste field is the way in
  const button = $("#scan-start");
  button.hidden = false;
  let scanning = null;
  button.addEventListener("click", async () => {
    if (scanning) { scanning.abort(); return; }
    scanning = new AbortController();
    button.textContent = "Stop scanning";
    try { await check(await scanOnce($("#scan-video"), scanning.signal)); } catch (error) { fail(error); } finally {
      scanning = null;
      button.textContent = "Scan with the camera";
    }
  });
}
