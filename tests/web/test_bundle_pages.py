"""The process owner's concepts in the browser: parameters and letter templates edited in a concept,
checked on save, deployed with a reason; the letter preview in Jinja's sandbox."""
from __future__ import annotations

import json
import re
from html import unescape

from app.service.bundle import PARAMETERS
from persistence.models import ProcessVersion

from .helpers import html

LETTER = "uitnodiging_ouders.html.j2"


def _concept(browser, titel="Termijnen") -> int:
    response = browser.post("/beheer/concepten", {"titel": titel})
    assert response.status_code == 302, html(response)
    return int(re.search(r"/beheer/concepten/(\d+)$", response.headers["Location"]).group(1))


def _parameter_form(browser, draft_id: int) -> dict:
    """What the parameters page posts when nothing is changed (as a browser would)."""
    page = html(browser.get(f"/beheer/concepten/{draft_id}/parameters"))
    data = {}
    for tag in re.findall(r'<input id="[^>]+>', page):
        data[re.search(r'name="([a-z_0-9]+)"', tag).group(1)] = re.search(r'value="([^"]*)"', tag).group(1)
    for name, value in re.findall(r'<textarea id="[^"]+" name="([a-z_0-9]+)"[^>]*>([^<]*)</textarea>', page):
        data[name] = value
    for name, value in re.findall(r'<input type="radio" name="([a-z_0-9]+)" value="(ja|nee)" checked>', page):
        data[name] = value
    data["revisie"] = re.search(r'name="revisie" value="(\d+)"', page).group(1)
    return data


def test_parameters_edited_in_a_concept_deploy_as_new_versions(web):
    pieter = web.browser("pieter")
    before = {v.process_id: v.version for v in web.service.newest_process_versions()}
    draft_id = _concept(pieter)
    page = html(pieter.get(f"/beheer/concepten/{draft_id}/parameters"))
    assert "Vanaf deze leeftijd op de datum van het gesprek" in page  # the Dutch explanation at its field
    form = _parameter_form(pieter, draft_id)
    assert form["leeftijdsgrens_jeugdige"] == "8" and form["jeugdige_niet_uitnodigen_toegestaan"] == "nee"
    form.update(leeftijdsgrens_jeugdige="12", voorbespreking_minuten="45",
                extra_sluitingsdagen="2026-12-24\n31-12-2026")
    response = pieter.post(f"/beheer/concepten/{draft_id}/parameters", form)
    assert response.status_code == 200, html(response)
    assert "in het concept opgeslagen" in html(response)
    saved = web.service.draft_tree("pieter", draft_id).files[PARAMETERS]
    assert saved.endswith("}\n") and '"rvdk_mailbox": "regionaalveiligheidsteam-WBW@rvdk.nl"' in saved
    values = json.loads(saved)
    assert list(values) == list(web.service.draft_tree("pieter", None).parameters())  # key order kept
    assert values["leeftijdsgrens_jeugdige"] == 12 and values["voorbespreking_minuten"] == 45
    assert values["extra_sluitingsdagen"] == ["2026-12-24", "2026-12-31"]
    # A stored scenario invites a 10-year-old: an age limit of 12 breaks it, shown with the check result.
    assert "het scenario slaagt niet meer" in html(response)

    page = html(pieter.get(f"/beheer/concepten/{draft_id}"))
    assert "<code>processes/parameters.json</code>" in page and "wijziging ongedaan maken" in page
    assert "nieuwe versie (nu v" in page and "Instellingen (parameters)." in page
    assert 'name="terugzetten"' not in html(pieter.get(f"/beheer/concepten/{draft_id}/in-gebruik-nemen"))
    response = pieter.post(f"/beheer/concepten/{draft_id}/in-gebruik-nemen", {"reden": "leeftijd naar 12"})
    assert response.status_code == 422 and "In gebruik nemen geweigerd" in html(response)
    assert "leeftijd naar 12" in html(response)  # the reason typed is kept
    assert set(web.service.draft("pieter", draft_id).files) == {PARAMETERS}

    form = _parameter_form(pieter, draft_id)
    assert form["leeftijdsgrens_jeugdige"] == "12" and form["voorbespreking_minuten"] == "45"
    form["leeftijdsgrens_jeugdige"] = "8"
    assert "geen problemen gevonden" in html(pieter.post(f"/beheer/concepten/{draft_id}/parameters", form))
    response = pieter.post(f"/beheer/concepten/{draft_id}/in-gebruik-nemen", {"reden": "voorbespreking 45 minuten"})
    assert response.status_code == 302, re.findall(r"<li>(.*?)</li>", html(response), re.S)
    flashed = html(pieter.get(response.headers["Location"]))
    assert "in gebruik genomen" in flashed and "Versie 2 van" in flashed
    after = {v.process_id: v for v in web.service.newest_process_versions()}
    assert all(after[p].version == n + 1 for p, n in before.items())  # every procedure has a new version
    with web.service.ctx.reading() as session:
        redenen = {session.get(ProcessVersion, after[p].id).reden for p in before}
    assert redenen == {"voorbespreking 45 minuten"}
    assert web.service.drafts("pieter") == []


def test_an_invalid_value_is_a_dutch_error_at_its_field_and_nothing_is_lost(web):
    pieter = web.browser("pieter")
    draft_id = _concept(pieter)
    form = _parameter_form(pieter, draft_id)
    form.update(leeftijdsgrens_jeugdige="acht", rvdk_mailbox="geen adres", extra_sluitingsdagen="2026-02-30",
                werkdagen_definitieve_vk="4")
    response = pieter.post(f"/beheer/concepten/{draft_id}/parameters", form)
    page = html(response)
    assert response.status_code == 422
    field = page[page.index('id="veld-leeftijdsgrens_jeugdige"'):]
    field = field[:field.index('id="veld-', 10)]
    assert "Vul een heel getal in" in field and 'value="acht"' in field and 'aria-invalid="true"' in field
    assert "Vul een geldig e-mailadres in" in page and 'value="geen adres"' in page
    assert "Geen geldige datum: 2026-02-30" in page
    assert 'value="4"' in page  # the valid value typed is shown again too
    assert web.service.draft("pieter", draft_id).files == {}  # nothing saved


def test_letter_edit_preview_and_sandbox(web):
    pieter = web.browser("pieter")
    draft_id = _concept(pieter, "Brief vriendelijker")
    url = f"/beheer/concepten/{draft_id}/brieven/{LETTER}"
    page = html(pieter.get(url))
    assert 'sandbox=""' in page and f'src="{url}/voorbeeld"' in page
    original = web.service.draft_tree("pieter", draft_id).letters()[LETTER]
    changed = original.replace("<body", "<body data-x=\"1\"", 1).replace("{{ aanhef }}", "{{ aanhef }}, welkom", 1)
    assert changed != original
    response = pieter.post(url, {"inhoud": changed, "revisie": re.search(r'name="revisie" value="(\d+)"', page).group(1)})
    assert response.status_code == 200 and "in het concept opgeslagen" in html(response)
    preview = pieter.get(f"{url}/voorbeeld")
    assert preview.status_code == 200
    assert preview.headers["Content-Security-Policy"].startswith("default-src 'none'; style-src 'unsafe-inline'")
    body = html(preview)
    assert "Beste Voorbeeld Ouder en Tweede Ouder, welkom" in body  # the demo family, never a real case
    assert "VHT-VOORBEELD-0001" in body

    for attempt, expected in [("{{ ''.__class__.__mro__ }}", "niet is toegestaan"),
                              ("{{ aanhef.__class__.__init__.__globals__ }}", "niet is toegestaan"),
                              ("{% include '/etc/passwd' %}", "'/etc/passwd' bestaat niet"),
                              ("{% include '../../app/config.py' %}", "bestaat niet"),
                              ("{% if aanhef %}niet gesloten", "bevat een fout")]:
        response = pieter.post(url, {"inhoud": attempt})
        page = unescape(html(response))
        assert response.status_code == 422, attempt
        assert expected in page, attempt
        assert "root:" not in page and "<class" not in page and "&lt;class" not in page
        preview = unescape(html(pieter.get(f"{url}/voorbeeld")))
        assert "Geen voorbeeld" in preview and expected in preview and "root:" not in preview
        # The concept keeps the text, and the check refuses it before any deploy.
        assert web.service.draft_tree("pieter", draft_id).letters()[LETTER] == attempt
        assert any(p.file == f"letters/{LETTER}" for p in web.service.check_draft("pieter", draft_id).problems)

    versions = len(web.service.process_versions())
    response = pieter.post(f"/beheer/concepten/{draft_id}/in-gebruik-nemen", {"reden": "kapotte brief"})
    assert response.status_code == 422 and "In gebruik nemen geweigerd" in html(response)
    assert f"letters/{LETTER}" in html(response)
    assert len(web.service.process_versions()) == versions


def test_deploy_without_a_reason_is_refused_and_the_concept_kept(web):
    pieter = web.browser("pieter")
    draft_id = _concept(pieter)
    form = _parameter_form(pieter, draft_id)
    form["voorbespreking_minuten"] = "45"
    assert pieter.post(f"/beheer/concepten/{draft_id}/parameters", form).status_code == 200
    versions = len(web.service.process_versions())
    response = pieter.post(f"/beheer/concepten/{draft_id}/in-gebruik-nemen", {"reden": "   "})
    page = html(response)
    assert response.status_code == 422
    assert "Er is niets in gebruik genomen" in page and "geef een reden op" in page
    assert len(web.service.process_versions()) == versions
    assert set(web.service.draft("pieter", draft_id).files) == {PARAMETERS}

    # Undoing the only change leaves a concept without changes; deleting it removes it.
    assert pieter.post(f"/beheer/concepten/{draft_id}/ongedaan", {"pad": PARAMETERS}).status_code == 302
    assert web.service.draft("pieter", draft_id).files == {}
    assert pieter.post(f"/beheer/concepten/{draft_id}/verwijderen").status_code == 302
    assert web.service.drafts("pieter") == []


def test_only_process_owners_and_only_their_own_concepts(web):
    draft_id = _concept(web.browser("pieter"))
    anna = web.browser("anna")
    for url in ("/beheer/concepten", f"/beheer/concepten/{draft_id}", f"/beheer/concepten/{draft_id}/parameters",
                f"/beheer/concepten/{draft_id}/brieven/{LETTER}", f"/beheer/concepten/{draft_id}/brieven/{LETTER}/voorbeeld"):
        assert anna.get(url).status_code == 403, url
    assert anna.post("/beheer/concepten", {"titel": "mag niet"}).status_code == 403
    assert anna.post(f"/beheer/concepten/{draft_id}/in-gebruik-nemen", {"reden": "x"}).status_code == 403
    web.service.upsert_user("petra", "Petra Proces", ["procesbeheerder"])
    web.service.set_password("petra", "petra-wachtwoord-lang-genoeg")
    petra = web.browser()
    assert petra.login("petra", "petra-wachtwoord-lang-genoeg").status_code == 302
    assert petra.get(f"/beheer/concepten/{draft_id}").status_code == 404
    assert petra.get(f"/beheer/concepten/{draft_id}/parameters").status_code == 404
    assert petra.post(f"/beheer/concepten/{draft_id}/verwijderen").status_code == 404
    assert petra.get("/beheer/concepten/1/brieven/..%2Fapp.py").status_code == 404
    assert web.service.draft("pieter", draft_id)  # still there


def test_restoring_older_content_needs_the_terugzetten_box(web):
    pieter = web.browser("pieter")
    for minutes, reden in (("45", "voorbespreking langer"), ("30", "toch weer 30 minuten")):
        draft_id = _concept(pieter, reden)
        form = _parameter_form(pieter, draft_id)
        form["voorbespreking_minuten"] = minutes
        assert pieter.post(f"/beheer/concepten/{draft_id}/parameters", form).status_code == 200
        page = html(pieter.get(f"/beheer/concepten/{draft_id}/in-gebruik-nemen"))
        if minutes == "45":
            assert 'name="terugzetten"' not in page
            assert pieter.post(f"/beheer/concepten/{draft_id}/in-gebruik-nemen", {"reden": reden}).status_code == 302
    # The same content as version 1 again: shown in the plan, and only deployed with the box ticked.
    assert "gelijk aan oudere versie 1" in page and 'name="terugzetten"' in page
    response = pieter.post(f"/beheer/concepten/{draft_id}/in-gebruik-nemen", {"reden": reden})
    assert response.status_code == 422 and web.service.draft("pieter", draft_id)
    response = pieter.post(f"/beheer/concepten/{draft_id}/in-gebruik-nemen", {"reden": reden, "terugzetten": "ja"})
    assert response.status_code == 302
    assert "teruggezet naar de inhoud van versie 1" in html(pieter.get(response.headers["Location"]))


def test_a_broken_parameters_file_in_a_concept_is_a_dutch_message_not_a_crash(web):
    pieter = web.browser("pieter")
    draft_id = _concept(pieter)
    web.service.save_draft_file("pieter", draft_id, PARAMETERS, "{ niet af")
    response = pieter.get(f"/beheer/concepten/{draft_id}/parameters")
    assert response.status_code == 409 and "geen geldig JSON-object" in html(response)
    assert "<code>processes/parameters.json</code>" in html(pieter.get(f"/beheer/concepten/{draft_id}"))
