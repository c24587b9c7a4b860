// The audit trail with the API's filters (who, object, action, time), newest first, on its cursor.
import {$, el} from "../../wallet/js/ui.js";
import {cells, when} from "../../merchant/js/dom.js";
import {pager} from "../../merchant/js/pager.js";
import {nameOf, state} from "./state.js";

// {"tier": "basic"} -> {"tier": "verified"} reads as "tier: basic → verified".
function change(before, after) {
  const keys = [...new Set([...Object.keys(before || {}), ...Object.keys(after || {})])];
  return keys.map((k) => {
    const was = before && k in before ? JSON.stringify(before[k]) : "";
    const now = after && k in after ? JSON.stringify(after[k]) : "";
    return was === now ? `${k}: ${now}` : `${k}: ${was || "–"} → ${now || "–"}`;
  }).join("; ");
}

function row(r) {
  return cells(String(r.seq), when(r.created_at), `${nameOf(r.actor_id)} (${r.actor_type})`, r.action,
    `${r.object_type} ${r.object_id}`, change(r.before, r.after), r.reason, r.ip);
}

const pages = pager({table: "#audit-table", end: "#audit-end", more: "#audit-more", row, empty: "No records match."});

function filters() {
  const form = new FormData($("#audit-filters"));
  const query = new URLSearchParams();
  for (const name of ["actor_id", "object_id", "action"]) if (form.get(name)) query.set(name, form.get(name).trim());
  // datetime-local is the operator's local time; the API wants an instant with its zone.
  for (const name of ["since", "until"]) if (form.get(name)) query.set(name, new Date(form.get(name)).toISOString());
  return query;
}

export function fillActors() {
  const options = [...state.names].map(([id, name]) => el("option", {value: id}, name));
  $("#audit-actor").replaceChildren(el("option", {value: ""}, "anyone"), ...options);
}

export const reload = () => pages.restart("/admin/audit", filters());

// Open the trail filtered on one object (a user's page links here).
export function about(objectId) {
  $("#audit-filters").reset();
  $("#audit-object").value = objectId;
}

export function setup(fail) {
  $("#audit-filters").addEventListener("submit", (event) => { event.preventDefault(); reload().catch(fail); });
  $("#audit-more").addEventListener("click", () => pages.next().catch(fail));
}
