// The offline purse's device side (README, "Case 3: the offline purse"): an Ed25519 key pair made
// here by WebCrypto (the private key non-extractable, kept in IndexedDB, never sent), and payment
// tokens signed with it for a till's offline code, with no network.
//
//   token message  "WPT1" purse_id counter terminal_id nonce amount currency time   (joined by "\n")
//
// What the phone shows the till: the text "WPP1:" + JSON {certificate, token}; the till needs the
// certificate (the device key, the limits, the issuer's signature) to check the token offline.
export const TOKEN_FIELDS = ["purse_id", "counter", "terminal_id", "nonce", "amount", "currency", "time"];
export const PREFIX = "WPP1:";

// ISO 4217 numeric -> alphabetic for the currencies app/core/money.py serves (EMV tag 53 is numeric).
const CURRENCIES = {"840": "USD", "978": "EUR", "826": "GBP", "392": "JPY", "156": "CNY", "702": "SGD", "764": "THB",
  "986": "BRL", "356": "INR", "414": "KWD", "458": "MYR", "360": "IDR", "608": "PHP", "704": "VND", "410": "KRW",
  "344": "HKD", "036": "AUD", "124": "CAD", "756": "CHF", "048": "BHD"};

export function b64url(bytes) {
  return btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function unb64url(text) {
  const plain = atob(text.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - text.length % 4) % 4));
  return Uint8Array.from(plain, (c) => c.charCodeAt(0));
}

export const supported = async () => {
  try { await crypto.subtle.generateKey({name: "Ed25519"}, false, ["sign", "verify"]); return true; } catch { return false; }
};

// {keys: CryptoKeyPair, deviceKey: raw public key, base64url}. Public keys are always exportable.
export async function newKeys() {
  const keys = await crypto.subtle.generateKey({name: "Ed25519"}, false, ["sign", "verify"]);
  return {keys, deviceKey: b64url(await crypto.subtle.exportKey("raw", keys.publicKey))};
}

export const message = (tag, fields, values) => [tag, ...fields.map((name) => String(values[name]))].join("\n");

export async function signToken(privateKey, fields) {
  const data = new TextEncoder().encode(message("WPT1", TOKEN_FIELDS, fields));
  return {...fields, signature: b64url(await crypto.subtle.sign({name: "Ed25519"}, privateKey, data))};
}

// Top-level (or a template's) EMV fields: two-digit id, two-digit length, value.
function tlv(text) {
  const fields = {};
  for (let at = 0; at + 4 <= text.length;) {
    const id = text.slice(at, at + 2), length = Number(text.slice(at + 2, at + 4));
    if (!Number.isInteger(length) || at + 4 + length > text.length) throw new Error("This is not a till's code.");
    fields[id] = text.slice(at + 4, at + 4 + length);
    at += 4 + length;
  }
  return fields;
}

// A till's offline code (case 1's dynamic EMV code, written by the till itself): which terminal,
// which request (the nonce), how much, in what, from whom. Read here with no network.
export function readRequest(payload) {
  const top = tlv(payload.trim());
  const account = tlv(top["26"] || ""), offline = tlv(top["80"] || ""), extra = tlv(top["62"] || "");
  if (!account["03"] || !offline["02"] || !top["54"]) throw new Error("This is not a till's offline code (no terminal, nonce or amount).");
  const currency = CURRENCIES[top["53"]];
  if (!currency) throw new Error("This till's currency is not one this wallet knows.");
  return {terminalId: account["03"], nonce: offline["02"], amountText: top["54"], currency,
    merchant: top["59"] || "", label: extra["07"] || "", reference: extra["05"] || ""};
}
