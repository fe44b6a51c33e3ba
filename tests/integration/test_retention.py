"""Retention (issue 12 s.4): a closed case is kept 20 years (VHT_BEWAARTERMIJN_JAREN) after it
closed, then listed as due; destroying it removes every row with personal data and leaves a
tombstone (reference, gemeente, dates, destroyed when and by whom). Case start: 2026-03-02 09:00."""
from __future__ import annotations

import json
import zipfile
from datetime import datetime, timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select, text, update

from app.engine.clock import TZ
from app.service import retention
from app.service.errors import InvalidInput, NotFound, PermissionDenied
from persistence.models import (
    Case,
    CaseMember,
    CaseOrganisation,
    Event,
    HumanTask,
    OutboxAttachment,
    OutboxMessage,
    ProcessInstance,
    ToegangLog,
    VkToestemming,
    VkVersie,
    VkVerzending,
)
from tests.conftest import FORMS, PROCESSES
from tests.procedures.driver import CaseDriver, casus
from tests.procedures.test_terug_naar_vht import terug_via_p3, vervolg

CAB = {"advies_type": "andere_aanpak", "advies_tekst": "Zorg inzetten.", "interventies": ["zorg"],
       "afspraken": [{"wie": "Anna", "wat": "Zorg regelen"}]}
PER_CASE = (Event, HumanTask, ProcessInstance, VkVersie, VkVerzending, VkToestemming, OutboxMessage, CaseMember,
            CaseOrganisation)


def close_through_p0(service, clock, **overrides) -> int:
    """P0 with care arranged: the case closes at the last task."""
    case = CaseDriver.start(service, clock, "p0_consultatie_advies", casus(**overrides))
    case.complete("Task_CabHouden", CAB, "vera")
    case.complete("Task_AdviesVerwerken", {"vk_advies_verwerkt": True})
    case.complete("Task_ContactZorgLeggen", {"zorgsoort": "eerstelijns", "zorgaanbieder_naam": "Buurtteam",
                                             "zorg_vht_organisatie": False})
    assert case.case().status == "afgesloten"
    return case.case_id


def _counts(service, case_id: int) -> dict[str, int]:
    with service.ctx.reading() as session:
        counts = {m.__name__: session.scalar(select(func.count()).select_from(m).where(m.case_id == case_id))
                  for m in PER_CASE}
        counts["OutboxAttachment"] = session.scalar(
            select(func.count()).select_from(OutboxAttachment).join(OutboxMessage,
                                                                    OutboxMessage.id == OutboxAttachment.message_id)
            .where(OutboxMessage.case_id == case_id))
        return counts


def _due(service) -> list[str]:
    return [d.referentie for d in service.retention_due()]


def test_only_closed_cases_past_the_term_are_due(service, clock):
    first = close_through_p0(service, clock)
    clock.set(clock.now() + timedelta(days=365))
    second = close_through_p0(service, clock)
    service.start_case("p0_consultatie_advies", casus(), "anna")  # open: never due
    ref = {i: service.case(i).referentie for i in (first, second)}
    closed_first = service.case(first).afgesloten_op
    assert closed_first == datetime(2026, 3, 2, 9, 0, tzinfo=TZ)

    clock.set(datetime(2046, 3, 2, 8, 59, 59, tzinfo=TZ))
    assert _due(service) == []
    clock.set(datetime(2046, 3, 2, 9, 0, tzinfo=TZ))
    (due,) = service.retention_due()
    assert (due.referentie, due.gesloten_op, due.te_vernietigen_sinds) == (
        ref[first], closed_first, datetime(2046, 3, 2, 9, 0, tzinfo=TZ))
    clock.set(datetime(2047, 3, 3, tzinfo=TZ))
    assert _due(service) == [ref[first], ref[second]]
    # Listing changes nothing.
    assert service.case(first).status == "afgesloten" and _counts(service, first)["Event"] > 0


def test_the_term_is_a_setting_and_a_case_closed_before_the_closing_date_counts_from_its_event(
        service, clock, monkeypatch):
    case_id = close_through_p0(service, clock)
    with service.ctx.transaction() as session:  # closed before afgesloten_op was kept
        session.execute(update(Case).where(Case.id == case_id).values(afgesloten_op=None))
    monkeypatch.setenv(retention.SETTING, "5")
    clock.set(datetime(2031, 3, 2, 9, 0, 1, tzinfo=TZ))
    (due,) = service.retention_due()
    assert due.gesloten_op == datetime(2026, 3, 2, 9, 0, tzinfo=TZ)
    monkeypatch.setenv(retention.SETTING, "vijf")
    from app.config import ConfigError

    with pytest.raises(ConfigError, match="VHT_BEWAARTERMIJN_JAREN"):
        service.retention_due()


def test_a_reopened_case_is_not_due(service, clock):
    from app.service import vht_vervolg
    from app.service.cases import start_instance
    from app.service.events import SYSTEM
    from app.service.instances import version_for_start

    case_id = close_through_p0(service, clock)
    with service.ctx.transaction() as session:  # back to the VeiligheidsTeam: the case is open again
        start_instance(service.ctx, session, session.get(Case, case_id),
                       version_for_start(session, vht_vervolg.PROCESS_ID), {}, SYSTEM)
    assert (service.case(case_id).status, service.case(case_id).afgesloten_op) == ("open", None)
    clock.set(datetime(2050, 1, 1, tzinfo=TZ))
    assert _due(service) == []


def test_destruction_leaves_only_the_tombstone_and_touches_no_other_case(service, clock):
    service.upsert_user("beheer", "Bea Beheer", ["beheerder"])
    service.upsert_user("ahmed", "Ahmed Auditor", ["auditor"])
    driver = terug_via_p3(service, clock)  # the card sent, mails, consents, members
    vervolg(driver, "afsluiten")
    gone = driver.case_id
    clock.set(clock.now() + timedelta(days=400))
    kept = close_through_p0(service, clock)
    with service.ctx.transaction() as session:
        session.add(ToegangLog(at=clock.now(), username="vera", rollen="veiligheidsteam", case_id=gone,
                               wat="casuspagina", client=None, betrokken=True, mac="0" * 64))
    before_gone, before_kept = _counts(service, gone), _counts(service, kept)
    assert all(before_gone[n] > 0 for n in ("Event", "HumanTask", "ProcessInstance", "VkVersie", "VkVerzending",
                                            "OutboxMessage", "OutboxAttachment", "CaseOrganisation"))
    original = service.case(gone)

    clock.set(datetime(2046, 6, 1, 12, 0, tzinfo=TZ))
    with pytest.raises(InvalidInput, match="Geef een reden op"):
        service.destroy_due("beheer", " ", [gone])
    with pytest.raises(PermissionDenied):
        service.destroy_due("anna", "bewaartermijn verstreken", [gone])
    with pytest.raises(NotFound, match="niet te vernietigen"):
        service.destroy_due("beheer", "bewaartermijn verstreken", [kept])  # closed a year later: not yet due
    assert _counts(service, gone) == before_gone

    (done,) = service.destroy_due("beheer", "Bewaartermijn Jeugdwet verstreken", [gone])
    assert done.case_id == gone
    assert all(n == 0 for n in _counts(service, gone).values()), _counts(service, gone)
    tomb = service.case(gone)
    assert (tomb.referentie, tomb.gemeente, tomb.aangemaakt_op, tomb.afgesloten_op) == (
        original.referentie, original.gemeente, original.aangemaakt_op, original.afgesloten_op)
    assert (tomb.status, tomb.vernietigd_op, tomb.vernietigd_door) == (
        "vernietigd", datetime(2046, 6, 1, 12, 0, tzinfo=TZ), "beheer")
    assert (tomb.inbrenger, tomb.jeugdige_initialen, tomb.maatregel, tomb.einde_maatregel, tomb.cab_datum,
            tomb.gegevens, tomb.signalen) == (None, None, None, None, None, {}, None)
    with service.ctx.reading() as session:  # the access log of the case stays, with the destruction and why
        rows = session.scalars(select(ToegangLog).where(ToegangLog.case_id == gone).order_by(ToegangLog.id)).all()
    assert [(r.username, r.wat, r.toelichting) for r in rows] == [
        ("vera", "casuspagina", None), ("beheer", "vernietiging na bewaartermijn", "Bewaartermijn Jeugdwet verstreken")]

    assert _counts(service, kept) == before_kept  # the other case is untouched
    assert service.replay_case(kept).identical
    assert _due(service) == []  # destroyed: not listed again
    # Professionals no longer see it; an auditor finds the tombstone.
    assert gone not in [c.id for c in service.visible_cases("anna")]
    with pytest.raises(NotFound):
        service.case_for("vera", gone)
    assert service.case_view("ahmed", gone).history == []
    with pytest.raises(NotFound, match="vernietigd"):
        service.avg_export(gone, "beheer", "inzageverzoek")

    # The tombstone is sealed: it verifies, and a change to it afterwards is found.
    report = service.verify(gone)
    assert report.ok, report.as_dict()
    with service.engine.begin() as connection:
        connection.execute(update(Case).where(Case.id == gone).values(vernietigd_door="iemand anders"))
    assert not service.verify(gone).ok

    # The event log is append-only again for every other case.
    with pytest.raises(Exception, match="append-only"):
        with service.ctx.transaction() as session:
            session.execute(text("DELETE FROM event WHERE case_id = :c").bindparams(c=kept))


def test_the_command_line_lists_destroys_and_exports(service, clock, tmp_path):
    from app.cli import main

    old = close_through_p0(service, clock)
    recent = close_through_p0(service, clock)
    with service.ctx.transaction() as session:  # the command line runs on today's clock: a case closed in 2000
        session.execute(update(Case).where(Case.id == old)
                        .values(afgesloten_op=datetime(2000, 1, 31, 10, 0, 0, tzinfo=TZ)))
    ref = service.case(old).referentie
    env = {"DATABASE_URL": str(service.engine.url.render_as_string(hide_password=False)),
           "VHT_PROCESSES_DIR": str(PROCESSES), "VHT_FORMS_DIR": str(FORMS)}
    runner = CliRunner()

    result = runner.invoke(main, ["retention", "--dry-run"], env=env)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        f"{ref:16} gesloten op 2000-01-31T10:00:00+01:00  te vernietigen sinds 2020-01-31T10:00:00+01:00",
        "1 casus(sen) te vernietigen; niets veranderd (--dry-run)",
        "toegangslog: 0 regel(s) ouder dan de bewaartermijn te verwijderen"]
    assert _counts(service, old)["Event"] > 0
    result = runner.invoke(main, ["retention", "--uitvoeren"], env=env)
    assert result.exit_code != 0 and "--reden" in result.output
    result = runner.invoke(main, ["retention"], env=env)
    assert result.exit_code != 0 and "kies --dry-run of --uitvoeren" in result.output

    result = runner.invoke(main, ["retention", "--uitvoeren", "--reden", "Jaarlijkse opschoning",
                                  "--door", "beheer", "--json"], env=env)
    assert result.exit_code == 0, result.output
    assert [r["referentie"] for r in json.loads(result.output)] == [ref]
    assert (service.case(old).status, service.case(old).vernietigd_door) == ("vernietigd", "beheer")
    assert service.case(recent).status == "afgesloten" and _counts(service, old)["Event"] == 0

    target = tmp_path / "export.zip"
    result = runner.invoke(main, ["avg-export", str(recent), "--uit", str(target)], env=env)
    assert result.exit_code != 0 and "--reden" in result.output and not target.exists()
    result = runner.invoke(main, ["avg-export", str(recent), "--uit", str(target), "--reden", "Inzageverzoek",
                                  "--as", "cli:beheer"], env=env)
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"{target}: ") and "bestanden" in result.output
    assert zipfile.is_zipfile(target)
    event = service.case_history(recent)[-1]
    assert (event.type, event.actor, event.data["reden"]) == ("avg_export", "cli:beheer", "Inzageverzoek")
    result = runner.invoke(main, ["avg-export", str(old), "--uit", str(tmp_path / "b.zip"), "--reden", "x"], env=env)
    assert result.exit_code == 1 and "is vernietigd" in result.output
