"""The card's pages: same access as the case page (404 for an outsider, readable by the auditor)."""
from tests.web.helpers import html

from .steps import naar_rvdk, p4_to_the_end


def test_pages_for_the_inbrenger_the_auditor_and_an_outsider(web):
    case = naar_rvdk(web.service, web.clock)
    p4_to_the_end(case)
    cid = case.case_id
    reference = case.case().referentie
    anna, ahmed, bram = web.browser("anna"), web.browser("ahmed"), web.browser("bram")

    page = anna.get(f"/casussen/{cid}")
    assert f'href="/casussen/{cid}/veiligheidskaart"' in html(page)

    for browser in (anna, ahmed):
        page = browser.get(f"/casussen/{cid}/veiligheidskaart")
        assert page.status_code == 200
        text = html(page)
        assert "Versie 5" in text and "Ouders aanvaarden hulp." in text
        assert "Reactie van ouders" in text  # a changed section in the version list
        assert f"VK-{reference}-v1.pdf" in text and f"VK-{reference}-v5.pdf" in text  # the send log
        assert "regionaalveiligheidsteam-WBW@rvdk.nl" in text

        pdf = browser.get(f"/casussen/{cid}/veiligheidskaart/pdf")
        assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
        assert pdf.data.startswith(b"%PDF")

        compare = browser.get(f"/casussen/{cid}/veiligheidskaart/versies/1/vergelijk/5")
        assert compare.status_code == 200
        assert "Wij herkennen ons niet in punt 2." in html(compare) and "gewijzigd" in html(compare)

    sent_links = [part.split('"')[0] for part in html(anna.get(f"/casussen/{cid}/veiligheidskaart"))
                  .split(f'href="/casussen/{cid}/veiligheidskaart/verzendingen/')[1:]]
    assert len(sent_links) == 3
    sent = anna.get(f"/casussen/{cid}/veiligheidskaart/verzendingen/{sent_links[-1]}")
    assert sent.status_code == 200 and sent.data.startswith(b"%PDF")

    for url in (f"/casussen/{cid}/veiligheidskaart", f"/casussen/{cid}/veiligheidskaart/pdf",
                f"/casussen/{cid}/veiligheidskaart/versies/1/vergelijk/2",
                f"/casussen/{cid}/veiligheidskaart/verzendingen/{sent_links[-1]}"):
        assert bram.get(url).status_code == 404, url
    assert anna.get(f"/casussen/{cid}/veiligheidskaart/versies/1/vergelijk/9").status_code == 404


def test_a_case_without_a_card_yet(web):
    cid = web.start_case()
    page = web.browser("anna").get(f"/casussen/{cid}/veiligheidskaart")
    assert page.status_code == 200
    assert "nog geen Veiligheidskaart" in html(page)
    assert web.browser("anna").get(f"/casussen/{cid}/veiligheidskaart/pdf").status_code == 404
