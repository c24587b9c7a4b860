// A day's settlement (per terminal and currency) and offline sales paid but never reported.
import * as api from "../../wallet/js/api.js";
import {format} from "../../wallet/js/money.js";
import {$, el} from "../../wallet/js/ui.js";
import {base} from "./state.js";
import {amountCell, cells} from "./dom.js";

function totalsRows(label, count, totals) {
  return Object.entries(totals).map(([currency, t]) => {
    const tr = cells(`${label} (${currency})`, count);
    // gross = sales - refunds; fees = the fee lines less fees returned; net = gross - fees.
    tr.append(...["sales", "refunds", "gross", "fees", "net"].map((k) => amountCell(format(t[k], currency))));
    return tr;
  });
}

export async function settlement(date) {
  const s = await api.get(`${base()}/settlements?date=${encodeURIComponent(date)}`);
  $("#settlement-table tbody").replaceChildren(
    ...s.terminals.flatMap((t) => totalsRows(t.label, t.count, t.totals)),
    ...totalsRows("All terminals", s.count, s.totals));
}

async function offline() {
  const u = await api.get(`${base()}/offline/unreported`);
  const items = u.issued_not_reported.map((o) => el("li", {},
    `${format(o.amount, o.currency)} · terminal ${o.terminal_id} · sequence ${o.seq} · payment ${o.payment_id}`));
  $("#offline-list").replaceChildren(...(items.length ? items : [el("li", {}, "None: every paid offline sale was reported.")]));
}

export async function reload() {
  const day = $("#settlement-date");
  day.value ||= new Date().toISOString().slice(0, 10);
  await Promise.all([settlement(day.value), offline()]);
}

export function setup(fail) {
  $("#settlement-form").addEventListener("submit", (event) => {
    event.preventDefault();
    settlement($("#settlement-date").value).catch(fail);
  });
}
