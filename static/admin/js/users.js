// Find a user; their page: facts, the per-user ledger check, wallets, limits, holds, history,
// and (by right) the tier change, the adjustment proposal and the freeze panel.
import * as api from "../../wallet/js/api.js";
import {format, parse} from "../../wallet/js/money.js";
import {$, el, facts, notice, onSubmit} from "../../wallet/js/ui.js";
import {amountCell, cells, when} from "../../merchant/js/dom.js";
import * as freezes from "./freezes.js";
import {may, state} from "./state.js";

let tiers = null;

function result(user) {
  const button = el("button", {type: "button", class: "row", "aria-label": `Open ${user.name}`},
    el("span", {}, user.name), el("span", {}, user.tier),
    el("small", {}, [user.email, user.phone, user.id].filter(Boolean).join(" · ")));
  button.addEventListener("click", () => open(user.id).catch(fail));
  return el("li", {}, button);
}

let fail = () => {};

async function search(q) {
  const found = await api.get(`/admin/users?${new URLSearchParams({q})}`);
  $("#user-results").replaceChildren(...found.data.map(result));
  $("#user-none").hidden = found.data.length > 0;
  if (found.data.length === 1) await open(found.data[0].id);
}

function walletRows(page) {
  $("#wallet-table tbody").replaceChildren(...page.wallets.map((w) => {
    const tr = cells(`${w.id} (${w.currency})`, w.status);
    tr.append(amountCell(format(w.balance, w.currency)), amountCell(format(w.held, w.currency)),
      amountCell(format(w.available, w.currency)));
    return tr;
  }));
  $("#limits-tier").textContent = page.limits.tier.name;
  $("#limits-table tbody").replaceChildren(...page.limits.wallets.map((w) => {
    const tr = cells(w.wallet_id);
    tr.append(amountCell(format(w.day.left, w.currency)), amountCell(format(w.month.left, w.currency)),
      amountCell(format(w.balance_left, w.currency)));
    return tr;
  }));
  $("#hold-table tbody").replaceChildren(...page.holds.map((h) => {
    const tr = cells(when(h.created_at), h.reference, h.terminal_id, when(h.expires_at));
    tr.append(amountCell(format(h.amount, h.currency)));
    return tr;
  }));
  $("#hold-none").hidden = page.holds.length > 0;
  $("#history-table tbody").replaceChildren(...page.history.map((t) => {
    const cp = t.counterparty || {};
    const tr = cells(when(t.created_at), t.type, t.status, cp.name || cp.wallet_id, t.reference || t.note);
    tr.append(amountCell(format(t.amount, t.currency)));
    return tr;
  }));
}

async function verify(userId) {
  const box = $("#user-verify");
  box.textContent = "Checking this user's ledger entries...";
  box.className = "verify";
  const check = await api.get(`/admin/users/${userId}/verify`);
  const entries = check.wallets.reduce((sum, w) => sum + w.entries, 0);
  const counted = `${entries} ${entries === 1 ? "entry" : "entries"}`;
  box.textContent = check.ok ? `Ledger check: OK (${counted}, hash chains and balances recomputed)`
    : `Ledger check FAILED: ${check.problems.join("; ")}`;
  box.className = check.ok ? "verify ok" : "verify bad";
}

function walletOptions(select, wallets, extra = []) {
  select.replaceChildren(...extra, ...wallets.map((w) => el("option", {value: w.id}, `${w.id} (${w.currency})`)));
}

export async function open(userId) {
  const page = await api.get(`/admin/users/${userId}`);
  state.user = page;
  const u = page.user;
  $("#user").hidden = false;
  $("#user-name").textContent = u.name;
  facts($("#user-facts"), [["User id", u.id], ["E-mail", u.email], ["Phone", u.phone], ["Status", u.status],
    ["Verified", u.verified ? "yes" : "no"], ["Tier", u.tier], ["Since", when(u.created_at)],
    ["Operator roles", page.operator_roles.join(", ")]]);
  walletRows(page);
  $("#tier-form").hidden = !may("configuration");
  if (may("configuration")) {
    tiers ||= (await api.get("/admin/tiers")).data;
    $("#tier-name").replaceChildren(...tiers.map((t) => el("option", {value: t.name}, t.name)));
    $("#tier-name").value = u.tier;
  }
  $("#propose").hidden = !may("adjustments") || page.wallets.length === 0;
  walletOptions($("#adj-wallet"), page.wallets);
  walletOptions($("#freeze-wallet"), page.wallets, [el("option", {value: ""}, "the whole user (every wallet)")]);
  await Promise.all([verify(u.id), freezes.show(u.id)]);
}

export function setup(onFail) {
  fail = onFail;
  onSubmit($("#user-search"), (form) => search(form.get("q").trim()));
  onSubmit($("#tier-form"), async (form) => {
    const u = state.user.user;
    const moved = await api.request("PUT", `/admin/users/${u.id}/tier`,
      {body: {tier: form.get("tier"), reason: form.get("reason").trim()}});
    $("#tier-form").reset();
    await open(u.id);
    notice(`${u.name} is now in the tier ${moved.tier}.`);
  });
  onSubmit($("#propose-form"), async (form) => {
    const wallet = state.user.wallets.find((w) => w.id === form.get("wallet_id"));
    const amount = parse(form.get("amount"), wallet.currency);
    if (amount === null) throw new Error(`Type an amount in ${wallet.currency}, like 12.50.`);
    const made = await api.post("/admin/adjustments", {wallet_id: wallet.id, direction: form.get("direction"),
      counter: form.get("counter"), amount, currency: wallet.currency, reason: form.get("reason").trim(),
      reference: form.get("reference").trim()});
    $("#propose-form").reset();
    notice(`Proposed ${made.id}: ${made.direction} of ${format(made.amount, made.currency)}, waiting for a second operator.`);
  });
  freezes.setup(() => open(state.user.user.id));
}
