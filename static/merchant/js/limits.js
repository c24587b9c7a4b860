// The merchant's own limits (GET/PUT /merchants/{id}/limits): the largest single charge and the
// refunds' total per UTC day, with what today's refunds have used. Any staff member reads them;
// only the owner (the right "limits") is offered the form, and the API refuses anyone else 403.
import * as api from "../../wallet/js/api.js";
import {exponent, format, parse} from "../../wallet/js/money.js";
import {$, facts, notice, onSubmit} from "../../wallet/js/ui.js";
import {base, may, state} from "./state.js";
import {when} from "./dom.js";

// 2500 USD -> "25.00", what parse() reads back (no currency sign, no grouping).
function plain(minor, currency) {
  const digits = exponent(currency);
  const padded = String(minor).padStart(digits + 1, "0");
  return digits ? `${padded.slice(0, -digits)}.${padded.slice(-digits)}` : padded;
}

const shown = (minor, currency) => minor === null ? "no limit" : format(minor, currency);

function draw(l) {
  const today = l.refunds_today;
  facts($("#limits-now"), [["Largest charge", shown(l.max_charge, l.currency)],
    ["Refunds per day", shown(l.daily_refunds, l.currency)],
    ["Refunded today", format(today.used, l.currency)],
    ["Left today", today.left === null ? null : format(today.left, l.currency)],
    ["Counts again from", when(today.resets_at)]]);
  const form = $("#limits-form");
  form.hidden = !may("limits");
  $("#limits-read-only").hidden = may("limits");
  // The fields show the limits in the merchant's currency; empty is no limit.
  const text = (minor) => minor === null ? "" : plain(minor, l.currency);
  form.elements.max_charge.value = text(l.max_charge);
  form.elements.daily_refunds.value = text(l.daily_refunds);
}

// Empty: no limit. Else an amount in the currency's units ("0" allowed: nothing passes).
function amount(text, currency, label) {
  const trimmed = text.trim();
  if (!trimmed) return null;
  if (/^0+([.]0*)?$/.test(trimmed)) return 0;
  const minor = parse(trimmed, currency);
  if (minor === null) throw new Error(`${label}: enter an amount in ${currency}, or leave it empty for no limit.`);
  return minor;
}

export async function reload() {
  draw(await api.get(`${base()}/limits`));
}

export function setup() {
  onSubmit($("#limits-form"), async (form) => {
    const currency = state.merchant.currency;
    const body = {max_charge: amount(form.get("max_charge"), currency, "Largest charge"),
      daily_refunds: amount(form.get("daily_refunds"), currency, "Refunds per day")};
    draw(await api.request("PUT", `${base()}/limits`, {body}));
    notice("The limits are saved.");
  });
}
