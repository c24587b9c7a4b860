// Staff (owners and managers): who works for the shop and in which role; add an existing,
// verified user by phone or e-mail, change a role, remove someone. What the signed-in role may not
// do is not offered (app/merchant/roles.py): a manager adds and removes cashiers only; an owner
// gives any role and removes anyone. The API refuses the rest anyway (403 role_not_allowed), and
// the last owner can be neither demoted nor removed (409 conflict, its message shown). One's own
// row has no buttons.
import * as api from "../../wallet/js/api.js";
import {$, el, notice, onSubmit} from "../../wallet/js/ui.js";
import {base, may, state} from "./state.js";
import {action, cells, when} from "./dom.js";

const ROLES = ["owner", "manager", "cashier"];
const givable = () => may("roles") ? ROLES : ["cashier"];
const nameOf = (member) => member.name || member.user_id;

function row(member) {
  const name = nameOf(member), you = state.me && member.user_id === state.me.id;
  const controls = el("span", {});
  // Not on one's own row: a click would lock the person out of this very page (another owner can).
  if (you) return cells(`${name} (you)`, member.role, when(member.created_at), controls);
  if (may("roles")) {
    const select = el("select", {"aria-label": `Role of ${name}`},
      ...ROLES.map((role) => el("option", {value: role}, role)));
    select.value = member.role;
    controls.append(select, " ", action("Change role", name, async () => {
      await api.request("PATCH", `${base()}/staff/${member.id}`, {body: {role: select.value}});
      notice(`${name} is now ${select.value === "owner" ? "an owner" : "a " + select.value}.`);
      await reload();
    }), " ");
  }
  if (may("roles") || member.role === "cashier") {
    controls.append(action("Remove", name, async () => {
      if (!window.confirm(`Remove ${name} from the staff? They lose access at once.`)) return;
      await api.request("DELETE", `${base()}/staff/${member.id}`);
      notice(`${name} was removed.`);
      await reload();
    }));
  }
  return cells(name, member.role, when(member.created_at), controls);
}

export async function reload() {
  $("#staff-role").replaceChildren(...givable().map((role) => el("option", {value: role}, role)));
  $("#staff-role").value = "cashier";
  const list = await api.get(`${base()}/staff`);
  $("#staff-table tbody").replaceChildren(...list.data.map(row));
}

export function setup() {
  onSubmit($("#staff-form"), async (form) => {
    const added = await api.post(`${base()}/staff`, {identifier: form.get("identifier").trim(), role: form.get("role")});
    $("#staff-form").reset();
    notice(`${nameOf(added)} was added as ${added.role === "owner" ? "an owner" : "a " + added.role}.`);
    await reload();
  });
}
