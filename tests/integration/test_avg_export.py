"""The AVG export of one case (issue 12 s.4): a ZIP with the case data, the timeline with the
values entered, every Veiligheidskaart version as PDF, what was sent, the case's access log and a
LEESMIJ.txt; only for a beheerder, only with a reason, and itself recorded on the case."""
from __future__ import annotations

import io
import json
import zipfile
import pytest
from sqlalchemy import select

from app.service.errors import InvalidInput, NotFound, PermissionDenied
from persistence.models import Case, ToegangLog
from tests.procedures.driver import CaseDriver, casus
from tests.procedures.test_terug_naar_vht import terug_via_p3, vervolg


@pytest.fixture
def closed_case(service, clock):
    """P0, P3 with the card sent and the conversation held, back to the VeiligheidsTeam, closed."""
    service.upsert_user("beheer", "Bea Beheer", ["beheerder"])
    case = terug_via_p3(service, clock)
    vervolg(case, "afsluiten")
    assert case.case().status == "afgesloten"
    return case


def _open(made) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(made.zip_bytes())) as archive:
        prefix = made.referentie + "/"
        assert all(name.startswith(prefix) for name in archive.namelist())
        return {name[len(prefix):]: archive.read(name) for name in archive.namelist()}


def test_the_export_holds_the_whole_case_and_is_itself_recorded(service, clock, closed_case):
    case_id = closed_case.case_id
    referentie = closed_case.case().referentie
    with service.ctx.transaction() as session:  # someone read the case before (written by the access log)
        session.add(ToegangLog(at=clock.now(), username="vera", rollen="veiligheidsteam", case_id=case_id,
                               wat="casuspagina", client="10.0.0.7", betrokken=True, mac="0" * 64))

    made = service.avg_export(case_id, "beheer", "Inzageverzoek van de moeder, brief van 2 maart")
    files = _open(made)
    assert made.filename == f"AVG-export-{referentie}.zip"
    for name in ("casus.json", "tijdlijn.json", "tijdlijn.html", "toegangslog.csv", "LEESMIJ.txt",
                 "verzonden/veiligheidskaart/verzendlog.json"):
        assert name in files, sorted(files)

    data = json.loads(files["casus.json"])
    assert data["referentie"] == referentie and data["gemeente"] == "roosendaal" and data["status"] == "afgesloten"
    assert data["afgesloten_op"].startswith("2026-03-")
    assert [(p["procedure"], p["status"]) for p in data["procedures"]] == [
        ("p0_consultatie_advies", "completed"), ("p7_vht_vervolg", "completed")]
    assert all(p["versie"] >= 1 for p in data["procedures"])
    assert data["procedures"][-1]["eindstatus"] == "casus_afgesloten_door_vht"
    assert data["gegevens"]["jeugdigen"]  # the case data as entered at the start
    assert data["concepten"] == [] and data["incidenten"] == [] and data["achttien_besprekingen"] == []

    timeline = json.loads(files["tijdlijn.json"])
    cab = next(e for e in timeline if e["type"] == "task_completed"
               and any(v["field"] == "advies_tekst" for v in e["values"]))
    advice = next(v for v in cab["values"] if v["field"] == "advies_tekst")
    assert advice["text"] == "In gesprek met het gezin over de zorgen en de afspraken."
    assert cab["actor"] == "vera" and cab["at"].startswith("2026-03-02T")
    page = files["tijdlijn.html"].decode()
    assert f"{advice['label']}: In gesprek met het gezin over de zorgen" in page and "Vera VHT" in page
    assert any(e["type"] == "vk_verzending" for e in timeline)  # documents sent, each in the timeline
    recorded = json.loads(files["gebeurtenissen.json"])
    assert [r["volgnummer"] for r in recorded] == list(range(1, len(recorded) + 1))
    assert recorded[-1]["soort"] == "avg_export"  # the export is in the record it exports

    cards = [n for n in files if n.startswith("veiligheidskaart/")]
    assert cards and all(files[n].startswith(b"%PDF") for n in cards)
    assert f"veiligheidskaart/VK-{referentie}-v1.pdf" in cards
    sends = json.loads(files["verzonden/veiligheidskaart/verzendlog.json"])
    sent_files = [s["bestand"] for s in sends if s["bestand"]]
    assert sent_files and all(files[f].startswith(b"%PDF") for f in sent_files)
    mails = [n for n in files if n.startswith("verzonden/berichten/") and n.endswith("bericht.txt")]
    assert mails and "Onderwerp:" in files[mails[0]].decode()

    log = files["toegangslog.csv"].decode().splitlines()
    assert log[0].startswith("moment;gebruiker;rollen;wat")
    assert any("vera;veiligheidsteam;casuspagina;10.0.0.7;ja" in line for line in log)
    # The export itself is an access: in the access log, and so in the export.
    assert log[-1].endswith(";beheer;beheerder;avg-export;;nee;verzoek_betrokkene;"
                            "Inzageverzoek van de moeder, brief van 2 maart")
    with service.ctx.reading() as session:
        row = session.scalars(select(ToegangLog).where(ToegangLog.case_id == case_id)
                              .order_by(ToegangLog.id.desc())).first()
    assert (row.username, row.wat, row.doel) == ("beheer", "avg-export", "verzoek_betrokkene")
    readme = files["LEESMIJ.txt"].decode()
    assert f"AVG-export van casus {referentie}" in readme and "Bea Beheer" in readme
    assert "Inzageverzoek van de moeder" in readme and "toegangslog.csv" in readme

    event = service.case_history(case_id)[-1]
    assert (event.type, event.actor, event.data) == (
        "avg_export", "beheer", {"reden": "Inzageverzoek van de moeder, brief van 2 maart"})
    assert service.case(case_id).status == "afgesloten"  # an export does not reopen the case
    closed_case.assert_replays()
    entries, _ = service.timeline("anna", case_id, {"soort": "avg"})
    assert [(e.title, e.details) for e in entries] == [
        ("AVG-export gemaakt door de beheerder (inzageverzoek)", ["Reden: Inzageverzoek van de moeder, brief van 2 maart"])]


def test_only_a_beheerder_exports_and_only_with_a_reason(service, clock, closed_case):
    case_id = closed_case.case_id
    before = len(service.case_history(case_id))
    service.upsert_user("ahmed", "Ahmed Auditor", ["auditor"])
    for who in ("anna", "vera", "ahmed"):
        with pytest.raises(PermissionDenied, match="Alleen een beheerder"):
            service.avg_export(case_id, who, "inzageverzoek")
    with pytest.raises(InvalidInput, match="Geef een reden op"):
        service.avg_export(case_id, "beheer", "   ")
    with pytest.raises(NotFound):
        service.avg_export(999_999, "beheer", "inzageverzoek")
    assert len(service.case_history(case_id)) == before  # nothing recorded


def test_closing_sets_the_closing_date_and_reopening_clears_it(service, clock, closed_case):
    from app.service import vht_vervolg
    from app.service.cases import start_instance
    from app.service.events import SYSTEM
    from app.service.instances import version_for_start

    case = closed_case.case()
    closed_at = [e.at for e in service.case_history(case.id) if e.type == "casus_afgesloten"][-1]
    assert case.afgesloten_op == closed_at
    with service.ctx.transaction() as session:  # back to the VeiligheidsTeam once more: the case is open again
        start_instance(service.ctx, session, session.get(Case, case.id),
                       version_for_start(session, vht_vervolg.PROCESS_ID), dict(case.gegevens), SYSTEM)
    reopened = service.case(case.id)
    assert (reopened.status, reopened.afgesloten_op) == ("open", None)
    assert "casus_heropend" in [e.type for e in service.case_history(case.id)]


def test_an_open_case_exports_with_the_drafts_not_yet_submitted(service, clock):
    service.upsert_user("beheer", "Bea Beheer", ["beheerder"])
    case = CaseDriver.start(service, clock, "p0_consultatie_advies", casus())
    service.save_draft(case.task("Task_CabHouden").id, {"advies_tekst": "Nog niet af: eerst de school bellen."},
                       "vera")
    files = _open(service.avg_export(case.case_id, "beheer", "inzageverzoek"))
    data = json.loads(files["casus.json"])
    assert data["status"] == "open" and data["afgesloten_op"] is None
    (draft,) = data["concepten"]
    assert (draft["gebruiker"], draft["gegevens"]["advies_tekst"]) == ("vera", "Nog niet af: eerst de school bellen.")
    assert [t["naam"] for t in data["taken"] if t["status"] == "open"] == [case.task("Task_CabHouden").name]
