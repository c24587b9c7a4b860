// Terminals to look at: not seen for the chosen time, or with offline sales unreported or refused.
import * as api from "../../wallet/js/api.js";
import {$, el} from "../../wallet/js/ui.js";
import {cells, when} from "../../merchant/js/dom.js";

function row(t) {
  const tr = cells(`${t.label} (${t.kind}, ${t.id})`, t.merchant_name, t.status,
    `${when(t.last_seen_at)}${t.stale ? " (stale)" : ""}`);
  tr.append(el("td", {class: "num"}, String(t.unreported)), el("td", {class: "num"}, String(t.refused)),
    el("td", {}, t.gaps.map(([first, last]) => first === last ? `${first}` : `${first}–${last}`).join(", ")));
  return tr;
}

export async function reload() {
  const list = await api.get(`/admin/terminals?${new URLSearchParams({stale_after: $("#stale-after").value})}`);
  $("#watch-table tbody").replaceChildren(...list.data.map(row));
  $("#watch-end").textContent = list.data.length ? (list.has_more ? "The 50 stalest are shown." : "") : "All terminals are well.";
}

export function setup(fail) {
  $("#terminal-filters").addEventListener("submit", (event) => { event.preventDefault(); reload().catch(fail); });
}
