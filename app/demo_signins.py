"""The demo accounts listed on the sign-in forms, when the server runs on demo data.

`bin/run` (app.serve) seeds the demo users and then starts the server with DEMO_SIGNINS=1; that
flag alone turns the list on (config refuses it with APP_ENV=production: a public page must never
hand out a password). Without it the pages show no account and no password at all, even where
the demo users happen to exist. Each page lists the accounts that can use it: the wallet the
three demo users, the merchant dashboard the demo café's owner, the console the operators. A
button fills the password form (static/wallet/js/views/signin.js); it does not sign in, so the
person still sees what they are about to do.
"""
from __future__ import annotations

from html import escape

from app.cli_seed import DEMO_OPERATORS, DEMO_PASSWORD, DEMO_USERS

# (intro, [(name, e-mail, what the account is)]) for each page's folder name under static/
ACCOUNTS = {
    "wallet": ("Demo accounts", [(name, email, "") for name, _phone, email, _balance in DEMO_USERS]),
    "merchant": ("Demo account", [(DEMO_USERS[2][0], DEMO_USERS[2][2], "owns the Demo Café")]),
    "admin": ("Demo operators", [(name, email, role) for name, email, role in DEMO_OPERATORS]),
}


def demo_signins(page: str) -> str:
    """The list for one page (`wallet`, `merchant`, `admin`), as HTML."""
    intro, accounts = ACCOUNTS[page]
    items = "".join(
        f'    <li><button type="button" data-demo-identifier="{escape(email)}" '
        f'data-demo-password="{escape(DEMO_PASSWORD)}">{escape(name)}</button> '
        f'<span class="hint">{escape(email)}{", " + escape(role) if role else ""}</span></li>\n'
        for name, email, role in accounts)
    return (f'  <div id="demo-signins" class="demo-signins">\n'
            f'    <p class="hint">{intro} (this server runs on demo data): password '
            f'<code>{escape(DEMO_PASSWORD)}</code>; choose one to fill the password form.</p>\n'
            f'    <ul aria-label="{intro}">\n{items}    </ul>\n  </div>\n')
