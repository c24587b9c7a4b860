// Settings, Devices: the person's devices that show payment codes (GET /devices), this browser
// registered on request, each renamed (PATCH) or removed (DELETE). Removing this browser's device
// also forgets its key here, so the code it showed stops at once (the server refuses it anyway).
import * as api from "../api.js";
import * as account from "../account.js";
import * as store from "../store.js";
import * as code from "./code.js";
import {$, el, fail, notice, onSubmit} from "../ui.js";

async function thisBrowser() {
  const saved = await store.load("device");
  return saved && account.state.me && saved.user_id === account.state.me.id ? saved : null;
}

export async function refresh() {
  const [list, saved] = await Promise.all([api.get("/devices"), thisBrowser()]);
  const mine = saved && list.data.some((d) => d.id === saved.id);
  $("#devices").replaceChildren(...list.data.map((d) => item(d, saved && d.id === saved.id)));
  $("#devices-empty").hidden = list.data.length > 0;
  // Not registered, or revoked from another device: offer to register this browser (again).
  $("#device-register").hidden = Boolean(mine);
  if (saved && !mine) { await store.remove("device"); await store.save(code.REMOVED, true); code.blank(); }
}

function item(device, current) {
  const input = el("input", {id: `device-name-${device.id}`, name: "name", value: device.name, maxlength: "100", required: ""});
  const rename = el("button", {type: "submit", "aria-label": `Rename ${device.name}`}, "Rename");
  const remove = el("button", {type: "button", class: "danger", "aria-label": `Remove ${device.name}`}, "Remove");
  const form = el("form", {class: "device"},
    el("p", {}, el("strong", {}, device.name), current ? " (this browser)" : "",
      el("br"), el("small", {class: "hint"}, `code handle ${device.handle}, added ${new Date(device.created_at).toLocaleDateString()}`)),
    el("label", {for: input.id}, `New name for ${device.name}`), input, rename, remove);
  onSubmit(form, async (data) => {
    await api.request("PATCH", `/devices/${device.id}`, {body: {name: data.get("name").trim()}});
    notice("Renamed.");
    await refresh();
  });
  remove.addEventListener("click", async () => {
    if (!window.confirm(`Remove ${device.name}? Its payment codes stop working at once.`)) return;
    try {
      await api.request("DELETE", `/devices/${device.id}`);
      if (current) { await store.remove("device"); await store.save(code.REMOVED, true); code.blank(); }
      notice(current ? "Removed: this browser shows no payment code now." : "Removed.");
      await refresh();
    } catch (error) { fail(error); }
  });
  return el("li", {}, form);
}

export function setup() {
  $("#device-register").addEventListener("click", async () => {
    try { await code.register(); notice("This browser now shows your payment code (My code)."); await refresh(); } catch (error) { fail(error); }
  });
}
