// Case 3 at the till, with no network: check a phone's purse payment (its certificate and token)
// exactly as terminal/purse.py does, with WebCrypto's Ed25519, then keep it for upload.
//
//   certificate message  "WPC1" purse_id device_key currency allowance max_payment valid_until kid
//   token message        "WPT1" purse_id counter terminal_id nonce amount currency time
//
// The checks, in purse.py's order, each a stable reason: unknown_issuer_key, tampered (either
// signature), revoked (/pos/config's list), expired, wrong_terminal, wrong_request (another nonce;
// here also another amount than the sale on screen: purse.py leaves that to its caller),
// foreign_currency, above_cap; then this till's memory: counter_seen, above_allowance.
import {PREFIX, TOKEN_FIELDS, message, unb64url} from "/static/wallet/js/purse.js";

const CERT_FIELDS = ["purse_id", "device_key", "currency", "allowance", "max_payment", "valid_until", "kid"];
const key = (terminalId) => `terminal.${terminalId}.purse_seen`;

async function verifies(publicKey, data, signature) {
  try {
    const raw = unb64url(publicKey), sig = unb64url(signature || "");
    if (raw.length !== 32 || sig.length !== 64) return false;
    const imported = await crypto.subtle.importKey("raw", raw, {name: "Ed25519"}, false, ["verify"]);
    return await crypto.subtle.verify({name: "Ed25519"}, imported, sig, new TextEncoder().encode(data));
  } catch {
    return false; // bad base64, or a point that is not a key: the same as a failed signature
  }
}

// "WPP1:" + JSON {certificate, token}, as the wallet shows it; null when it is not one.
export function readPayment(text) {
  const trimmed = text.trim();
  if (!trimmed.startsWith(PREFIX)) return null;
  try {
    const {certificate, token} = JSON.parse(trimmed.slice(PREFIX.length));
    return certificate && token && typeof certificate === "object" && typeof token === "object" ? {certificate, token} : null;
  } catch {
    return null;
  }
}

// null when the token may be accepted, else the reason. purse: /pos/config's offline.purse.
export async function refusal(cert, token, {purse, terminalId, nonce, amount, currency, now}) {
  const issuer = purse.issuer_keys.find((k) => k.kid === cert.kid);
  if (!issuer) return "unknown_issuer_key";
  if (!await verifies(issuer.public_key, message("WPC1", CERT_FIELDS, cert), cert.signature)) return "tampered";
  if (token.purse_id !== cert.purse_id || !await verifies(cert.device_key, message("WPT1", TOKEN_FIELDS, token), token.signature)) {
    return "tampered";
  }
  if (purse.revoked.includes(cert.purse_id)) return "revoked";
  if (now > cert.valid_until || token.time > cert.valid_until) return "expired";
  if (token.terminal_id !== terminalId) return "wrong_terminal";
  if (token.nonce !== nonce || token.amount !== amount) return "wrong_request";
  if (token.currency !== currency || cert.currency !== currency) return "foreign_currency";
  if (token.amount > cert.max_payment) return "above_cap";
  return null;
}

// This till's memory of every token it took ("purse#counter" and amount), uploaded ones too, in
// localStorage like the queue: a counter seen twice is refused, and one till never takes more
// than a purse's allowance from it (PurseQueue in terminal/purse.py).
const seen = (terminalId) => JSON.parse(localStorage.getItem(key(terminalId)) || "[]");

export function memoryRefusal(terminalId, cert, token) {
  const mine = seen(terminalId);
  if (mine.some(([id]) => id === `${token.purse_id}#${token.counter}`)) return "counter_seen";
  const total = mine.filter(([id]) => id.slice(0, id.lastIndexOf("#")) === token.purse_id).reduce((sum, [, a]) => sum + a, 0);
  return total + token.amount > cert.allowance ? "above_allowance" : null;
}

export function remember(terminalId, token) {
  localStorage.setItem(key(terminalId), JSON.stringify([...seen(terminalId), [`${token.purse_id}#${token.counter}`, token.amount]]));
}
