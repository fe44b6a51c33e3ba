"""The background worker: fires due timers and delivers the outbox, again and again.

Several may run against PostgreSQL (each claims its own batches of due timers, app/service/timers.py,
and each mail is taken by one of them); against SQLite run one. Every timer and every mail is its own transaction, so stopping a worker, even
with kill -9, leaves nothing half done.
"""
from __future__ import annotations

import logging
import signal
import threading

from app.engine.clock import TZ
from app.mail import SmtpSender, SmtpSettings

log = logging.getLogger("vht.worker")


def run_once(service, sender) -> tuple[int, object]:
    now = service.ctx.clock.now()
    _daily_checks(service, now)
    results = service.fire_due_timers(now)
    for failed in (r for r in results if r.error):  # each is an incident now, left until a retry
        log.warning("timer van instantie %s: %s", failed.instance_id, failed.error)
    fired = [r for r in results if not r.error]
    mails = service.deliver_outbox(sender, now)
    if service.checkpoint_due():  # the chain heads outside the database, every VHT_CHECKPOINT_MINUTES
        service.write_checkpoint("interval")
    return len(fired), mails


def _daily_checks(service, now) -> None:
    """Once a day per worker (the first round of a new day): start the 18-/18+ besprekingen that are
    due. Safe to repeat and to run in several workers: each jeugdige is started once."""
    today = now.astimezone(TZ).date()
    if getattr(service, "_achttien_checked_on", None) == today:
        return
    started = service.start_achttien_due()
    service._achttien_checked_on = today
    if started:
        log.info("18-/18+: %d bespreking(en) gestart", len(started))


def run_forever(service, sender=None, interval: float = 15.0, stop: threading.Event | None = None) -> None:
    sender = sender or SmtpSender(SmtpSettings.from_env())
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
    while not stop.is_set():
        try:
            fired, mails = run_once(service, sender)
            if fired or mails.sent or mails.retried or mails.failed:
                log.info("timers: %d, mails sent %d, retried %d, failed %d", fired, mails.sent, mails.retried,
                         mails.failed)
        except Exception:  # noqa: BLE001 - a worker must survive a bad round (database restart, ...)
            log.exception("worker round failed; next round in %ss", interval)
        stop.wait(interval)
