// Settings: the payment PIN, the authenticator app (second factor), the devices that show
// payment codes (./devices.js), freezing a lost phone's wallets (./freezes.js) and the signed-in
// sessions.
import * as api from "../api.js";
import * as account from "../account.js";
import {drawQr} from "../qr.js";
import * as devices from "./devices.js";
import * as freezes from "./freezes.js";
import {$, el, fail, notice, onSubmit} from "../ui.js";

export async function refresh() {
  const totpOn = account.state.me && account.state.me.totp_enabled;
  $("#totp-state").textContent = totpOn ? "On: signing in with the password also asks for the app's code." : "Off.";
  $("#totp-start").hidden = Boolean(totpOn);
  await Promise.all([sessions(), devices.refresh(), freezes.refresh()]);
}

async function sessions() {
  const list = (await api.get("/auth/sessions")).data;
  $("#sessions").replaceChildren(...list.map((s) => {
    const label = `${s.device_name}${s.current ? " (this one)" : ""}, last used ${new Date(s.last_used_at).toLocaleString()}`;
    if (s.current) return el("li", {}, label);
    const end = el("button", {type: "button"}, "Sign it out");
    end.addEventListener("click", async () => {
      try { await api.request("DELETE", `/auth/sessions/${s.id}`); notice("Signed out."); await sessions(); } catch (error) { fail(error); }
    });
    return el("li", {}, label, " ", end);
  }));
}

export function setup() {
  devices.setup();
  freezes.setup();
  onSubmit($("#pin-form"), async (form) => {
    const body = {pin: form.get("pin")};
    if (form.get("current_pin")) body.current_pin = form.get("current_pin");
    await api.request("PUT", "/me/pin", {body});
    $("#pin-form").reset();
    notice("Your PIN is set.");
    await account.load();
  });
  $("#totp-start").addEventListener("click", async () => {
    try {
      const setup = await api.post("/auth/totp/setup");
      drawQr($("#totp-qr"), setup.otpauth_uri, "Byte"); // drawn here: the server's SVG would need inline styles
      $("#totp-secret").textContent = setup.secret;
      $("#totp-enable").hidden = false;
      $("#totp-code").focus();
    } catch (error) { fail(error); }
  });
  onSubmit($("#totp-enable"), async (form) => {
    const {recovery_codes: codes} = await api.post("/auth/totp/enable", {code: form.get("code").trim()});
    $("#totp-enable").hidden = true;
    $("#recovery-codes").replaceChildren(...codes.map((code) => el("li", {}, el("code", {}, code))));
    $("#recovery").hidden = false;
    notice("The authenticator is on.");
    await account.load();
    await refresh();
  });
}
