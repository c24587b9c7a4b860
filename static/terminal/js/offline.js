// Case 1 of "Offline terminals": the till writes its own MAC'd dynamic code and checks the
// customer's confirmation without the network (port of terminal/offline.py).
import {field, formatAmount, template, withCrc} from "./emv.js";
import {hmac, hmacKey, toHex} from "./sign.js";

const LABEL = "wallet/offline/v1/";
export const MAX_ATTEMPTS = 5; // wrong confirmations per code; the README's guessing odds rely on it

// key(purpose) = HMAC-SHA256(secret, LABEL + purpose): one key per use, so a code MAC is never a confirmation.
export async function deriveKeys(secret) {
  const master = await hmacKey(secret);
  const derive = async (purpose) => hmacKey(await hmac(master, LABEL + purpose));
  return {code: await derive("code"), confirmation: await derive("confirmation")};
}

// profile: {terminal_id, merchant_id, label} and /pos/config's "offline" section.
export async function makeCode(keys, profile, {seq, amount, issuedAt, reference = "", nonce}) {
  nonce = nonce || toHex(crypto.getRandomValues(new Uint8Array(8)));
  const message = ["WOC1", profile.terminal_id, profile.merchant_id, seq, nonce, issuedAt, profile.currency,
    amount, reference].join("\n");
  const mac = toHex(await hmac(keys.code, message)).slice(0, 16);
  const body = [
    field("00", "01"), field("01", "12"),
    template("26", [["00", profile.guid], ["01", profile.merchant_id], ["03", profile.terminal_id]]),
    field("52", profile.mcc), field("53", profile.currency_numeric),
    field("54", formatAmount(amount, profile.exponent)),
    field("58", profile.country), field("59", profile.merchant_name), field("60", profile.merchant_city),
    template("62", [...(reference ? [["05", reference]] : []), ["07", profile.label]]),
    template("80", [["00", profile.guid], ["01", String(seq)], ["02", nonce], ["03", String(issuedAt)], ["04", mac]]),
  ].join("");
  return {seq, nonce, issuedAt, amount, currency: profile.currency, reference, payload: withCrc(body)};
}

// The first 8 bytes of the MAC as a big-endian integer mod 10^10 (BigInt: 64 bits do not fit a double).
export async function expectedConfirmation(keys, terminalId, code) {
  const message = ["WCF1", terminalId, code.seq, code.nonce, code.currency, code.amount].join("\n");
  const digest = await hmac(keys.confirmation, message);
  let value = 0n;
  for (const byte of digest.slice(0, 8)) value = (value << 8n) | BigInt(byte);
  return String(value % 10_000_000_000n).padStart(10, "0");
}

// One code's confirmation, typed (10 digits) or scanned (WCF1:<terminal>:<seq>:<digits>:<payment>),
// with at most MAX_ATTEMPTS wrong tries; then the code is void and the sale starts again.
export class ConfirmationCheck {
  constructor(expected, terminalId, code) {
    Object.assign(this, {expected, terminalId, code, wrong: 0});
  }

  get void() { return this.wrong >= MAX_ATTEMPTS; }
  get left() { return MAX_ATTEMPTS - this.wrong; }

  // -> {ok, paymentId}
  check(entered) {
    if (this.void) return {ok: false, paymentId: null};
    let digits = entered.trim(), paymentId = null;
    if (digits.startsWith("WCF1:")) {
      const parts = digits.split(":");
      const fits = parts.length === 5 && parts[1] === this.terminalId && parts[2] === String(this.code.seq);
      [digits, paymentId] = fits ? [parts[3], parts[4]] : ["", null];
    }
    if (digits === this.expected) return {ok: true, paymentId};
    this.wrong += 1;
    return {ok: false, paymentId: null};
  }
}
