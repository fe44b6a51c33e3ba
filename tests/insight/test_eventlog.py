"""The event log for process mining (issue 14, part 2): `vht export-log` and /overzicht/eventlog.

XES checked against the IEEE 1849 schema, OCEL against the OCEL 2.0 JSON schema (both written
out in tests/fixtures/process_mining/ from the standards); no personal data in any format; the
command line writes only the log on standard output; the download is for auditors, process
owners and the VeiligheidsTeam, and lands in the access log."""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner
from lxml import etree

from app.cli import main
from app.service.insight import eventlog
from persistence.models import ToegangLog
from tests.web.helpers import CAB, build_web

FIXTURES = Path(__file__).parent.parent / "fixtures" / "process_mining"
XSD = etree.XMLSchema(etree.parse(str(FIXTURES / "xes-ieee-1849-2016.xsd")))
OCEL_SCHEMA = json.loads((FIXTURES / "ocel20-schema-json.json").read_text())
P0, P3 = "p0_consultatie_advies", "p3_interventiegesprek"
# Personal data of the test case (tests/procedures/driver.py casus) and its free text (CAB).
PERSONAL = ("Sam de Vries", "Petra de Vries", "2015-06-01", "06-12345678", CAB["advies_tekst"], "Anna de Jong")


@pytest.fixture
def web(sqlite_service, clock):
    web = build_web(sqlite_service, clock)
    case_id = web.start_case()
    web.complete(case_id, "Task_CabHouden", CAB, "vera")
    web.complete(case_id, "Task_AdviesVerwerken", {"vk_advies_verwerkt": True}, "anna")
    web.case_id = case_id
    return web


def export(service, procedure, fmt, van=None, tot=None, met_namen=False) -> str:
    with service.ctx.reading() as session:
        query = eventlog.make_query(session, procedure, fmt, van, tot, met_namen)
        return "".join(eventlog.write(service.ctx, session, query, fmt))


def test_xes_validates_and_names_roles_not_people(web):
    text = export(web.service, P0, "xes")
    document = etree.fromstring(text.encode())
    assert XSD.validate(document), XSD.error_log
    assert {e.get("prefix") for e in document.iter("extension")} == {"concept", "lifecycle", "time", "org"}
    traces = document.findall("trace")
    assert len(traces) == 1
    events = [{a.get("key"): a.get("value") for a in event} for event in traces[0].iter("event")]
    cab = events[0]
    assert cab["concept:name"] == "Consultatie- en adviesbespreking houden"
    assert cab["org:resource"] == "veiligheidsteam" and cab["lifecycle:transition"] == "complete"
    assert cab["time:timestamp"].startswith("2026-03-02T")
    # the called VK process is flattened into P0's trace, under its call activity's name
    assert "Advies verwerken in de Veiligheidskaart / Advies en afspraken verwerken in de Veiligheidskaart" in [
        e["concept:name"] for e in events]
    attributes = {a.get("key"): a.get("value") for a in traces[0] if a.tag != "event"}
    assert attributes["gemeente"] == "roosendaal" and attributes["maatregel"] == "geen"
    assert attributes["status"] == "lopend"
    assert "Vera de Boer" not in text


def test_no_personal_data_in_any_format(web):
    for fmt in eventlog.FORMATS:
        text = export(web.service, P0, fmt)
        for value in PERSONAL:
            assert value not in text, (fmt, value)


def test_names_only_when_asked(web):
    text = export(web.service, P0, "csv", met_namen=True)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["resource"] for r in rows][:2] == ["Vera de Boer", "Anna de Jong"]
    assert list(rows[0]) == ["case_id", "activity", "timestamp", "lifecycle", "resource"]


def test_ocel_validates_with_cases_tasks_and_card_versions(web):
    log = json.loads(export(web.service, P0, "ocel"))
    jsonschema.validate(log, OCEL_SCHEMA)
    types = {o["type"] for o in log["objects"]}
    assert types == {"case", "task", "Veiligheidskaart"}
    assert {t["name"] for t in log["objectTypes"]} == {"case", "task", "Veiligheidskaart"}
    assert {e["type"] for e in log["events"]} <= {t["name"] for t in log["eventTypes"]}
    saved = [e for e in log["events"] if any(r["qualifier"] == "kaart opgeslagen" for r in e["relationships"])]
    assert saved and saved[0]["type"].endswith("Advies en afspraken verwerken in de Veiligheidskaart")
    card = next(o for o in log["objects"] if o["type"] == "Veiligheidskaart")
    assert {"objectId": f"case:{log['events'][0]['relationships'][0]['objectId'][5:]}", "qualifier": "kaart van"} \
        in card["relationships"]


def test_a_procedure_inside_another_is_a_trace_of_its_own(web):
    """P3 runs as a call activity of P0: its export finds that run, its steps without P0's prefix."""
    text = export(web.service, P3, "xes")
    document = etree.fromstring(text.encode())
    assert XSD.validate(document)
    traces = document.findall("trace")
    assert len(traces) == 1 and "CallActivity_Interventiegesprek" in traces[0][0].get("value")
    names = [a.get("value") for a in traces[0].iter("string") if a.get("key") == "concept:name"]
    assert not any(n.startswith("Interventiegesprek (vrijwillig kader) /") for n in names)


def test_period_filters_on_the_start(web):
    assert export(web.service, P0, "csv", van="2026-03-03").count("\n") == 1  # only the header
    assert export(web.service, P0, "csv", tot="2026-03-02").count("\n") > 1


def test_cli_writes_only_the_log_to_stdout(web, tmp_path):
    runner = CliRunner()
    env = {"DATABASE_URL": str(web.service.engine.url), "VHT_INSTANCE_DIR": str(tmp_path)}
    result = runner.invoke(main, ["export-log", "--procedure", P0, "--format", "xes"], env=env,
                           catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    assert XSD.validate(etree.fromstring(result.stdout.encode()))
    assert "tekens geschreven" in result.stderr and "tekens" not in result.stdout

    unknown = runner.invoke(main, ["export-log", "--procedure", "p9_bestaat_niet"], env=env)
    assert unknown.exit_code == 1 and unknown.stdout == ""
    assert unknown.stderr.startswith("fout: Onbekende procedure 'p9_bestaat_niet'") and unknown.stderr.count("\n") == 1
    bad_date = runner.invoke(main, ["export-log", "--procedure", P0, "--from", "31-01-2026"], env=env)
    assert bad_date.exit_code == 1 and "fout: Ongeldige datum '31-01-2026' bij --from" in bad_date.stderr
    assert "export-log" in runner.invoke(main, ["export-log", "--help"], env=env).stdout


def test_download_for_auditors_in_the_access_log(web):
    auditor = web.browser("ahmed")
    response = auditor.get(f"/overzicht/eventlog?procedure={P0}&format=ocel")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == f'attachment; filename="eventlog_{P0}.json"'
    jsonschema.validate(json.loads(response.get_data(as_text=True)), OCEL_SCHEMA)
    with web.service.ctx.reading() as session:
        rows = session.query(ToegangLog).filter(ToegangLog.wat.like("eventlog-export%")).all()
    assert [(r.username, r.wat, r.case_id) for r in rows] == [("ahmed", f"eventlog-export {P0} ocel", None)]

    named = auditor.get(f"/overzicht/eventlog?procedure={P0}&format=csv&namen=1")
    assert "Vera de Boer" in named.get_data(as_text=True)
    owner = web.browser("pieter")
    assert owner.get(f"/overzicht/eventlog?procedure={P0}&format=xes").status_code == 200
    assert owner.get(f"/overzicht/eventlog?procedure={P0}&format=csv&namen=1").status_code == 403
    assert web.browser("vera").get(f"/overzicht/eventlog?procedure={P0}").status_code == 200
    assert web.browser("anna").get(f"/overzicht/eventlog?procedure={P0}").status_code == 403
    wrong = owner.get("/overzicht/eventlog?procedure=bestaat_niet&format=xes")
    assert wrong.status_code == 422 and "Onbekende procedure" in wrong.get_data(as_text=True)


def test_export_on_each_database(service, clock):
    """The batch queries on SQLite and PostgreSQL alike: traces, their steps, the period filter."""
    web = build_web(service, clock)
    case_id = web.start_case()
    web.complete(case_id, "Task_CabHouden", CAB, "vera")
    document = etree.fromstring(export(service, P0, "xes", van="2026-03-01", tot="2026-03-02").encode())
    assert XSD.validate(document)
    (trace,) = document.findall("trace")
    assert [e[0].get("value") for e in trace.iter("event")] == ["Consultatie- en adviesbespreking houden"]
    assert export(service, P0, "csv", tot="2026-03-01").count("\n") == 1
