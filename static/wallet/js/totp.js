// The payment code, computed on the device as the README says: prefix (2 digits) + device handle
// (7) + wallet slot (1) + TOTP(secret, digits, period), RFC 6238 with HMAC-SHA1 by WebCrypto.

export function base32(text) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = 0, value = 0;
  const out = [];
  for (const char of text.replace(/=+$/, "").toUpperCase()) {
    const index = alphabet.indexOf(char);
    if (index < 0) throw new Error("the secret is not base32");
    value = (value << 5) | index;
    bits += 5;
    if (bits >= 8) { out.push((value >>> (bits - 8)) & 255); bits -= 8; }
  }
  return new Uint8Array(out);
}

// Not extractable: once stored, the device's secret cannot be read back by any script.
export function importSecret(secret) {
  return crypto.subtle.importKey("raw", base32(secret), {name: "HMAC", hash: "SHA-1"}, false, ["sign"]);
}

export async function totp(key, {digits, period}, now = Date.now()) {
  const counter = Math.floor(now / 1000 / period);
  const message = new ArrayBuffer(8);
  new DataView(message).setUint32(4, counter); // counters fit in 32 bits until the year 2106 at 30 s
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, message));
  const offset = mac[mac.length - 1] & 15;
  const number = ((mac[offset] & 127) << 24) | (mac[offset + 1] << 16) | (mac[offset + 2] << 8) | mac[offset + 3];
  return String(number % 10 ** digits).padStart(digits, "0");
}

export async function paymentCode(device, slot, now = Date.now()) {
  return `${device.prefix}${device.handle}${slot}${await totp(device.key, device, now)}`;
}

export function secondsLeft(period, now = Date.now()) {
  return period - Math.floor(now / 1000) % period;
}
