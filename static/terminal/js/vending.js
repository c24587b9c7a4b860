// The vending machine: hold the dearest product's price with the customer's code (a machine cannot
// take a PIN, so holds stay at most NO_PIN_AMOUNT), let them choose, capture what was vended (the
// rest of the hold is released), or void.
import {exponent, format} from "/static/wallet/js/money.js";
import {scanInto} from "./scan.js";
import {$, el, fail, newReference, onSubmit, say} from "./dom.js";

// Prices in hundredths of the currency's unit; integer-scaled to its exponent below (no floats).
const PRODUCTS = [["Water", 100], ["Coffee", 150], ["Sandwich", 450]];

function minorUnits(hundredths, digits) {
  return digits >= 2 ? hundredths * 10 ** (digits - 2) : hundredths; // exponent 0 (JPY): ¥100, ¥150, ¥450
}

export function setupVending(terminal) {
  const currency = terminal.config.currency, digits = exponent(currency);
  const money = (minor) => format(minor, currency);
  const products = PRODUCTS.map(([name, price]) => ({name, price: minorUnits(price, digits)}));
  const maximum = Math.max(...products.map((product) => product.price));
  let hold = null;

  $("#products").replaceChildren(...products.map((product, index) => el("label", {},
    el("input", {type: "radio", name: "product", value: String(index), ...(index === 0 ? {required: ""} : {})}),
    `${product.name} — ${money(product.price)}`)));
  $("#authorize-form button[type=submit]").textContent = `Authorize ${money(maximum)}`;

  scanInto($("#scan-vend-code"), $("#vend-code"), () => $("#authorize-form").requestSubmit());

  onSubmit($("#authorize-form"), async (form) => {
    try {
      hold = await terminal.post("/authorizations", {payment_code: form.get("payment_code").trim(), amount: maximum,
        currency, reference: newReference()});
    } catch (error) {
      if (error.status !== 402) throw error;
      say("#vend-status", `Refused: ${error.message}`, "bad");
      return;
    }
    say("#vend-status", `Held ${money(hold.amount)}: choose a product.`, "ok");
    $("#authorize-form").hidden = true;
    $("#vend-form").hidden = false;
    $("#products input").focus();
  });

  function reset() {
    hold = null;
    $("#vend-form").hidden = true;
    $("#authorize-form").hidden = false;
    $("#authorize-form").reset();
  }

  onSubmit($("#vend-form"), async (form) => {
    const product = products[Number(form.get("product"))];
    const captured = await terminal.post(`/authorizations/${hold.id}/capture`, {amount: product.price});
    say("#vend-status", `Vended ${product.name}: charged ${money(captured.captured_amount)}, ` +
      `released ${money(captured.amount - captured.captured_amount)}.`, "ok");
    reset();
  });

  $("#void").addEventListener("click", async () => {
    try {
      const voided = await terminal.post(`/authorizations/${hold.id}/void`);
      say("#vend-status", `Canceled: the hold of ${money(voided.amount)} is released.`, "ok");
      reset();
    } catch (error) { fail(error); }
  });
}
