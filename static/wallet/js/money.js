// Amounts are integers in minor units. Text is turned into minor units by string arithmetic,
// never through a float, with each currency's exponent from Intl (USD 2, JPY 0, KWD 3).

export function exponent(currency) {
  return new Intl.NumberFormat("en", {style: "currency", currency}).resolvedOptions().maximumFractionDigits;
}

export function format(minor, currency) {
  const digits = exponent(currency);
  const sign = minor < 0 ? "-" : "";
  const text = String(Math.abs(minor)).padStart(digits + 1, "0");
  const whole = text.slice(0, text.length - digits), fraction = text.slice(text.length - digits);
  // Intl formats a decimal string exactly (no float): "12.50" -> "$12.50".
  return new Intl.NumberFormat(undefined, {style: "currency", currency})
    .format(`${sign}${whole}${digits ? "." + fraction : ""}`);
}

// "12.5" USD -> 1250; null when it is not a positive amount with at most the currency's decimals.
export function parse(text, currency) {
  const digits = exponent(currency);
  const match = /^\s*(\d+)(?:[.,](\d*))?\s*$/.exec(text);
  if (!match || (match[2] || "").length > digits) return null;
  const minor = Number(match[1] + (match[2] || "").padEnd(digits, "0"));
  return Number.isSafeInteger(minor) && minor > 0 ? minor : null;
}
