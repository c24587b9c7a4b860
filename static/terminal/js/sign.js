// Request signing as the README's "Terminals and vending machines: signed requests" says:
// HMAC-SHA256(secret, METHOD \n target \n timestamp \n nonce \n sha256hex(body)), lower-case hex.
// WebCrypto does the hashing; the secret becomes a non-extractable key, so no later script can
// read it back out of the key object.
const encoder = new TextEncoder();

export const toHex = (bytes) => [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, "0")).join("");

export async function sha256Hex(text) {
  return toHex(await crypto.subtle.digest("SHA-256", encoder.encode(text)));
}

export function hmacKey(raw) {
  const bytes = typeof raw === "string" ? encoder.encode(raw) : raw;
  return crypto.subtle.importKey("raw", bytes, {name: "HMAC", hash: "SHA-256"}, false, ["sign"]);
}

export async function hmac(key, text) {
  return new Uint8Array(await crypto.subtle.sign("HMAC", key, encoder.encode(text)));
}

// 16 random bytes as 32 hex characters: inside the 16..128 printable characters the server takes.
export function newNonce() {
  return toHex(crypto.getRandomValues(new Uint8Array(16)));
}

// `target` is the path and query exactly as sent on the request line (never decoded).
export async function signature(key, method, target, timestamp, nonce, body = "") {
  const lines = [method.toUpperCase(), target, String(timestamp), nonce, await sha256Hex(body)];
  return toHex(await hmac(key, lines.join("\n")));
}
