// Sales and refunds with the API's filters, paged on its cursor ("Show more"), and the same rows as CSV.
import * as api from "../../wallet/js/api.js";
import {format} from "../../wallet/js/money.js";
import {$, el} from "../../wallet/js/ui.js";
import {base} from "./state.js";
import {amountCell, cells, when} from "./dom.js";
import {pager} from "./pager.js";

function row(t) {
  const cp = t.counterparty || {};
  const tr = cells(when(t.created_at), t.type, t.status, cp.name || cp.identifier, t.reference || t.note);
  // The merchant's fee on a payment (what a refund gave back on a refund), and an offline sale's
  // time of sale beside the time it was posted.
  tr.append(amountCell(format(t.amount, t.currency)), amountCell(t.fee ? format(t.fee, t.currency) : ""));
  tr.append(el("td", {}, when(t.sold_at)));
  return tr;
}

const pages = pager({table: "#sales-table", end: "#sales-end", more: "#sales-more", row, empty: "No sales yet."});

function filters() {
  const form = new FormData($("#sales-filters"));
  const query = new URLSearchParams();
  for (const name of ["type", "status", "from", "to", "q"]) if (form.get(name)) query.set(name, form.get(name));
  return query;
}

export const reload = () => pages.restart(`${base()}/transactions`, filters());

// The CSV needs the bearer token, so a plain link cannot fetch it: fetch, then save the blob.
async function csv() {
  const response = await api.request("GET", `${base()}/transactions.csv?${filters()}`, {raw: true});
  const url = URL.createObjectURL(await response.blob());
  const link = el("a", {href: url, download: "sales.csv"});
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function setup(fail) {
  $("#sales-filters").addEventListener("submit", (event) => { event.preventDefault(); reload().catch(fail); });
  $("#sales-csv").addEventListener("click", () => csv().catch(fail));
  $("#sales-more").addEventListener("click", () => pages.next().catch(fail));
}
