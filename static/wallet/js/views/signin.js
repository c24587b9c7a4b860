// Signing up and in: one-time code, password (+ authenticator when it is on), sign-up + verify.
import * as api from "../api.js";
import {$, $$, notice, onSubmit} from "../ui.js";

export function setup(signedIn) {
  let otpIdentifier = "", mfaToken = "", signupIdentifier = "";

  onSubmit($("#otp-request"), async (form) => {
    otpIdentifier = form.get("identifier").trim();
    await api.post("/auth/otp/request", {identifier: otpIdentifier}, {auth: false});
    $("#otp-login").hidden = false;
    $("#otp-code").focus();
    notice("If that account exists, a code is on its way.");
  });
  onSubmit($("#otp-login"), async (form) => {
    signedIn(await api.post("/auth/otp/login", {identifier: otpIdentifier, code: form.get("code").trim()}, {auth: false}));
  });
  onSubmit($("#password-login"), async (form) => {
    const answer = await api.post("/auth/login", {identifier: form.get("identifier").trim(), password: form.get("password")},
      {auth: false});
    if (answer.mfa_required) {
      mfaToken = answer.mfa_token;
      $("#mfa-login").hidden = false;
      $("#mfa-code").focus();
      return;
    }
    signedIn(answer);
  });
  onSubmit($("#mfa-login"), async (form) => {
    signedIn(await api.post("/auth/login/mfa", {mfa_token: mfaToken, code: form.get("code").trim()}, {auth: false}));
  });
  onSubmit($("#signup"), async (form) => {
    signupIdentifier = form.get("identifier").trim();
    const key = signupIdentifier.includes("@") ? "email" : "phone";
    await api.post("/auth/register", {name: form.get("name"), password: form.get("password"), [key]: signupIdentifier},
      {auth: false});
    $("#signup-verify").hidden = false;
    $("#su-code").focus();
    notice("We sent you a code.");
  });
  // Only on a server running on demo data (app/demo_signins.py): fill, do not sign in.
  for (const button of $$("[data-demo-identifier]")) {
    button.addEventListener("click", () => {
      const form = $("#password-login");
      const folded = form.closest("details");
      if (folded) folded.open = true;
      $("#pw-identifier").value = button.dataset.demoIdentifier;
      $("#pw-password").value = button.dataset.demoPassword;
      form.querySelector("button[type=submit]").focus();
    });
  }
  onSubmit($("#signup-verify"), async (form) => {
    signedIn(await api.post("/auth/verify", {identifier: signupIdentifier, code: form.get("code").trim()}, {auth: false}));
  });
}
