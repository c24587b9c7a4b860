// The merchant dashboard: staff sign in with the wallet's flows and modules (same API, same
// token handling), pick a merchant they work for, and see only the tabs their role may use.
import * as api from "../../wallet/js/api.js";
import * as signin from "../../wallet/js/views/signin.js";
import {$, $$, el, fail, notice, showTab} from "../../wallet/js/ui.js";
import * as keys from "./keys.js";
import * as limits from "./limits.js";
import * as orders from "./orders.js";
import * as qrcodes from "./qrcodes.js";
import * as reports from "./reports.js";
import * as sales from "./sales.js";
import * as staff from "./staff.js";
import * as statements from "./statements.js";
import * as terminals from "./terminals.js";
import * as webhooks from "./webhooks.js";
import {choose, may, state} from "./state.js";

const VIEWS = {sales, orders, terminals, reports, statements, limits, staff, keys, webhooks};

function showSignedIn(on) {
  $("#signin").hidden = on;
  $("#pick").hidden = !on;
  $("#sign-out").hidden = !on;
  if (!on) {
    // Signed out: nothing of the last person's shop stays in the page, secrets shown once least of all.
    $("#tabs").hidden = true;
    for (const section of $$("section.tab")) section.hidden = true;
    for (const box of $$(".once")) { box.replaceChildren(); box.hidden = true; }
    for (const body of $$("section.tab tbody, #offline-list, #limits-now")) body.replaceChildren();
    $("#statement-summary").textContent = "";
    $("#who").textContent = "";
  }
}

// Tabs the role may not use are removed from view, and a secret shown once is not left on screen
// for the next merchant's staff to read.
function offer() {
  const m = state.merchant;
  $("#tabs").hidden = !m;
  if (!m) return;
  $("#role").textContent = `You are ${m.role === "owner" ? "an owner" : "a " + m.role} of ${m.name} (${m.currency}).`;
  for (const button of $$("#tabs button")) button.hidden = Boolean(button.dataset.right) && !may(button.dataset.right);
  for (const box of $$(".once")) box.hidden = true;
  showTab("sales");
}

async function enter() {
  const [me, merchants] = await Promise.all([api.get("/me"), api.get("/merchants")]);
  $("#who").textContent = me.name;
  state.me = me;
  state.merchants = merchants.data;
  $("#merchant").replaceChildren(...state.merchants.map((m) => el("option", {value: m.id}, m.name)));
  $("#no-merchant").hidden = state.merchants.length > 0;
  showSignedIn(true);
  choose(state.merchants.length ? state.merchants[0].id : null);
  offer();
}

async function start() {
  signin.setup((tokens) => { api.adopt(tokens); notice(""); enter().catch(fail); });
  for (const view of [sales, orders, qrcodes, terminals, reports, statements, limits, staff, keys, webhooks]) {
    view.setup(fail);
  }
  for (const button of $$("#tabs button")) button.addEventListener("click", () => showTab(button.dataset.tab));
  document.addEventListener("tab", (event) => {
    const view = VIEWS[event.detail];
    if (view) view.reload().catch(fail);
  });
  $("#merchant").addEventListener("change", () => { choose($("#merchant").value); offer(); });
  $("#sign-out").addEventListener("click", () => api.signOut());
  api.onSignedOut(() => { state.merchant = null; state.me = null; showSignedIn(false); });
  if (api.hasRefreshToken() && await api.refresh()) return enter();
  showSignedIn(false);
}

start().catch(fail);
