// Sales and refunds with the API's filters, paged on its cursor ("Show more"), and the same rows as CSV.
import * as api from "../../wallet/js/api.js";
import {format} from "../../wallet/js/money.js";
import {$, el} from "../../wallet/js/ui.js";
import {base} from "./state.js";
import {amountCell, cells, when} from "./dom.js";

let params = null, cursor = null;

function filters() {
  const form = new FormData($("#sales-filters"));
  const query = new URLSearchParams();
  for (const name of ["type", "status", "from", "to", "q"]) if (form.get(name)) query.set(name, form.get(name));
  return query;
}

function row(t) {
  const cp = t.counterparty || {};
  const tr = cells(when(t.created_at), t.type, t.status, cp.name || cp.identifier, t.reference || t.note);
  tr.append(amountCell(format(t.amount, t.currency)));
  return tr;
}

export async function more() {
  const query = new URLSearchParams(params);
  query.set("limit", "25");
  if (cursor) query.set("cursor", cursor);
  const page = await api.get(`${base()}/transactions?${query}`);
  const body = $("#sales-table tbody");
  body.append(...page.data.map(row));
  cursor = page.next_cursor;
  $("#sales-more").hidden = !page.has_more;
  $("#sales-end").textContent = page.has_more ? "" : (body.children.length ? "That is all." : "No sales yet.");
}

export async function reload() {
  params = filters();
  cursor = null;
  $("#sales-table tbody").replaceChildren();
  await more();
}

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
  $("#sales-more").addEventListener("click", () => more().catch(fail));
}
