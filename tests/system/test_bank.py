"""The bank test, short form for CI (about a minute). The long form: python -m tests.system.bank."""
import shutil

import pytest

from tests.conftest import ON_POSTGRES

pytestmark = pytest.mark.skipif(
    not ON_POSTGRES or shutil.which("redis-server") is None,
    reason="needs PostgreSQL (TEST_DATABASE_URL) and the redis-server binary")


def test_money_is_never_created_lost_or_spent_twice_under_faults():
    from tests.system.bank import run

    report = run(seconds=25, clients=16, users=20, merchants=3, fault_interval=3.0)

    print("\n" + "\n".join(report.faults) + "\n" + report.line())
    assert sum(report.operations.values()) > 100
    assert any("SIGKILL" in fault for fault in report.faults)
    assert "restarted redis" in report.faults
    assert report.violations == []
