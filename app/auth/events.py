"""What the auth feature announces. Features on its floor or above listen (the wallet opens the
first wallet of a verified account), so auth never imports them. Receivers run inside the
announcing unit of work: what they write commits or rolls back with it."""
from blinker import Namespace

_signals = Namespace()

# sender: the User just verified; wired in create_app (app.wallet.services.open_first_wallet)
account_verified = _signals.signal("account-verified")
