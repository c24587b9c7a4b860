// "My payment code": registered once per browser (POST /devices), then computed here each
// period from the stored key, so it shows at a till with no network.
import * as api from "../api.js";
import * as account from "../account.js";
import * as store from "../store.js";
import {drawQr} from "../qr.js";
import {paymentCode, importSecret, secondsLeft} from "../totp.js";
import {$, el, fail} from "../ui.js";

let ticker = null;

// Removed on purpose (Settings, Devices): the code tab then waits to be asked, rather than
// quietly registering a new device the person just chose to remove.
export const REMOVED = "device-removed";

export async function device() {
  const saved = await store.load("device");
  if (saved && (!account.state.me || saved.user_id === account.state.me.id)) return saved;
  if (await store.load(REMOVED)) throw new Error("This browser shows no payment code: register it again under Settings, Devices.");
  return register();
}

export async function register() {
  const registered = await api.post("/devices", {name: `Browser on ${navigator.platform || "this device"}`});
  const {id, handle, prefix, digits, period} = registered;
  const kept = {id, handle, prefix, digits, period, user_id: account.state.me.id, key: await importSecret(registered.secret)};
  await store.save("device", kept);
  await store.remove(REMOVED);
  return kept;
}

async function show(current) {
  const select = $("#code-wallet");
  const slot = select.selectedOptions[0] ? Number(select.selectedOptions[0].dataset.slot) : 0;
  const code = await paymentCode(current, slot);
  $("#code-digits").textContent = code.replace(/(\d{4})(?=\d)/g, "$1 ");
  $("#code-digits").dataset.code = code;
  drawQr($("#code-qr"), code);
  $("#code-expiry").textContent = `New code in ${secondsLeft(current.period)} s`;
}

export async function start() {
  stop();
  try {
    if (!account.state.wallets.length) {
      // Offline and not signed in: the wallets saved at the last sign-in give the slots.
      const saved = (await store.load("wallets")) || [];
      $("#code-wallet").replaceChildren(...saved.map((w, slot) => el("option", {value: w.id, "data-slot": slot}, w.currency)));
    }
    const current = await device();
    await show(current);
    // Once a second: the countdown moves, and the code changes the moment its period does.
    ticker = setInterval(() => show(current).catch(fail), 1000);
  } catch (error) { fail(error); }
}

export function stop() { clearInterval(ticker); ticker = null; }

// The device is gone (removed here or elsewhere): no code may stay on the screen.
export function blank() {
  stop();
  $("#code-digits").textContent = "";
  delete $("#code-digits").dataset.code;
  $("#code-expiry").textContent = "";
  const canvas = $("#code-qr");
  canvas.getContext("2d").clearRect(0, 0, canvas.width, canvas.height);
}

export function setup() {
  $("#code-wallet").addEventListener("change", () => start());
}
