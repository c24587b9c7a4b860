// A UTC month's statement: opening and closing balance, the month's and each day's sales, refunds,
// fees, fees returned, adjustments and net (GET /merchants/{id}/statements/{YYYY-MM}), and its CSV.
import * as api from "../../wallet/js/api.js";
import {format} from "../../wallet/js/money.js";
import {$, el} from "../../wallet/js/ui.js";
import {base} from "./state.js";
import {amountCell} from "./dom.js";

const COLUMNS = ["opening_balance", "sales", "refunds", "fees", "fees_returned", "adjustments", "net", "closing_balance"];

function row(label, figures, currency, heading = false) {
  // One column for adjustments and "other" (anything else: money between the merchant's own
  // accounts, which adds to 0), so every row still adds up to its net.
  const shown = {...figures, adjustments: figures.adjustments + (figures.other || 0)};
  return el("tr", heading ? {class: "total"} : {}, el(heading ? "th" : "td", heading ? {scope: "row"} : {}, label),
    ...COLUMNS.map((name) => amountCell(format(shown[name], currency))));
}

const month = () => $("#statement-month").value;

export async function show() {
  const s = await api.get(`${base()}/statements/${encodeURIComponent(month())}`);
  const c = s.currency;
  $("#statement-summary").textContent = `${s.month} (UTC${s.complete ? "" : ", so far"}): opened at `
    + `${format(s.opening_balance, c)}, closed at ${format(s.closing_balance, c)}; net ${format(s.totals.net, c)}.`;
  const whole = {...s.totals, opening_balance: s.opening_balance, closing_balance: s.closing_balance};
  $("#statement-table tbody").replaceChildren(row(`Month ${s.month}`, whole, c, true),
    ...s.days.map((d) => row(d.date, d, c)));
}

// As the sales CSV: the bearer token is needed, so fetch, then save the blob.
async function csv() {
  const response = await api.request("GET", `${base()}/statements/${encodeURIComponent(month())}.csv`, {raw: true});
  const url = URL.createObjectURL(await response.blob());
  const link = el("a", {href: url, download: `statement-${month()}.csv`});
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export async function reload() {
  const input = $("#statement-month");
  input.value ||= new Date().toISOString().slice(0, 7);  // this UTC month
  await show();
}

export function setup(fail) {
  $("#statement-form").addEventListener("submit", (event) => { event.preventDefault(); show().catch(fail); });
  $("#statement-csv").addEventListener("click", () => csv().catch(fail));
}
