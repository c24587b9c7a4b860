// Who is signed in, and their wallets (the position in GET /wallets is the code's slot digit).
import * as api from "./api.js";
import * as store from "./store.js";
import {$$, el} from "./ui.js";

export const state = {me: null, wallets: []};

export async function load() {
  const [me, wallets] = await Promise.all([api.get("/me"), api.get("/wallets")]);
  state.me = me;
  state.wallets = wallets.data;
  await store.save("wallets", state.wallets.map(({id, currency}) => ({id, currency})));
  fillSelects();
  return state;
}

export function fillSelects() {
  for (const select of $$("select.wallets")) {
    const chosen = select.value;
    select.replaceChildren(...state.wallets.map((w, slot) => el("option", {value: w.id, "data-slot": slot}, w.currency)));
    if (chosen) select.value = chosen;
  }
  const currencies = [...new Set(state.wallets.map((w) => w.currency))];
  for (const select of $$("select.currencies")) {
    select.replaceChildren(...currencies.map((c) => el("option", {value: c}, c)));
  }
}

export const wallet = (id) => state.wallets.find((w) => w.id === id);
export const needsPin = (amount) => state.me && amount > state.me.limits.no_pin_amount;
