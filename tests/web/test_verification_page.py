"""The auditor's verification page: one case or all, the result per case, a tampered case named."""
from sqlalchemy import text

from .helpers import CAB, P0, html


def test_the_auditor_verifies_all_cases_and_sees_a_tampered_one(web):
    case_id = web.start_case()
    web.complete(case_id, "Task_CabHouden", CAB, actor="vera")
    other = web.start_case()
    auditor = web.browser("ahmed")
    page = html(auditor.get("/audit/verificatie"))
    assert "Verificatie" in page and 'name="casus"' in page

    clean = html(auditor.post("/audit/verificatie", {"casus": ""}))
    assert "In orde." in clean and "2 casus(sen) gecontroleerd" in clean

    with web.service.engine.begin() as connection:
        connection.execute(text("UPDATE human_task SET completed_by = 'bram' WHERE case_id = :c AND completed_by IS NOT NULL"),
                           {"c": case_id})
    tampered = html(auditor.post("/audit/verificatie", {"casus": ""}))
    assert "Afwijking gevonden." in tampered and "1 van" in tampered
    assert f'data-casus="{case_id}"' in tampered and "de taken zijn gewijzigd na de laatste verzegeling" in tampered
    row_of_other = tampered.split(f'data-casus="{other}"')[1].split("</tr>")[0]
    assert "in orde" in row_of_other

    one = html(auditor.post("/audit/verificatie", {"casus": str(other)}))
    assert "In orde." in one and "1 casus(sen)" in one


def test_an_unknown_case_is_a_clear_error_and_professionals_may_not_verify(web):
    auditor = web.browser("ahmed")
    auditor.get("/audit/verificatie")
    response = auditor.post("/audit/verificatie", {"casus": "BESTAAT-NIET"})
    assert response.status_code == 422 and "Er is geen casus met nummer of kenmerk" in html(response)
    assert web.browser("anna").get("/audit/verificatie").status_code == 403
