"""POST /api/cases/{id}/messages/{name}: the parents' reaction through the API, late too, and its
failure paths (auditor 403; unknown case, message or a case not yours 404; bad payload 422)."""
from __future__ import annotations

from tests.procedures.driver import CaseDriver, casus
from tests.procedures.gesprek_steps import at, cab, organiseren, reactie_vragen, vk_versturen, zonder_reactie

from .helpers import assert_error

URL = "/api/cases/{}/messages/{}"


def asked(api, clock) -> CaseDriver:
    case = CaseDriver.start(api.service, clock, "p0_consultatie_advies", casus())
    case.complete("Task_CabHouden", cab("interventiegesprek"))
    case.complete("Task_AdviesVerwerken", {"vk_advies_verwerkt": True})
    organiseren(case, "2026-03-12T10:00")
    reactie_vragen(case)
    return case


def test_a_late_reaction_through_the_api_is_recorded_and_sent_again(api, clock):
    case = asked(api, clock)
    zonder_reactie(case, at(2026, 3, 9))
    vk_versturen(case)
    clock.set(at(2026, 3, 10, 11, 0))
    response = api.as_("anna").post(URL.format(case.case_id, "reactie_ouders_ontvangen"),
                                    json={"reactie_ouders": "Wij willen nog iets zeggen."})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["na_verzenddag"] is True and body["opnieuw_verstuurd"] is True and body["instance_id"] is None
    assert body["vk_versie"] >= 3
    assert [m for m in api.service.outbox() if m.reason == "vk_reactie_ouders_na_verzenddag"]


def test_in_time_the_procedure_takes_it(api, clock):
    case = asked(api, clock)
    response = api.as_("anna").post(URL.format(case.case_id, "reactie_ouders_ontvangen"),
                                    json={"reactie_ouders": "Gelezen."})
    assert response.status_code == 200
    assert response.get_json()["na_verzenddag"] is False
    assert case.open_ids() == ["Task_ReactieOudersVerwerken"]


def test_failures(api, clock):
    case = asked(api, clock)
    url = URL.format(case.case_id, "reactie_ouders_ontvangen")
    assert_error(api.as_("ahmed").post(url, json={"reactie_ouders": "x"}), 403, "geen_toegang")  # auditor
    assert_error(api.as_("bram").post(url, json={"reactie_ouders": "x"}), 404, "niet_gevonden")  # not his case
    assert_error(api.as_("anna").post(URL.format(999999, "reactie_ouders_ontvangen"), json={"reactie_ouders": "x"}),
                 404, "niet_gevonden")
    assert_error(api.as_("anna").post(URL.format(case.case_id, "bestaat_niet"), json={}), 404, "niet_gevonden")
    assert_error(api.as_("anna").post(URL.format(case.case_id, "Reactie-..%20x"), json={}), 404, "niet_gevonden")
    assert_error(api.as_("anna").post(URL.format(case.case_id, "r" * 81), json={}), 404, "niet_gevonden")  # too long
    velden = assert_error(api.as_("anna").post(url, json={}), 422, "ongeldige_invoer")
    assert "reactie_ouders" in velden
    velden = assert_error(api.as_("anna").post(url, json={"reactie_ouders": "x", "onbekend": 1}), 422,
                          "ongeldige_invoer")
    assert_error(api.as_("anna").post(url, data="geen json", headers={"Content-Type": "text/plain"}), 422,
                 "ongeldige_invoer")
    assert_error(api.anonymous.post(url, json={"reactie_ouders": "x"}), 401, "niet_aangemeld")
    assert case.open_ids() == []  # nothing of it was recorded


def test_the_route_is_in_the_openapi_document(api):
    document = api.as_("anna").get("/api/openapi.json").get_json()
    operation = document["paths"]["/api/cases/{case_id}/messages/{name}"]["post"]
    assert set(operation["responses"]) == {"200", "401", "403", "404", "409", "422"}
