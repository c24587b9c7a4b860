// A dynamic QR code for the amount typed (any role: a cashier's main job), drawn with the wallet's drawer.
import * as api from "../../wallet/js/api.js";
import {format, parse} from "../../wallet/js/money.js";
import {drawQr} from "../../wallet/js/qr.js";
import {$, onSubmit} from "../../wallet/js/ui.js";
import {base, state} from "./state.js";

export function setup() {
  onSubmit($("#qr-form"), async (form) => {
    const currency = state.merchant.currency;
    const amount = parse(form.get("amount"), currency);
    if (amount === null) throw new Error(`Type an amount in ${currency}, e.g. 12.50`);
    const body = {kind: "dynamic", currency, amount};
    if (form.get("reference")) body.reference = form.get("reference");
    const code = await api.post(`${base()}/qr-codes`, body);
    drawQr($("#qr-canvas"), code.payload, "Byte");
    $("#qr-caption").textContent = `${format(code.amount, code.currency)}${code.reference ? " · " + code.reference : ""}`
      + ` · valid until ${new Date(code.expires_at).toLocaleTimeString()}`;
    $("#qr-canvas").dataset.payload = code.payload;
    $("#qr-shown").hidden = false;
  });
}
