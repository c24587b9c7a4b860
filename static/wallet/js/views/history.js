// History with the API's filters, the next page loaded as the end of the list comes into view
// (the API's cursor), a receipt per row, and the same rows as CSV.
import * as api from "../api.js";
import {format} from "../money.js";
import {$, el, facts, fail} from "../ui.js";

let query = null, cursor = null, loading = false, done = true;

function filters() {
  const form = new FormData($("#history-filters"));
  const params = new URLSearchParams();
  for (const name of ["type", "status", "from", "to", "q"]) if (form.get(name)) params.set(name, form.get(name));
  return {wallet: form.get("wallet"), params};
}

// The person's own fee: a top-up's (deducted) or a P2P transfer's they sent (paid on top). A
// merchant payment's row carries the merchant's fee, and a received transfer the sender's: neither
// is the person's cost, so neither is shown as theirs.
export const ownFee = (t) => t.fee && (t.type === "topup" || (t.type === "transfer" && t.amount < 0)) ? t.fee : 0;

// An offline sale's time of sale (the device's clock); created_at is when it was posted.
const soldAt = (t) => t.sold_at || (t.offline && t.offline.sold_at) || null;

function row(item) {
  const who = item.counterparty && (item.counterparty.name || item.counterparty.merchant_name || item.counterparty.identifier);
  const button = el("button", {type: "button", class: "row", "data-id": item.id},
    el("span", {}, [item.type, who, item.reference || item.note].filter(Boolean).join(" · ")),
    el("strong", {class: item.amount < 0 ? "out" : "in"}, format(item.amount, item.currency)),
    el("small", {}, new Date(item.created_at).toLocaleString()),
    ownFee(item) ? el("small", {class: "fee"}, `fee ${format(ownFee(item), item.currency)}`) : "",
    soldAt(item) ? el("small", {class: "sold"}, `sold offline ${new Date(soldAt(item)).toLocaleString()}`) : "");
  button.addEventListener("click", () => receipt(item.id).catch(fail));
  return el("li", {}, button);
}

async function more() {
  if (loading || done) return;
  loading = true;
  try {
    const params = new URLSearchParams(query.params);
    params.set("limit", "20");
    if (cursor) params.set("cursor", cursor);
    const page = await api.get(`/wallets/${query.wallet}/transactions?${params}`);
    $("#history-list").append(...page.data.map(row));
    cursor = page.next_cursor;
    done = !page.has_more;
    $("#history-end").textContent = done ? ($("#history-list").children.length ? "That is all." : "Nothing here yet.") : "";
  } finally { loading = false; }
  if (!done && inView()) await more(); // a tall screen may need more than one page to fill
}

const inView = () => $("#history-end").getBoundingClientRect().top < window.innerHeight + 200;

export async function reload() {
  query = filters();
  cursor = null;
  done = false;
  $("#history-list").replaceChildren();
  await more();
}

async function receipt(id) {
  const t = await api.get(`/transactions/${id}`);
  const cp = t.counterparty || {};
  facts($("#receipt dl"), [["Amount", format(t.amount, t.currency)], ["Type", t.type], ["Status", t.status],
    ["Fee", ownFee(t) ? format(ownFee(t), t.currency) : null],
    ["With", cp.name || cp.merchant_name || cp.identifier], ["Terminal", t.terminal && (t.terminal.label || t.terminal.id)],
    ["Reference", t.reference], ["Note", t.note], ["Balance after", t.balance_after === null ? null : format(t.balance_after, t.currency)],
    ["Sold (offline)", soldAt(t) && new Date(soldAt(t)).toLocaleString()],
    [soldAt(t) ? "Posted" : "At", new Date(t.created_at).toLocaleString()], ["Id", t.id]]);
  $("#receipt").showModal();
}

// The CSV needs the bearer token, so a plain link cannot fetch it: fetch, then save the blob.
async function csv() {
  const {wallet, params} = filters();
  const response = await api.request("GET", `/wallets/${wallet}/transactions.csv?${params}`, {raw: true});
  const url = URL.createObjectURL(await response.blob());
  const link = el("a", {href: url, download: `wallet-${wallet}.csv`});
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

// Opening and closing balance of a month, and what came in and went out per type.
async function statement(month) {
  const {wallet} = filters();
  const s = await api.get(`/wallets/${wallet}/statements/${month}`);
  const money = (amount) => format(amount, s.currency);
  facts($("#statement"), [["Opening balance", money(s.opening_balance)],
    ...Object.entries(s.totals).map(([type, t]) => [type, `in ${money(t.in)}, out ${money(t.out)}`]),
    ["Closing balance", money(s.closing_balance)], ["Transactions", s.count]]);
}

export function setup() {
  $("#statement-month").value = new Date().toISOString().slice(0, 7);
  $("#statement-form").addEventListener("submit", (event) => {
    event.preventDefault();
    statement($("#statement-month").value).catch(fail);
  });
  $("#history-filters").addEventListener("submit", (event) => { event.preventDefault(); reload().catch(fail); });
  $("#csv").addEventListener("click", () => csv().catch(fail));
  new IntersectionObserver((entries) => {
    if (entries.some((entry) => entry.isIntersecting)) more().catch(fail);
  }, {rootMargin: "200px"}).observe($("#history-end"));
}
