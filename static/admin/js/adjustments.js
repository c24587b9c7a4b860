// Adjustments, by status, on the API's cursor. Approve and Reject are offered to finance
// operators on pending proposals that are not their own (the API refuses a self-approval with
// 403 self_approval in any case).
import * as api from "../../wallet/js/api.js";
import {format} from "../../wallet/js/money.js";
import {$, el, notice} from "../../wallet/js/ui.js";
import {action, amountCell, cells, when} from "../../merchant/js/dom.js";
import {pager} from "../../merchant/js/pager.js";
import {may, nameOf, state} from "./state.js";

function decide(a, verb) {
  return action(verb === "approve" ? "Approve" : "Reject", a.reference, async () => {
    const decided = await api.post(`/admin/adjustments/${a.id}/${verb}`, {});
    notice(`${decided.reference}: ${decided.status}.`);
    await reload();
  });
}

function row(a) {
  const signed = a.direction === "debit" ? -a.amount : a.amount;
  const tr = cells(when(a.created_at), a.wallet_id, a.reason, a.reference, a.status, nameOf(a.proposed_by),
    nameOf(a.decided_by));
  tr.append(amountCell(format(signed, a.currency)));
  const actions = el("td", {});
  if (a.status === "pending" && may("adjustments") && a.proposed_by !== state.me.user_id) {
    actions.append(decide(a, "approve"), decide(a, "reject"));
  } else if (a.status === "pending" && a.proposed_by === state.me.user_id) {
    actions.append("yours: another operator decides");
  }
  tr.append(actions);
  return tr;
}

const pages = pager({table: "#adjustment-table", end: "#adjustment-end", more: "#adjustment-more", row,
  empty: "No adjustments."});

export function reload() {
  const status = $("#adjustment-status").value;
  return pages.restart("/admin/adjustments", status ? new URLSearchParams({status}) : new URLSearchParams());
}

export function setup(fail) {
  $("#adjustment-filters").addEventListener("submit", (event) => { event.preventDefault(); reload().catch(fail); });
  $("#adjustment-more").addEventListener("click", () => pages.next().catch(fail));
}
