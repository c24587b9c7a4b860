// Freezes of a user or one wallet, on the freezes API (POST /admin/freezes, GET ?user_id=&active=true,
// POST /admin/freezes/{id}/lift). The panel appears only where that API exists: GET /admin/me says
// whether the server has it, and a 404 on the list hides the panel too; the rest of the console is
// unchanged either way.
import * as api from "../../wallet/js/api.js";
import {$, el, notice, onSubmit} from "../../wallet/js/ui.js";
import {when} from "../../merchant/js/dom.js";
import {may, state} from "./state.js";

function item(freeze) {
  const what = freeze.wallet_id ? `wallet ${freeze.wallet_id}` : "the whole user";
  // set_by is "operator" or "user", not an id: which operator it was is in the audit trail.
  const by = freeze.set_by === "user" ? "set by the user" : "set by an operator";
  const text = `${what}, ${freeze.scope === "all" ? "nothing moves" : "no money out"}: ${freeze.reason} ` +
    `(${by}, ${when(freeze.created_at)}${freeze.ends_at ? ", ends " + when(freeze.ends_at) : ""})`;
  const li = el("li", {}, el("span", {}, text), " ");
  if (may("freeze")) {
    // A reason is asked for on the row itself: lifting is audited like freezing.
    const field = `lift-${freeze.id}`;
    const form = el("form", {class: "inline"},
      el("div", {}, el("label", {for: field}, `Why lift the freeze of ${what}`),
        el("input", {id: field, name: "reason", minlength: "3", maxlength: "280", required: ""})),
      el("div", {class: "actions"}, el("button", {type: "submit"}, "Lift")));
    onSubmit(form, async (data) => {
      await api.post(`/admin/freezes/${freeze.id}/lift`, {reason: data.get("reason").trim()});
      await show(state.user.user.id);
      notice("The freeze is lifted.");
    });
    li.append(form);
  }
  return li;
}

export async function show(userId) {
  $("#freezes").hidden = true;
  if (!state.me.features.freezes) return; // this server has no freezes API (yet)
  let list;
  try {
    list = await api.get(`/admin/freezes?${new URLSearchParams({user_id: userId, active: "true"})}`);
  } catch (error) {
    if (error.status === 404) { $("#freezes").hidden = true; return; }
    throw error;
  }
  $("#freezes").hidden = false;
  $("#freeze-list").replaceChildren(...list.data.map(item));
  $("#freeze-none").hidden = list.data.length > 0;
  $("#freeze-form").hidden = !may("freeze");
}

export function setup(reopen) {
  onSubmit($("#freeze-form"), async (form) => {
    const ends = form.get("ends_at");
    await api.post("/admin/freezes", {user_id: state.user.user.id, wallet_id: form.get("wallet_id") || null,
      scope: form.get("scope"), reason: form.get("reason").trim(), ends_at: ends ? new Date(ends).toISOString() : null});
    $("#freeze-form").reset();
    await reopen();
    notice("Frozen.");
  });
}
