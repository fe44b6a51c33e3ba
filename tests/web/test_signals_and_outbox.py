"""A missed soft deadline shows in the werkbak and on the case; the beheerder sees the outbox."""
from __future__ import annotations

from datetime import timedelta

from .helpers import CAB, html


def test_a_missed_soft_deadline_shows_in_the_werkbak_and_on_the_case(web):
    case_id = web.start_case()
    web.complete(case_id, "Task_CabHouden", CAB, "vera")
    anna = web.browser("anna")
    assert "signalering" not in html(anna.get("/werkbak"))
    web.clock.advance(timedelta(days=3))  # past cab_datum + 2 working days, end of day
    web.service.fire_due_timers()
    anna = web.browser("anna")  # three days later: the session of then has ended, a new login
    werkbak = html(anna.get("/werkbak"))
    assert 'class="label signaal"' in werkbak and "nog niet in de Veiligheidskaart verwerkt" in werkbak
    case_page = html(anna.get(f"/casussen/{case_id}"))
    assert 'id="signalen-kop"' in case_page and "nog niet in de Veiligheidskaart verwerkt" in case_page


def test_only_a_beheerder_sees_the_outbox_and_can_send_again(web):
    case_id = web.start_case()
    web.complete(case_id, "Task_CabHouden", CAB, "vera")  # a new task for anna: a mail in the outbox
    assert web.browser("anna").get("/beheer/berichten").status_code == 403
    assert web.browser().get("/beheer/berichten").status_code == 302  # not logged in
    beheer = web.browser("beheer")
    page = html(beheer.get("/beheer/berichten"))
    assert "Nieuwe taak: Advies en afspraken verwerken" in page and "anna@" in page
    (message,) = web.service.outbox()
    response = beheer.post(f"/beheer/berichten/{message.id}/opnieuw")
    assert response.status_code == 302
    assert web.browser("anna").post(f"/beheer/berichten/{message.id}/opnieuw").status_code == 403
