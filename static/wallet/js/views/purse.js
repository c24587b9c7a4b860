// The offline purse tab: reserve an amount (POST .../offline-purses with this browser's new
// Ed25519 key), see what is left and any debt, close it; and, with no network, pay a till's
// offline code with a token signed here (../purse.js), shown as a QR and as text.
import * as api from "../api.js";
import * as account from "../account.js";
import * as store from "../store.js";
import {drawQr} from "../qr.js";
import {format, parse} from "../money.js";
import {PREFIX, newKeys, readRequest, signToken, supported} from "../purse.js";
import {cameraAvailable, scanOnce} from "../scanner.js";
import {$, el, facts, fail, notice, onSubmit} from "../ui.js";

const KEPT = "purses"; // {purse_id: {user_id, wallet_id, certificate, keys, counter, signed}} in IndexedDB
let chosen = null; // the purse paying now: its id
let request = null; // the till's request read from its code

const kept = async () => (await store.load(KEPT)) || {};
const keep = async (id, value) => store.save(KEPT, {...await kept(), [id]: value});
const drop = async (id) => { const mine = await kept(); delete mine[id]; await store.save(KEPT, mine); };

// Left to sign here: the tills' uploads (spent) and this phone's own tokens (signed) overlap, so
// the larger of the two is what is gone.
const leftOf = (purse, local) => purse.allowance - Math.max(purse.spent, local ? local.signed : 0);

export async function refresh() {
  const ok = await supported();
  $("#purse-unsupported").hidden = ok;
  $("#purse-new").hidden = !ok;
  const mine = await kept();
  let purses, offline = !account.state.me; // not signed in: opened offline from the app shell
  try {
    if (offline) throw Object.assign(new Error("offline"), {status: 0});
    const lists = await Promise.all(account.state.wallets.map((w) => api.get(`/wallets/${w.id}/offline-purses`)));
    purses = lists.flatMap((list) => list.data);
  } catch (error) {
    if (error.status !== 0) throw error;
    // No network: the purses this phone holds keys for, from their certificates (what tills
    // uploaded is unknown here; what this phone signed is not).
    offline = true;
    purses = Object.values(mine).map(fromCertificate);
  }
  $("#purses").replaceChildren(...purses.map((p) => item(p, mine[p.id], offline)));
  $("#purses-empty").hidden = purses.length > 0;
  $("#purse-new").hidden = !ok || offline; // reserving needs the server
  if (chosen && !purses.some((p) => p.id === chosen && p.status === "active")) { chosen = null; $("#purse-pay").hidden = true; }
}

const fromCertificate = ({wallet_id, certificate: c}) => ({id: c.purse_id, wallet_id, status: "active", currency: c.currency,
  allowance: c.allowance, max_payment: c.max_payment, spent: 0, debt: 0, valid_until: new Date(c.valid_until * 1000).toISOString()});

function item(purse, local, offline = false) {
  const money = (amount) => format(amount, purse.currency);
  const parts = [`${money(leftOf(purse, local))} left of ${money(purse.allowance)}`, `spent ${money(purse.spent)}`,
    `at most ${money(purse.max_payment)} a payment`, purse.debt ? `owes ${money(purse.debt)}` : "",
    purse.status === "active" ? `valid until ${new Date(purse.valid_until).toLocaleDateString()}`
      : `${purse.status}${purse.frozen_reason ? ` (${purse.frozen_reason})` : ""}, the rest back after ${new Date(purse.release_after).toLocaleString()}`];
  const row = el("li", {class: "purse", "data-purse": purse.id},
    el("p", {}, el("strong", {}, `${purse.currency} purse`), local ? " (on this phone)" : "", el("br"),
      el("span", {class: "hint"}, parts.filter(Boolean).join(", "))));
  if (purse.status !== "active") return row;
  if (local) {
    const pay = el("button", {type: "button", "aria-label": `Pay with the ${purse.currency} purse`}, "Pay with it");
    pay.addEventListener("click", () => choose(purse.id));
    row.append(pay);
  }
  if (offline) return row; // closing needs the server
  const close = el("button", {type: "button", class: "danger", "aria-label": `Close the ${purse.currency} purse`}, "Close");
  close.addEventListener("click", async () => {
    if (!window.confirm("Close this purse? It stops paying at once; what is left comes back after the grace period.")) return;
    try {
      await api.post(`/wallets/${purse.wallet_id}/offline-purses/${purse.id}/close`);
      await drop(purse.id); // a closed purse's tokens are refused: its key has no use left
      notice("Closed. What is left comes back after the grace period.");
      await refresh();
    } catch (error) { fail(error); }
  });
  row.append(" ", close);
  return row;
}

function choose(id) {
  chosen = id;
  request = null;
  for (const box of ["#purse-sign", "#purse-token"]) $(box).hidden = true;
  $("#purse-pay").hidden = false;
  $("#purse-till").focus();
}

async function check(payload) {
  request = readRequest(payload);
  const amount = parse(request.amountText, request.currency);
  if (!amount) throw new Error("This till's code has no amount this wallet can read.");
  request.amount = amount;
  facts($("#purse-preview"), [["Merchant", request.merchant], ["Till", request.label],
    ["Amount", format(amount, request.currency)], ["Reference", request.reference]]);
  $("#purse-token").hidden = true;
  $("#purse-sign").hidden = false;
}

// The phone's own checks (the till repeats them): an honest app never signs what would be refused.
async function sign() {
  const local = (await kept())[chosen];
  const cert = local.certificate;
  const now = Math.floor(Date.now() / 1000);
  if (request.currency !== cert.currency) throw new Error(`This purse pays in ${cert.currency}, the till asks ${request.currency}.`);
  if (now > cert.valid_until) throw new Error("This purse has expired.");
  if (request.amount > cert.max_payment) throw new Error(`At most ${format(cert.max_payment, cert.currency)} a payment from this purse.`);
  if (local.signed + request.amount > cert.allowance) throw new Error("Not enough left in this purse.");
  // The counter and the total are stored before the token is shown, so none is ever signed twice.
  const counter = local.counter + 1;
  await keep(chosen, {...local, counter, signed: local.signed + request.amount});
  const token = await signToken(local.keys.privateKey, {purse_id: cert.purse_id, counter, terminal_id: request.terminalId,
    nonce: request.nonce, amount: request.amount, currency: cert.currency, time: now});
  const text = PREFIX + JSON.stringify({certificate: cert, token});
  drawQr($("#purse-qr"), text, "Byte");
  $("#purse-token-text").value = text;
  $("#purse-sign").hidden = true;
  $("#purse-token").hidden = false;
  notice(`Signed ${format(request.amount, cert.currency)}: show it to the till.`);
  await refresh(); // what is left, by this phone's own record
}

async function reserve(form) {
  const wallet = account.wallet(form.get("wallet"));
  const allowance = parse(form.get("allowance"), wallet.currency);
  const maxText = form.get("max_payment").trim();
  const maxPayment = maxText ? parse(maxText, wallet.currency) : null;
  if (!allowance || (maxText && !maxPayment)) throw new Error("Enter the amounts in the wallet's currency.");
  const {keys, deviceKey} = await newKeys();
  const body = {device_key: deviceKey, allowance, validity_days: Number(form.get("validity_days"))};
  if (maxPayment) body.max_payment = maxPayment;
  if (form.get("pin")) body.pin = form.get("pin");
  const purse = await api.post(`/wallets/${wallet.id}/offline-purses`, body);
  await keep(purse.id, {user_id: account.state.me.id, wallet_id: wallet.id, certificate: purse.certificate, keys, counter: 0, signed: 0});
  $("#purse-new").reset();
  notice(`${format(allowance, wallet.currency)} set aside for paying offline.`);
  await refresh();
}

// Signing out: a signed-out browser keeps no key that spends money. Its active purses are closed
// (best effort; offline they stay until closed from another device), then forgotten.
export async function forget() {
  const mine = await kept();
  await Promise.all(Object.entries(mine).map(([id, local]) =>
    api.post(`/wallets/${local.wallet_id}/offline-purses/${id}/close`).catch(() => {})));
}

export function setup() {
  onSubmit($("#purse-new"), reserve);
  $("#purse-allowance").addEventListener("input", () => {
    const wallet = account.wallet($("#purse-wallet").value);
    const amount = wallet && parse($("#purse-allowance").value, wallet.currency);
    $("#purse-new .pin-box").hidden = !(amount && account.needsPin(amount));
  });
  onSubmit($("#purse-request"), async (form) => check(form.get("payload")));
  onSubmit($("#purse-sign"), sign);
  const scan = $("#purse-scan");
  scan.hidden = !cameraAvailable();
  scan.addEventListener("click", async () => {
    try { $("#purse-till").value = await scanOnce($("#purse-video"), new AbortController().signal); await check($("#purse-till").value); } catch (error) { fail(error); }
  });
}
