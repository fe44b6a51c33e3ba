"""The API and the access log (NEN 7513): every read of a case is a row; an auditor names the
reason of each read in X-Reden-Inzage or gets a structured 428; the document says so."""
from __future__ import annotations

from sqlalchemy import select

from persistence.models import ToegangLog

from .helpers import assert_error, open_task, start_p0


def _rows(api, **where):
    with api.service.ctx.reading() as session:
        query = select(ToegangLog).order_by(ToegangLog.id)
        for key, value in where.items():
            query = query.where(getattr(ToegangLog, key) == value)
        return list(session.scalars(query))


def test_auditor_without_a_reason_gets_428_and_nothing_is_read(api):
    case = start_p0(api.as_("anna"))
    task = open_task(case, "Task_CabHouden")
    ahmed = api.as_("ahmed")
    for url in (f"/api/cases/{case['id']}", f"/api/cases/{case['id']}/history", f"/api/tasks/{task['id']}"):
        velden = assert_error(ahmed.get(url, headers={"X-Reden-Inzage": ""}), 428, "reden_inzage_vereist")
        assert "kwaliteitsonderzoek" in velden["X-Reden-Inzage"][0]
    assert not _rows(api, username="ahmed")
    velden = assert_error(ahmed.get(f"/api/cases/{case['id']}", headers={"X-Reden-Inzage": "nieuwsgierig"}),
                          422, "ongeldige_invoer")
    assert "X-Reden-Inzage" in velden
    velden = assert_error(ahmed.get(f"/api/cases/{case['id']}", headers={"X-Reden-Inzage": "anders"}),
                          422, "ongeldige_invoer")
    assert velden["X-Reden-Toelichting"] == ["Beschrijf waarom u deze casus inziet."]
    assert not _rows(api, username="ahmed")
    assert_error(ahmed.get("/api/cases/999999", headers={"X-Reden-Inzage": ""}), 404, "niet_gevonden")


def test_each_read_is_a_row_with_its_reason(api):
    case = start_p0(api.as_("anna"))
    ahmed = api.as_("ahmed")
    response = ahmed.get(f"/api/cases/{case['id']}",
                         headers={"X-Reden-Inzage": "anders", "X-Reden-Toelichting": "Steekproef"})
    assert response.status_code == 200
    (row,) = _rows(api, username="ahmed")
    assert (row.case_id, row.wat, row.doel, row.toelichting, row.betrokken, row.sessie) == \
        (case["id"], f"GET /api/cases/{case['id']}", "anders", "Steekproef", False, None)
    assert row.client == "127.0.0.1"

    anna = api.as_("anna")
    assert anna.get(f"/api/cases/{case['id']}/history", headers={"X-Reden-Inzage": ""}).status_code == 200
    (read,) = _rows(api, username="anna", wat=f"GET /api/cases/{case['id']}/history")
    assert read.betrokken and read.doel is None  # she takes part: no reason asked, none recorded

    second = start_p0(anna)
    before = len(_rows(api))
    listing = ahmed.get("/api/cases")
    assert listing.status_code == 200
    assert {r.case_id for r in _rows(api)[before:]} == {case["id"], second["id"]}  # no reason for a list
    before = len(_rows(api))
    api.as_("vera").get("/api/tasks?tab=rol")
    assert {r.case_id for r in _rows(api)[before:]} == {case["id"], second["id"]}


def test_the_document_names_the_header_and_the_428(api):
    spec = api.app.test_client().get("/api/openapi.json").get_json()
    operation = spec["paths"]["/api/cases/{case_id}"]["get"]
    assert "428" in operation["responses"]
    assert any(p["name"] == "X-Reden-Inzage" and p["in"] == "header" for p in operation["parameters"])
    assert "428" in spec["paths"]["/api/tasks/{task_id}"]["get"]["responses"]
    history = spec["paths"]["/api/cases/{case_id}/history"]["get"]
    assert any(p["name"] == "X-Reden-Inzage" for p in history["parameters"])
