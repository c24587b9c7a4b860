// Orders the shop's server made (GET /merchants/{id}/orders, the staff's read of them), by status, paged on the cursor.
import {format} from "../../wallet/js/money.js";
import {$} from "../../wallet/js/ui.js";
import {base} from "./state.js";
import {amountCell, cells, when} from "./dom.js";
import {pager} from "./pager.js";

function row(o) {
  const tr = cells(when(o.created_at), o.reference, o.description, o.status.replace("_", " "));
  tr.append(amountCell(format(o.amount, o.currency)), amountCell(format(o.refunded_amount, o.currency)));
  return tr;
}

const pages = pager({table: "#orders-table", end: "#orders-end", more: "#orders-more", row, empty: "No orders."});

export function reload() {
  const status = $("#orders-status").value;
  return pages.restart(`${base()}/orders`, status ? new URLSearchParams({status}) : new URLSearchParams());
}

export function setup(fail) {
  $("#orders-filters").addEventListener("submit", (event) => { event.preventDefault(); reload().catch(fail); });
  $("#orders-more").addEventListener("click", () => pages.next().catch(fail));
}
