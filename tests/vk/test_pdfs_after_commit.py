"""PDFs (letters and the card) are made after the act's commit, so no act holds the database
(on SQLite: the one writer lock) while WeasyPrint works; the worker makes any PDF that is still
missing before it sends; and the card's send log keeps exactly the bytes that were mailed."""
import sqlite3

import pytest
import weasyprint
from sqlalchemy import event

from app.mail import SmtpSender, SmtpSettings
from app.service import pdfs
from app.service import veiligheidskaart as vk
from app.worker import run_once
from tests.procedures.gesprek_steps import organiseren, start_through_p0

from .steps import naar_rvdk


@pytest.fixture
def renders(service, monkeypatch):
    """Every PDF WeasyPrint writes, with what the database looked like at that moment: how many
    transactions of the service were open, and (SQLite) whether another connection could write."""
    open_transactions = [0]
    event.listen(service.engine, "begin", lambda conn: open_transactions.__setitem__(0, open_transactions[0] + 1))
    for name in ("commit", "rollback"):
        event.listen(service.engine, name, lambda conn: open_transactions.__setitem__(0, open_transactions[0] - 1))
    seen = []
    write_pdf = weasyprint.HTML.write_pdf

    def watched(self, *args, **kwargs):
        others_can_write = None
        if service.engine.url.get_backend_name() == "sqlite":
            other = sqlite3.connect(service.engine.url.database, timeout=0, isolation_level=None)
            try:
                other.execute("BEGIN IMMEDIATE")
                other.execute("ROLLBACK")
                others_can_write = True
            except sqlite3.OperationalError:  # "database is locked": an act holds the writer lock
                others_can_write = False
            finally:
                other.close()
        seen.append({"open_transactions": open_transactions[0], "others_can_write": others_can_write})
        return write_pdf(self, *args, **kwargs)

    monkeypatch.setattr(weasyprint.HTML, "write_pdf", watched)
    return seen


def test_the_letters_are_made_with_no_transaction_open(service, clock, renders):
    case = start_through_p0(service, clock, "interventiegesprek",
                            jeugdigen=[{"naam": "Sam de Vries", "geboortedatum": "2018-04-20"}])
    organiseren(case, "2026-04-30T10:00", jeugdige="uitgenodigd")
    assert len(renders) == 2  # the parents' letter (once, though it also goes to the parents) and Sam's
    assert all(r["open_transactions"] == 0 and r["others_can_write"] is not False for r in renders), renders


def test_the_card_is_made_with_no_transaction_open_and_the_log_keeps_what_was_mailed(service, clock, smtp, renders):
    case = naar_rvdk(service, clock)
    assert len(renders) == 1
    assert renders[0]["open_transactions"] == 0 and renders[0]["others_can_write"] is not False, renders
    with service.ctx.transaction() as session:
        (sent,) = vk.sends(session, case.case_id)
    assert sent.pdf.startswith(b"%PDF")  # made right after the commit, before anyone looks
    run_once(service, SmtpSender(SmtpSettings(host="127.0.0.1", port=smtp.port, timeout=5)))
    (mail,) = [m for m in smtp.mails if "Aangevulde Veiligheidskaart" in m["subject"]]
    assert mail["files"][sent.bestandsnaam][1] == sent.pdf


def test_a_pdf_not_made_after_the_commit_is_made_by_the_worker_before_sending(service, clock, smtp, monkeypatch):
    # The web process stopped right after the act's commit: its PDFs were never made.
    monkeypatch.setattr(pdfs, "_after_commit", lambda ctx, ids: None)
    case = naar_rvdk(service, clock)
    with service.ctx.transaction() as session:
        (sent,) = vk.sends(session, case.case_id)
    assert sent.pdf is None
    monkeypatch.undo()
    _, result = run_once(service, SmtpSender(SmtpSettings(host="127.0.0.1", port=smtp.port, timeout=5)))
    assert result.failed == result.retried == 0
    (mail,) = [m for m in smtp.mails if "Aangevulde Veiligheidskaart" in m["subject"]]
    with service.ctx.transaction() as session:
        (sent,) = vk.sends(session, case.case_id)
    assert sent.pdf.startswith(b"%PDF") and mail["files"][sent.bestandsnaam][1] == sent.pdf
