"""The login rate limit at the service layer: per account and client, per client, the account
under attack, and parallel tries (real threads, SQLite and PostgreSQL)."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.service.login_limit import ACCOUNT_UNDER_ATTACK, CLIENT_MAX, PAIR_MAX, Keys, TooManyAttempts
from persistence.models import LoginLimit


@pytest.fixture
def svc(service):
    service.set_password("bram", "bram-geheim")
    return service


def failures(service, key: str) -> int:
    with service.ctx.transaction() as session:
        return session.scalar(select(LoginLimit.failures).where(LoginLimit.key == key)) or 0


def test_a_client_that_did_not_fail_still_logs_in_while_another_one_guesses(svc):
    for _ in range(PAIR_MAX):
        assert svc.authenticate("bram", "fout", "10.0.0.66") is None
    with pytest.raises(TooManyAttempts):
        svc.authenticate("bram", "bram-geheim", "10.0.0.66")  # the guessing client waits, even when right
    assert svc.authenticate("bram", "bram-geheim", "10.0.0.2").username == "bram"  # bram at his desk
    with pytest.raises(TooManyAttempts):
        svc.authenticate("bram", "fout", "10.0.0.66")  # his login did not free the guesser


def test_an_account_under_attack_from_many_clients_stays_open_to_a_clean_client(svc):
    attackers = [f"198.51.100.{i}" for i in range(ACCOUNT_UNDER_ATTACK + 1)]
    for client in attackers:
        assert svc.authenticate("Bram", "fout", client) is None  # the name's case does not make a new key
    # Under attack: a client that failed on the account waits after its first failure ...
    for client in attackers[:3]:
        with pytest.raises(TooManyAttempts):
            svc.authenticate("bram", "nog-een-gok", client)
    # ... a client that did not fail gets its password checked: wrong is wrong, right is in.
    assert svc.authenticate("bram", "verkeerd", "10.0.0.2") is None
    assert svc.authenticate("bram", "bram-geheim", "10.0.0.3").username == "bram"


def test_one_client_guessing_many_accounts_is_stopped(svc):
    for i in range(CLIENT_MAX):
        assert svc.authenticate(f"gok{i}", "fout", "203.0.113.7") is None
    with pytest.raises(TooManyAttempts):
        svc.authenticate("bram", "bram-geheim", "203.0.113.7")  # a fresh account from there too
    assert svc.authenticate("bram", "bram-geheim", "203.0.113.8").username == "bram"


def test_a_correct_login_takes_its_try_back_and_the_limit_ends(svc, clock):
    keys = Keys.of("bram", "10.0.0.4")
    for _ in range(PAIR_MAX - 1):
        assert svc.authenticate("bram", "fout", "10.0.0.4") is None
    assert svc.authenticate("bram", "bram-geheim", "10.0.0.4").username == "bram"
    assert failures(svc, keys.pair) == 0 and failures(svc, keys.client) == PAIR_MAX - 1
    for _ in range(PAIR_MAX):
        assert svc.authenticate("bram", "fout", "10.0.0.4") is None
    with pytest.raises(TooManyAttempts):
        svc.authenticate("bram", "bram-geheim", "10.0.0.4")
    clock.advance(timedelta(minutes=15))
    assert svc.authenticate("bram", "bram-geheim", "10.0.0.4").username == "bram"


TRIES = 40


def test_parallel_wrong_tries_get_at_most_the_limit_of_password_checks(svc):
    """40 threads try one account from one client at the same moment. A try that got its password
    checked answers None (wrong password); a refused one raises before the check. Before the
    counts were atomic, 11-12 of 40 were checked on PostgreSQL."""
    start = threading.Barrier(TRIES)

    def attempt(_):
        start.wait()
        try:
            return svc.authenticate("bram", "fout", "192.0.2.1")
        except TooManyAttempts:
            return "refused"

    with ThreadPoolExecutor(TRIES) as pool:
        results = list(pool.map(attempt, range(TRIES)))
    checked = sum(1 for result in results if result is None)
    print(f"{svc.engine.dialect.name}: {checked} of {TRIES} parallel tries had their password checked")
    assert checked == PAIR_MAX and results.count("refused") == TRIES - PAIR_MAX
    assert failures(svc, Keys.of("bram", "192.0.2.1").pair) == PAIR_MAX
    with pytest.raises(TooManyAttempts):
        svc.authenticate("bram", "bram-geheim", "192.0.2.1")
