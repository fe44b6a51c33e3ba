"""Sending the card: the PDF as sent is kept in the send log and is what arrives at the SMTP
server; sharing with the toegang only with the parents' consent."""
from app.mail import SmtpSender, SmtpSettings
from app.service import veiligheidskaart as vk
from app.worker import run_once

from .steps import naar_rvdk, p5_to_vk_update


def log(service, case_id):
    with service.ctx.transaction() as session:
        return vk.sends(session, case_id), vk.consents(session, case_id)


def test_the_card_to_the_rvdk_arrives_as_pdf_and_is_kept(service, clock, smtp):
    case = naar_rvdk(service, clock)
    (sent,), _ = log(service, case.case_id)
    reference = case.case().referentie
    assert sent.reden == "vk_naar_rvdk"
    assert sent.aan == ["regionaalveiligheidsteam-WBW@rvdk.nl"]
    assert sent.bestandsnaam == f"VK-{reference}-v1.pdf"
    assert sent.pdf.startswith(b"%PDF")

    run_once(service, SmtpSender(SmtpSettings(host="127.0.0.1", port=smtp.port, timeout=5)))
    (mail,) = [m for m in smtp.mails if "Aangevulde Veiligheidskaart" in m["subject"]]
    assert mail.message["To"] == "regionaalveiligheidsteam-WBW@rvdk.nl"
    (attachment,) = list(mail.message.iter_attachments())
    assert attachment.get_filename() == f"VK-{reference}-v1.pdf"
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_content() == sent.pdf  # exactly what the send log keeps

    # And the same bytes from the page of the send log.
    name, data = service.vk_sent_pdf("anna", case.case_id, sent.id)
    assert (name, data) == (sent.bestandsnaam, sent.pdf)


def test_consent_given_the_card_is_shared_with_the_toegang(service, clock):
    # Other toegang users: one of the same gemeente (not chosen) and one of another gemeente.
    service.upsert_user("tess", "Tess Toegang", ["toegang"], gemeente="roosendaal", email="tess@example.org")
    service.upsert_user("teun", "Teun Toegang", ["toegang"], gemeente="moerdijk", email="teun@example.org")
    case = p5_to_vk_update(service, clock, toestemming=True)
    (handover,) = [t for t in service.tasks(case_id=case.case_id, state=None)
                   if t.bpmn_id == "Task_WarmeOverdrachtRegelen"]
    assert handover.assignee == "tom"
    assert "vk_naar_toegang" in case.sent_messages()
    sends, consents = log(service, case.case_id)
    assert [(c.waarvoor, c.gegeven) for c in consents] == [("delen met de gemeentelijke toegang", True)]
    (shared,) = [s for s in sends if s.reden == "vk_naar_toegang"]
    assert shared.status == "verzonden" and shared.versie == 2
    assert shared.aan == ["tom@example.org"]  # only the chosen toegang professional of the case's gemeente
    assert shared.pdf.startswith(b"%PDF")
    outgoing = [m for m in service.outbox() if m.reason == "vk_naar_toegang"]
    assert len(outgoing) == 1


def test_consent_refused_nothing_is_shared_and_the_log_says_so(service, clock):
    case = p5_to_vk_update(service, clock, toestemming=False)
    assert "vk_naar_toegang" not in case.sent_messages()
    sends, consents = log(service, case.case_id)
    assert [(c.wie, c.gegeven) for c in consents] == [("ouders", False)]
    (entry,) = [s for s in sends if s.reden == "vk_naar_toegang"]
    assert (entry.status, entry.toelichting, entry.pdf) == ("niet_gedeeld", "niet gedeeld: geen toestemming", None)
    assert not [m for m in service.outbox() if m.reason == "vk_naar_toegang"]
    case.assert_replays()


def test_no_consent_recorded_the_send_task_sends_nothing(service, clock):
    """Should a diagram reach the send task without a recorded consent, no mail leaves."""
    case = naar_rvdk(service, clock)
    from persistence.models import Case

    with service.ctx.transaction() as session:
        files = vk.attachment_for("vk_naar_toegang")(session, session.get(Case, case.case_id), {}, clock.now())
    assert files is None
    sends, _ = log(service, case.case_id)
    assert sends[-1].toelichting == "niet gedeeld: geen toestemming"
