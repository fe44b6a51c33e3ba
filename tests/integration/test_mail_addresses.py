"""Mail addresses are checked where people type them (RFC 5322 via email-validator), so the
worker never gets one it cannot send to."""
import pytest

from app.formdefs import FormRegistry, FormValidationError
from app.formdefs.definition import FormDefinitionError, parse_definition
from app.mail import INVALID_ADDRESS
from tests.conftest import FORMS

BAD = ["petra@example.org\r\nBcc: mallory@example.org", "petra@example.org\rX", "Petra <petra@example.org>",
       "petra@", "petra@localhost", "petra@zorg.local", "petra de vries@example.org"]


@pytest.fixture(scope="module")
def forms():
    return FormRegistry(FORMS)


def verzendlijst(email: str) -> dict:
    return {"verzendlijst_definitieve_vk": [
        {"naam": "Petra de Vries", "rol": "ouder", "email": "petra@example.org"},
        {"naam": "Oma", "rol": "netwerk", "email": email}]}


@pytest.mark.parametrize("address", BAD)
def test_a_distribution_list_refuses_what_is_not_one_address(forms, address):
    with pytest.raises(FormValidationError) as exc:
        forms.validate("sp_vk_voorbereiden_definitief_versturen", verzendlijst(address))
    assert exc.value.errors == {"verzendlijst_definitieve_vk": {1: {"email": [INVALID_ADDRESS]}}}


def test_a_good_address_is_kept_and_its_domain_normalised(forms):
    values = forms.validate("sp_vk_voorbereiden_definitief_versturen", verzendlijst("  oma@Example.ORG "))
    assert values["verzendlijst_definitieve_vk"][1]["email"] == "oma@example.org"


@pytest.mark.parametrize("contact, ok", [("06-12345678", True), ("via school, tel. 0165 123 456", True),
                                         ("petra@example.org", True), ("petra@example", False),
                                         ("petra@example.org\nBcc: x@example.org", False)])
def test_a_parents_contact_may_be_a_phone_number_but_an_address_must_be_valid(forms, contact, ok):
    from tests.procedures.driver import casus

    data = casus(ouders=[{"naam": "Petra de Vries", "contact": contact, "gezag": True}])
    if ok:
        forms.validate("start_casus", data)
    else:
        with pytest.raises(FormValidationError) as exc:
            forms.validate("start_casus", data)
        assert exc.value.errors == {"ouders": {0: {"contact": [INVALID_ADDRESS]}}}


def test_the_api_answers_422_with_the_dutch_message(sqlite_service):
    from tests.api.helpers import ApiApp, assert_error
    from tests.procedures.driver import casus

    api = ApiApp(sqlite_service)
    data = casus(ouders=[{"naam": "Petra de Vries", "contact": "petra@example.org\r\nBcc: x@y.nl", "gezag": True}])
    response = api.as_("anna").post("/api/cases", json={"process_id": "p0_consultatie_advies", "data": data})
    velden = assert_error(response, 422, "ongeldige_invoer")
    assert velden["data"]["ouders"]["0"]["contact"] == [INVALID_ADDRESS]


def test_format_is_only_for_text_fields():
    with pytest.raises(FormDefinitionError, match="format"):
        parse_definition("x", {"fields": [{"name": "n", "type": "number", "label": "N", "format": "email"}]})
