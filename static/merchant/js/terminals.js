// Terminals: register (the secret shown once), disable, enable, rotate the secret.
import * as api from "../../wallet/js/api.js";
import {$, el, onSubmit} from "../../wallet/js/ui.js";
import {base} from "./state.js";
import {action, cells, showOnce} from "./dom.js";

function row(t) {
  const change = t.status === "active" ? "disable" : "enable";
  return cells(t.label, t.kind, t.status, t.id, el("span", {},
    action(change === "disable" ? "Disable" : "Enable", t.label, async () => {
      await api.post(`${base()}/terminals/${t.id}/${change}`);
      await reload();
    }),
    action("Rotate secret", t.label, async () => {
      const rotated = await api.post(`${base()}/terminals/${t.id}/rotate-secret`);
      showOnce($("#terminal-secret"), `New secret of ${t.label}`, rotated.secret);
      await reload();
    })));
}

export async function reload() {
  const list = await api.get(`${base()}/terminals`);
  $("#terminal-table tbody").replaceChildren(...list.data.map(row));
}

export function setup() {
  onSubmit($("#terminal-form"), async (form) => {
    const made = await api.post(`${base()}/terminals`, {label: form.get("label"), kind: form.get("kind")});
    showOnce($("#terminal-secret"), `Secret of ${made.label} (${made.id})`, made.secret);
    $("#terminal-form").reset();
    await reload();
  });
}
