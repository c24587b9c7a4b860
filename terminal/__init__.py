"""A reference terminal: what a till's or vending machine's firmware does to keep selling offline.

Standard library only (but purse.py, which needs Ed25519: it uses `cryptography`), and independent of the server's code (app/): it is written from the
README's "Offline terminals" section, and the tests drive the server through it.

    offline.py   the offline code (EMV, made without the server) and the confirmation check
    emv.py       the few lines of EMV encoding a terminal needs (ID-length-value, CRC-16)
    queue.py     the sequence counter and the sales queue on disk, fsync'd: a reboot loses nothing
    limits.py    the offline limits the terminal enforces (from GET /api/v1/pos/config)
    client.py    signed requests (the README's request signing) and the upload on reconnect
    purse.py     both offline: check a phone's purse certificate and payment token, queue it
    device.py    the whole: go offline, sell, check the confirmation, come back and upload
"""
