"""What the wallet announces. Features above it listen (app.pos tells the merchant that a
terminal's hold expired), so the wallet never imports them. Receivers run inside the announcing
unit of work: what they write commits or rolls back with it, and a retried unit of work
announces again into its fresh transaction (the rolled-back one's writes are gone)."""
from blinker import Namespace

_signals = Namespace()

# sender: the hold's Transaction (status "expired"), just released by the expiry sweeper
# (app.wallet.holds.expire_due), once per hold; wired in create_app (app.pos.hold_expiry.announce)
hold_expired = _signals.signal("hold-expired")
