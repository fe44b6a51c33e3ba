"""The date rules and the regional exception through the API: 422 with a Dutch message per field,
nothing stored (SQLite and PostgreSQL). Clock: Monday 2 March 2026 09:00."""
from tests.procedures.driver import casus
from tests.procedures.gesprek_steps import cab

from .helpers import P0, assert_error, open_task, start_p0


def _moment_plannen(api) -> tuple[dict, dict]:
    case = start_p0(api.as_("anna"))
    vera, anna = api.as_("vera"), api.as_("anna")
    cab_task = open_task(case, "Task_CabHouden")
    vera.post(f"/api/tasks/{cab_task['id']}/claim")
    assert vera.post(f"/api/tasks/{cab_task['id']}/complete", json=cab("interventiegesprek")).status_code == 200
    case = anna.get(f"/api/cases/{case['id']}").get_json()
    verwerken = open_task(case, "Task_AdviesVerwerken")
    assert anna.post(f"/api/tasks/{verwerken['id']}/complete", json={"vk_advies_verwerkt": True}).status_code == 200
    case = anna.get(f"/api/cases/{case['id']}").get_json()
    return case, open_task(case, "Task_MomentPlannen")


def test_a_conversation_on_a_holiday_is_422_at_the_field_until_confirmed(api):
    _, task = _moment_plannen(api)
    anna = api.as_("anna")
    data = {"gesprek_datum": "2026-04-06T10:00", "deelnemers": [{"naam": "Petra", "rol": "ouder"}]}
    velden = assert_error(anna.post(f"/api/tasks/{task['id']}/complete", json=data), 422, "ongeldige_invoer")
    assert list(velden) == ["gesprek_datum"]
    assert "Maandag 6 april 2026 is geen werkdag (feestdag: Tweede Paasdag)" in velden["gesprek_datum"][0]
    assert anna.get(f"/api/tasks/{task['id']}").get_json()["task"]["state"] == "open"
    velden = assert_error(anna.post(f"/api/tasks/{task['id']}/complete",
                                    json={**data, "gesprek_datum": "2026-02-27T10:00"}), 422, "ongeldige_invoer")
    assert "ligt in het verleden" in velden["gesprek_datum"][0]
    done = anna.post(f"/api/tasks/{task['id']}/complete", json={**data, "gesprek_datum_geen_werkdag_bevestigd": True})
    assert done.status_code == 200, done.get_json()


def test_the_form_schema_offers_the_confirmation_and_no_way_to_drop_the_jeugdige(api):
    _, task = _moment_plannen(api)
    schema = api.as_("anna").get(f"/api/tasks/{task['id']}").get_json()["form"]
    assert schema["properties"]["gesprek_datum_geen_werkdag_bevestigd"]["type"] == "boolean"


def test_starting_with_a_future_birth_date_or_an_end_date_without_measure_is_422(api):
    anna = api.as_("anna")
    data = casus(jeugdigen=[{"naam": "Lot", "geboortedatum": "2027-01-01"}], maatregel="geen",
                 einde_maatregel="2026-09-01")
    velden = assert_error(anna.post("/api/cases", json={"process_id": P0, "data": data}), 422, "ongeldige_invoer")
    assert velden["data"]["jeugdigen"] == {"0": {"geboortedatum": [
        "Deze datum (vrijdag 1 januari 2027) ligt ná vandaag. Kies die dag of een eerdere datum."]}}
    assert "alleen gevraagd als 'Lopende kinderbeschermingsmaatregel'" in velden["data"]["einde_maatregel"][0]
    assert anna.get("/api/cases").get_json() == []


def test_p5_with_an_ots_that_ended_is_422(api):
    gina = api.as_("gina")
    data = {k: v for k, v in casus().items() if k not in ("cab_datum", "maatregel")}
    velden = assert_error(gina.post("/api/cases", json={"process_id": "p5_warme_overdracht",
                                                        "data": {**data, "einde_maatregel": "2026-01-31"}}),
                          422, "ongeldige_invoer")
    assert velden == {"data": {"einde_maatregel": ["Deze datum (zaterdag 31 januari 2026) ligt vóór vandaag. "
                                                   "Kies die dag of een latere datum."]}}
