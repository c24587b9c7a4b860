// The till: a payment request shown as a QR and long-polled; a scanned customer code charged
// (with the wait for the customer's confirmation); refunds; the batch close; and, with the
// offline switch on, the offline sale of offline.js with its queue and the upload on reconnect.
import {format, parse} from "/static/wallet/js/money.js";
import {drawQr} from "/static/wallet/js/qr.js";
import {$, facts, fail, newReference, onSubmit, say} from "./dom.js";
import {ConfirmationCheck, expectedConfirmation, makeCode} from "./offline.js";
import {scanInto} from "./scan.js";
import {memoryRefusal, readPayment, refusal, remember} from "./purse.js";
import {enqueue, offlineSince, queued, rejected, setOfflineSince, settle, takeSeq, toUpload} from "./queue.js";

const UPLOAD_MAX = 200; // OFFLINE_UPLOAD_MAX_RECORDS

export function setupTill(terminal) {
  const currency = terminal.config.currency, id = terminal.terminalId;
  const money = (minor) => format(minor, currency);
  const amountOf = (text) => {
    const minor = parse(text, currency);
    if (minor === null) throw new Error(`Enter an amount in ${currency}, like ${money(450)}.`);
    return minor;
  };
  let sale = null; // the code on screen: {abort} online, {check, code} offline

  function show(payload, amount, status) {
    $("#request-box").hidden = false;
    drawQr($("#request-qr"), payload, "Byte");
    $("#request-payload").textContent = payload;
    $("#request-amount-shown").textContent = money(amount);
    say("#request-status", status);
  }

  function endSale() {
    if (sale && sale.abort) sale.abort.abort();
    sale = null;
    $("#confirm-form").hidden = true;
    $("#purse-form").hidden = true;
  }

  async function onlineSale(amount, reference) {
    const made = await terminal.post("/payment-requests", {amount, currency, reference});
    const abort = new AbortController();
    sale = {id: made.id, abort};
    show(made.payload, amount, "Waiting for the customer to pay…");
    const final = await terminal.waitWhile(`/payment-requests/${made.id}`, ["pending"], abort.signal);
    if (sale && sale.id === made.id) sale = null;
    if (final.status === "succeeded" || final.status === "authorized") say("#request-status", "Paid", "ok");
    else say("#request-status", final.status === "expired" ? "The code expired." : "Canceled.", "bad");
  }

  // The terminal's own limits for one outage (README "Limits"); the server checks them again on upload.
  function refuseOverLimits(amount) {
    const limits = terminal.config.offline.limits, since = offlineSince(id);
    const outage = queued(id).filter((record) => record.offline_since === since);
    const total = outage.reduce((sum, record) => sum + record.amount, 0);
    if (amount > limits.max_sale) throw new Error(`Offline, a sale may be at most ${money(limits.max_sale)}.`);
    if (outage.length + 1 > limits.max_count) throw new Error("The offline sales limit is reached: reconnect first.");
    if (total + amount > limits.max_total) throw new Error(`Offline sales may total at most ${money(limits.max_total)}.`);
    if (terminal.now() - since > limits.max_hours * 3600) throw new Error("Offline too long: reconnect first.");
  }

  async function offlineSale(amount, reference) {
    refuseOverLimits(amount);
    const profile = {...terminal.config.offline, terminal_id: id, merchant_id: terminal.config.merchant_id,
      label: terminal.config.label};
    const seq = takeSeq(id); // stored before the code is shown
    const code = await makeCode(terminal.keys, profile, {seq, amount, issuedAt: terminal.now(), reference});
    const check = new ConfirmationCheck(await expectedConfirmation(terminal.keys, id, code), id, code);
    sale = {check, code};
    show(code.payload, amount, "Offline code: when the customer has paid, enter the confirmation their app shows.");
    $("#confirm-form").hidden = false;
    $("#purse-form").hidden = false;
    $("#purse-payment").value = "";
    $("#confirmation").value = "";
    $("#confirmation").focus();
  }

  onSubmit($("#request-form"), async (form) => {
    const amount = amountOf(form.get("amount"));
    endSale();
    const reference = form.get("reference").trim() || newReference();
    await (terminal.offline ? offlineSale(amount, reference) : onlineSale(amount, reference));
  });

  onSubmit($("#confirm-form"), async (form) => {
    if (!sale || !sale.check) return;
    const {check, code} = sale;
    const result = check.check(form.get("confirmation"));
    if (result.ok) {
      enqueue(id, {seq: code.seq, nonce: code.nonce, amount: code.amount, currency: code.currency,
        reference: code.reference, sold_at: code.issuedAt, offline_since: offlineSince(id),
        payment_id: result.paymentId, confirmation: check.expected});
      endSale();
      say("#request-status", "Paid (offline): the sale is queued for upload.", "ok");
      showQueue();
    } else if (check.void) {
      endSale();
      say("#request-status", "Too many wrong confirmations: this code is void. Start the sale again.", "bad");
    } else {
      say("#request-status", `Wrong confirmation: ${check.left} tries left.`, "bad");
    }
  });

  // Case 3: the customer's phone is offline too and pays from its purse: the token is checked
  // here (./purse.js), and the sale queued with it, as the case-1 confirmation would be.
  onSubmit($("#purse-form"), async (form) => {
    if (!sale || !sale.check) return;
    const {code} = sale;
    const payment = readPayment(form.get("payment"));
    if (!payment) { say("#request-status", "That is not a purse payment (it starts with WPP1:).", "bad"); return; }
    const {certificate, token} = payment;
    const reason = await refusal(certificate, token, {purse: terminal.config.offline.purse, terminalId: id,
      nonce: code.nonce, amount: code.amount, currency, now: terminal.now()}) || memoryRefusal(id, certificate, token);
    if (reason) { say("#request-status", `Purse payment refused: ${reason}.`, "bad"); return; }
    remember(id, token);
    enqueue(id, {kind: "purse", certificate, token, amount: token.amount, offline_since: offlineSince(id)});
    endSale();
    say("#request-status", "Paid with the customer's offline purse: queued for upload.", "ok");
    showQueue();
  });

  // A scanned confirmation is checked at once; so is a typed one, on Enter.
  scanInto($("#scan-confirmation"), $("#confirmation"), () => $("#confirm-form").requestSubmit());
  scanInto($("#scan-charge-code"), $("#charge-code"));
  scanInto($("#scan-purse"), $("#purse-payment"), () => $("#purse-form").requestSubmit());

  $("#request-cancel").addEventListener("click", async () => {
    const current = sale;
    endSale();
    $("#request-box").hidden = true;
    if (current && current.id && !terminal.offline) {
      try { await terminal.post(`/payment-requests/${current.id}/cancel`); } catch (error) { fail(error); }
    }
  });

  onSubmit($("#charge-form"), async (form) => {
    const amount = amountOf(form.get("amount"));
    let charge;
    try {
      charge = await terminal.post("/charges", {payment_code: form.get("payment_code").trim(), amount, currency,
        reference: newReference()});
    } catch (error) {
      if (error.status !== 402) throw error;
      say("#charge-status", `Refused: ${error.message}`, "bad");
      return;
    }
    if (charge.status === "requires_confirmation") {
      say("#charge-status", `Waiting for ${charge.wallet_owner_display || "the customer"} to confirm ${money(amount)} in their app…`);
      charge = await terminal.waitWhile(`/charges/${charge.id}`, ["requires_confirmation"]);
    }
    if (charge.status === "succeeded") {
      say("#charge-status", `Paid: ${money(charge.amount)} by ${charge.wallet_owner_display || "the customer"} (${charge.id})`, "ok");
      $("#refund-charge").value = charge.id;
    } else {
      say("#charge-status", `Not paid: the charge is ${charge.status}.`, "bad");
    }
  });

  onSubmit($("#refund-form"), async (form) => {
    const amount = amountOf(form.get("amount"));
    const refund = await terminal.post(`/charges/${encodeURIComponent(form.get("charge_id").trim())}/refunds`, {amount});
    say("#refund-status", `Refunded ${money(refund.amount)}; ${money(refund.remaining)} left to refund.`, "ok");
  });

  $("#close-batch").addEventListener("click", async () => {
    try {
      const batch = await terminal.post("/batches/close");
      const rows = [["Sales and refunds", batch.count]];
      for (const [code, totals] of Object.entries(batch.totals)) {
        // gross = sales - refunds; fees = the merchant's fee lines less fees returned; net = gross - fees.
        rows.push([`Sales (${code})`, format(totals.sales, code)], [`Refunds (${code})`, format(totals.refunds, code)],
          [`Gross (${code})`, format(totals.gross, code)], [`Fees (${code})`, format(totals.fees, code)],
          [`Net (${code})`, format(totals.net, code)]);
      }
      if (batch.offline) rows.push(["Offline sales not uploaded", batch.offline.unreported]);
      facts($("#batch"), rows);
    } catch (error) { fail(error); }
  });

  function showQueue() {
    const waiting = queued(id).length, refused = rejected(id).length;
    $("#queue-count").textContent = `${waiting} offline sale${waiting === 1 ? "" : "s"} waiting to upload` +
      (refused ? `; ${refused} refused by the server (kept for the operator)` : "") + ".";
  }

  async function upload() {
    const records = queued(id).slice(0, UPLOAD_MAX);
    if (!records.length) return;
    const answer = await terminal.post("/offline/sales", {records: records.map(toUpload)});
    settle(id, records, answer.results);
    $("#upload-results").replaceChildren(...answer.results.map((result) => {
      const item = document.createElement("li");
      const what = result.purse_id ? `Purse payment of ${money(records[result.index].amount)} (token ${result.counter})`
        : `Sale ${result.seq ?? result.index + 1}`;
      item.textContent = `${what}: ${result.status}` + (result.overspend ? " (an overspend: the purse is frozen)" : "") +
        (result.reason ? ` (${result.reason})` : "") + (result.breaches.length ? `, over ${result.breaches.join(", ")}` : "");
      return item;
    }));
    showQueue();
  }

  $("#offline").addEventListener("change", async (event) => {
    endSale();
    $("#request-box").hidden = true;
    if (event.target.checked) {
      // Before the uplink goes: fresh limits and clock, and the outage's start.
      try { Object.assign(terminal, {config: await terminal.get("/config")}); } catch (error) { fail(error); }
      if (offlineSince(id) === null) setOfflineSince(id, terminal.now());
      terminal.offline = true;
      say("#request-status", "");
      $("#notice").textContent = "Offline: the till makes its own codes and queues its sales.";
    } else {
      terminal.offline = false;
      $("#notice").textContent = "Back online.";
      try {
        await upload();
        if (!queued(id).length) setOfflineSince(id, null);
      } catch (error) { fail(error); }
    }
  });
  showQueue();
  // A till that restarts with sales still queued (closed tab, reboot) uploads them once it is up.
  if (queued(id).length) upload().then(() => { if (!queued(id).length) setOfflineSince(id, null); }, fail);
}
