"""/auth/otp/request must not take longer for a phone that has an account than for one that has not.

The probe measured ~1 ms more for known identifiers: the look-up, the row lock, the code's insert
and the delivery ran before the answer. This test times the answer the way a client sees it: the
response object comes back from the plain test client when the view has answered, and whatever the
app left for after the response runs only when the response is closed (as a WSGI server closes it
after sending), outside the timed part. Paired samples, medians (not means) and a tolerance
relative to the spread, so that a busy 2-core machine does not make it flaky.
"""
from __future__ import annotations

import statistics
import time

from flask.testing import FlaskClient

SAMPLES = 80


def _spread(samples: list[float]) -> float:
    quartiles = statistics.quantiles(samples, n=4)
    return quartiles[2] - quartiles[0]


def test_otp_request_takes_as_long_for_a_known_identifier_as_for_an_unknown_one(app, api):
    # given 80 signed-up people (each asked once: throttling would shorten repeated requests) and 80
    # phone numbers nobody has
    known = [api.person().phone for _ in range(SAMPLES)]
    unknown = [f"+6598{n:07d}" for n in range(SAMPLES)]
    client = FlaskClient(app, app.response_class)  # closes nothing by itself, as a server before sending

    def timed(identifier: str) -> float:
        started = time.perf_counter()
        response = client.post("/api/v1/auth/otp/request", json={"identifier": identifier})
        elapsed = time.perf_counter() - started
        assert response.status_code == 202, response.json
        response.close()  # the server has sent the answer: work left for after it runs now
        return elapsed * 1000

    for identifier in ("+6597000001", "+6597000002"):  # warm-up
        timed(identifier)

    # when known and unknown are asked in pairs, one right after the other (which goes first alternates),
    # so both of a pair meet the same load on a busy machine
    times_known, times_unknown = [], []
    for n, (known_phone, unknown_phone) in enumerate(zip(known, unknown)):
        if n % 2:
            times_unknown.append(timed(unknown_phone))
            times_known.append(timed(known_phone))
        else:
            times_known.append(timed(known_phone))
            times_unknown.append(timed(unknown_phone))

    # then the median difference within pairs is small: under a quarter of the differences' spread
    # (IQR), and at most 0.5 ms or 15% of the typical answer time, whichever is larger (before the
    # fix, on this 2-core machine, known answers took 2.5 times as long: +9 ms on a 6 ms median)
    differences = [k - u for k, u in zip(times_known, times_unknown)]
    median_known, median_unknown = statistics.median(times_known), statistics.median(times_unknown)
    difference, spread = statistics.median(differences), _spread(differences)
    tolerance = max(0.25 * spread, 0.5, 0.15 * statistics.median(times_known + times_unknown))
    print(f"\notp/request, {SAMPLES} pairs: known median {median_known:.3f} ms, unknown median "
          f"{median_unknown:.3f} ms; median difference within pairs {difference:+.3f} ms, its IQR {spread:.3f} ms, "
          f"tolerance {tolerance:.3f} ms")
    assert abs(difference) < tolerance, (difference, spread, median_known, median_unknown)
    # and the codes went out all the same, to the known phones only
    asked = set(known) | set(unknown)
    assert {m["to"] for m in api.outbox() if m["to"] in asked and m["purpose"] == "login"} == set(known)
