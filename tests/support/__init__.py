"""Helpers and fixtures for the tests, in one place: test modules import from here, never from
one another (tests/system keeps its own modules for its multi-process program).

    api.py             Api (a mobile app's calls), Person, PASSWORD
    auth.py            moving the clock for the store too; hand-made tokens; TOTP codes
    env.py             which database (PostgreSQL: a database per xdist worker) and Redis the suite runs on
    errors.py          assert_envelope: the one error shape
    ledger.py          counting transactions and entries
    qr.py              admins, merchants, QR codes, paying and decoding them, the public EMV vectors
    terminals.py       TerminalClient (signs like firmware), make_terminal
    payment_codes.py   a customer's phone making payment codes; charging; vending customers
    races.py           sending terminal calls at the same moment
    merchant_server.py a merchant's server with an API key; orders
    webhooks.py        a real webhook receiver; subscribing; running the worker in this process
    history.py         a wallet's history; a shop; a QR payment; the `mixed` fixture
    checked_client.py  the test client that checks every JSON answer against the OpenAPI document
    waiting.py         waiting until a long poll is waiting (no sleeping to synchronise)
    live_server.py     the app over real HTTP in a thread, for a browser
    browser.py         headless Chromium (playwright), console watching, reading a QR on screen, signing in on the page
"""
