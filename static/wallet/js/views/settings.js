// Setting or changing the payment PIN.
import * as api from "../api.js";
import * as account from "../account.js";
import {$, notice, onSubmit} from "../ui.js";

export function setup() {
  onSubmit($("#pin-form"), async (form) => {
    const body = {pin: form.get("pin")};
    if (form.get("current_pin")) body.current_pin = form.get("current_pin");
    await api.request("PUT", "/me/pin", {body});
    $("#pin-form").reset();
    notice("Your PIN is set.");
    await account.load();
  });
}
