"""`vht worker` as the server runs it: an operating-system process on the system clock, with
mail going to a real SMTP server on loopback (aiosmtpd).

- `vht worker --once` fires the one due timer (worker_wachten: a day's wait, then a task for the
  inbrenger), whose new task queues a mail in the same transaction, and delivers that mail in
  the same round; a timer that is not due yet stays.
- `vht worker` runs round after round until SIGTERM, and then stops cleanly and promptly, also
  while it sleeps between rounds.
"""
from __future__ import annotations

import signal
import subprocess
import time
from datetime import datetime, timedelta, timezone

import pytest

from app.engine.clock import FixedClock
from app.service import Service
from tests.worker.conftest import FORMS, PROCESSES, VHT, vht_env


@pytest.fixture
def due_case(worker_sqlite):
    """One case whose timer passed a day ago (real time) and one whose deadline is an hour away."""
    two_days_ago = FixedClock(datetime.now(timezone.utc) - timedelta(days=2))
    service = Service(worker_sqlite, PROCESSES, FORMS, clock=two_days_ago)
    due = service.start_case("worker_wachten", {"omschrijving": "wachten"}, "anna")
    service.ctx.clock = FixedClock(datetime.now(timezone.utc))
    not_due = service.start_case("worker_timer", {"omschrijving": "nog niet"}, "bram")
    assert service.tasks(case_id=due.id) == []
    yield service, due.id, not_due.id
    service.engine.dispose()


def worker_env(url: str, smtp) -> dict:
    return vht_env(url, SMTP_HOST="127.0.0.1", SMTP_PORT=str(smtp.port), SMTP_SECURITY="none",
                   SMTP_TIMEOUT="5", BASE_URL="http://vht.test")


def assert_fired_and_mailed(service: Service, due_id: int, not_due_id: int, smtp) -> None:
    (task,) = service.tasks(case_id=due_id)
    assert (task.bpmn_id, task.assignee) == ("Task_Opvolgen", "anna")
    assert [e.type for e in service.case_history(due_id)] == ["instance_started", "timer_fired"]
    (mail,) = smtp.mails
    assert mail["to"] == ["anna@example.org"]
    assert mail["subject"] == f"Nieuwe taak: Opvolgen (casus {service.case(due_id).referentie})"
    assert f"http://vht.test/casussen/{due_id}" in mail["body"]
    assert [(m.status, m.attempts) for m in service.outbox()] == [("sent", 1)]
    # The deadline that is not due yet is untouched.
    assert [e.type for e in service.case_history(not_due_id)] == ["instance_started"]
    assert [t.state for t in service.tasks(case_id=not_due_id)] == ["open"]


def test_worker_once_fires_the_due_timer_and_delivers_its_mail(worker_sqlite, due_case, smtp):
    service, due_id, not_due_id = due_case
    result = subprocess.run([str(VHT), "worker", "--once"], env=worker_env(worker_sqlite, smtp),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().splitlines()[-1] == \
        "1 instantie(s) met timers, 1 bericht(en) verstuurd, 0 later opnieuw, 0 mislukt"
    assert_fired_and_mailed(service, due_id, not_due_id, smtp)

    again = subprocess.run([str(VHT), "worker", "--once"], env=worker_env(worker_sqlite, smtp),
                           capture_output=True, text=True, timeout=60)
    assert again.stdout.strip().splitlines()[-1] == \
        "0 instantie(s) met timers, 0 bericht(en) verstuurd, 0 later opnieuw, 0 mislukt"
    assert len(smtp.mails) == 1  # nothing fires or is sent twice


def test_worker_forever_stops_cleanly_on_sigterm(worker_sqlite, due_case, smtp):
    service, due_id, not_due_id = due_case
    # A long interval: after its first round the worker sleeps, and SIGTERM must wake it.
    worker = subprocess.Popen([str(VHT), "worker", "--interval", "60"], env=worker_env(worker_sqlite, smtp),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        t0 = time.monotonic()
        while not smtp.mails and worker.poll() is None and time.monotonic() - t0 < 30:
            time.sleep(0.05)
        assert smtp.mails, "the worker's first round did not deliver the mail"
        time.sleep(0.2)  # let the round finish its bookkeeping and start sleeping
        worker.send_signal(signal.SIGTERM)
        t1 = time.monotonic()
        out, err = worker.communicate(timeout=5)
        stopped_after = time.monotonic() - t1
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.communicate()
    assert worker.returncode == 0, err[-3000:]
    assert stopped_after < 3
    assert out.splitlines()[0] == "worker gestart (elke 60 s); Ctrl+C stopt"
    assert "timers: 1, mails sent 1, retried 0, failed 0" in err
    assert "Traceback" not in err
    assert_fired_and_mailed(service, due_id, not_due_id, smtp)
