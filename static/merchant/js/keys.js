// The merchant's server API keys (owners only): create (the key shown once), revoke.
import * as api from "../../wallet/js/api.js";
import {$, el, onSubmit} from "../../wallet/js/ui.js";
import {base} from "./state.js";
import {action, cells, showOnce, when} from "./dom.js";

function row(k) {
  const revoke = k.revoked_at ? "" : action("Revoke", k.name, async () => {
    if (!window.confirm(`Revoke the key "${k.name}"? Servers using it stop working at once.`)) return;
    await api.request("DELETE", `${base()}/api-keys/${k.id}`);
    await reload();
  });
  return cells(k.name, k.prefix, when(k.created_at), when(k.last_used_at) || "never",
    k.revoked_at ? `revoked ${when(k.revoked_at)}` : "active", revoke || el("span"));
}

export async function reload() {
  const list = await api.get(`${base()}/api-keys`);
  $("#key-table tbody").replaceChildren(...list.data.map(row));
}

export function setup() {
  onSubmit($("#key-form"), async (form) => {
    const made = await api.post(`${base()}/api-keys`, {name: form.get("name")});
    showOnce($("#key-shown"), `Key "${made.name}"`, made.key);
    $("#key-form").reset();
    await reload();
  });
}
