// The few lines of EMV a terminal needs to write its own offline code (port of terminal/emv.py):
// ID, two-digit length, value; templates nest the same way; tag 63 is CRC-16/CCITT-FALSE.

export function field(tag, value) {
  if (value.length > 99) throw new Error(`EMV field ${tag} is longer than 99 characters`);
  return `${tag}${String(value.length).padStart(2, "0")}${value}`;
}

export function template(tag, subfields) {
  return field(tag, subfields.map(([sub, value]) => field(sub, value)).join(""));
}

function crc16(bytes) {
  let crc = 0xffff;
  for (const byte of bytes) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit += 1) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

// The CRC covers "6304" too (its id and length).
export function withCrc(body) {
  const head = body + "6304";
  return head + crc16(new TextEncoder().encode(head)).toString(16).toUpperCase().padStart(4, "0");
}

// Minor units as tag 54 text by string arithmetic (no float): 450, exponent 2 -> "4.50"; 500, 0 -> "500".
export function formatAmount(minor, exponent) {
  if (exponent === 0) return String(minor);
  const text = String(minor).padStart(exponent + 1, "0");
  return `${text.slice(0, -exponent)}.${text.slice(-exponent)}`;
}
