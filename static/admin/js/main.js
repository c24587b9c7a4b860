// The operator console: operators sign in with the wallet's flows and modules (same API, same
// token handling); GET /admin/me says which roles they hold and what those may do, and the
// page offers only that.
import * as api from "../../wallet/js/api.js";
import * as signin from "../../wallet/js/views/signin.js";
import {$, $$, fail, notice, showTab} from "../../wallet/js/ui.js";
import * as adjustments from "./adjustments.js";
import * as audit from "./audit.js";
import * as terminals from "./terminals.js";
import * as users from "./users.js";
import {state} from "./state.js";

const VIEWS = {adjustments, audit, terminals};

function showSignedIn(on) {
  $("#signin").hidden = on;
  $("#sign-out").hidden = !on;
  if (!on) {
    // Signed out: nothing of the last operator's work stays on the page.
    state.me = null;
    state.user = null;
    $("#tabs").hidden = true;
    $("#role").hidden = true;
    $("#not-operator").hidden = true;
    for (const section of $$("section.tab")) section.hidden = true;
    for (const body of $$("section.tab tbody, #user-results, #freeze-list")) body.replaceChildren();
    $("#user").hidden = true;
    $("#who").textContent = "";
  }
}

async function enter() {
  showSignedIn(true);
  try {
    state.me = await api.get("/admin/me");
  } catch (error) {
    if (error.code !== "not_an_operator") throw error;
    $("#not-operator").hidden = false;
    return;
  }
  $("#who").textContent = state.me.name;
  $("#role").textContent = `Signed in as ${state.me.roles.join(" and ")}: you may ${state.me.rights.join(", ")}.`;
  $("#role").hidden = false;
  // Names for the ids on adjustments and audit records.
  const operators = await api.get("/admin/operators");
  state.names = new Map(operators.data.map((o) => [o.user_id, o.name]));
  audit.fillActors();
  $("#tabs").hidden = false;
  showTab("users");
}

async function start() {
  signin.setup((tokens) => { api.adopt(tokens); notice(""); enter().catch(fail); });
  users.setup(fail);
  for (const view of [adjustments, audit, terminals]) view.setup(fail);
  for (const button of $$("#tabs button")) button.addEventListener("click", () => showTab(button.dataset.tab));
  document.addEventListener("tab", (event) => {
    const view = VIEWS[event.detail];
    if (view) view.reload().catch(fail);
  });
  $("#user-audit").addEventListener("click", () => { audit.about(state.user.user.id); showTab("audit"); });
  $("#sign-out").addEventListener("click", () => api.signOut());
  api.onSignedOut(() => showSignedIn(false));
  if (api.hasRefreshToken() && await api.refresh()) return enter();
  showSignedIn(false);
}

start().catch(fail);
