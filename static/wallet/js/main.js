// The wallet page: signs in (or resumes the tab's session), then shows the tabs.
import * as api from "./api.js";
import * as account from "./account.js";
import * as store from "./store.js";
import * as code from "./views/code.js";
import * as history from "./views/history.js";
import * as home from "./views/home.js";
import * as pay from "./views/pay.js";
import * as purse from "./views/purse.js";
import * as settings from "./views/settings.js";
import * as signin from "./views/signin.js";
import {$, $$, fail, notice, showTab} from "./ui.js";

function showSignedIn(on) {
  $("#signin").hidden = on;
  $("#tabs").hidden = !on;
  $("#sign-out").hidden = !on;
  for (const button of $$("#tabs button")) button.hidden = false; // all of them again after an offline start
  if (!on) { for (const section of $$("section.tab")) section.hidden = true; $("#who").textContent = ""; }
}

async function enter() {
  await account.load();
  $("#who").textContent = account.state.me.name;
  showSignedIn(true);
  showTab("home"); // draws balances and pending charges (once: a second drawing would drop a PIN being typed)
}

async function signedIn(tokens) {
  api.adopt(tokens);
  notice("");
  await enter();
}

async function start() {
  signin.setup((tokens) => signedIn(tokens).catch(fail));
  home.setup(); pay.setup(); code.setup(); purse.setup(); history.setup(); settings.setup();
  for (const button of $$("#tabs button")) button.addEventListener("click", () => showTab(button.dataset.tab));
  document.addEventListener("tab", (event) => {
    code.stop();
    if (event.detail === "code") code.start();
    if (event.detail === "history") history.reload().catch(fail);
    if (event.detail === "home") home.refresh().catch(fail);
    if (event.detail === "purse") purse.refresh().catch(fail);
    if (event.detail === "settings") settings.refresh().catch(fail);
  });
  $("#sign-out").addEventListener("click", async () => {
    // A signed-out browser must not keep making codes that pay: revoke its device, then forget it.
    const saved = await store.load("device");
    // Sign-out goes on when the server cannot be reached; the device then stays until revoked elsewhere.
    if (saved) await api.request("DELETE", `/devices/${saved.id}`).catch(() => {});
    await purse.forget(); // and its offline purses' keys: closed, then cleared with the rest
    await store.clear();
    await api.signOut();
  });
  api.onSignedOut(() => { code.stop(); account.state.me = null; account.state.wallets = []; showSignedIn(false); });

  if (api.hasRefreshToken() && await api.refresh()) return enter();
  if (!navigator.onLine && (await store.load("device") || await store.load("purses"))) {
    // Offline with a registered device or a purse: the payment code and the purse still work;
    // nothing else can, so only their tabs are offered.
    for (const button of $$("#tabs button")) button.hidden = !["code", "purse"].includes(button.dataset.tab);
    $("#tabs").hidden = false;
    const device = await store.load("device");
    notice(device ? "You are offline: your payment code still works." : "You are offline: your offline purse still pays.");
    showTab(device ? "code" : "purse");
    return;
  }
  showSignedIn(false);
}

if ("serviceWorker" in navigator) navigator.serviceWorker.register("/sw.js").catch(() => {});
start().catch(fail);
