"""The process owner migrates the running cases of a version from the version list: the dry-run
page per case (stays / removed / added, refused with the reason), then one confirmation with a
required reason. Only for procesbeheerders."""
from __future__ import annotations

import re
from html import unescape

from tests.integration.test_migration import P7, P7Case, changed_folder, deploy_without_advice_step
from tests.procedures.gesprek_steps import cab

from .helpers import html


def test_version_list_dry_run_and_confirm(web, tmp_path):
    service, clock = web.service, web.clock
    waiting, inside = P7Case(service, clock), P7Case(service, clock)
    inside.to_cab()
    old = service.process_version(P7).version
    service.deploy(changed_folder(tmp_path), actor="pieter", reden="Afsluiten krijgt een eigen stap")
    new = old + 1
    pieter = web.browser("pieter")

    page = html(pieter.get(f"/beheer/processen/{P7}/versies"))
    link = f"/beheer/processen/{P7}/versies/{old}/migreren?naar={new}"
    assert f"Casussen migreren naar versie {new}…" in page and link in page
    old_row = re.search(rf'<tr id="versie-{old}".*?</tr>', page, re.S).group(0)
    new_row = re.search(rf'<tr id="versie-{new}".*?</tr>', page, re.S).group(0)
    assert "migreren" in old_row and "migreren" not in new_row  # nothing runs on the newest yet

    dry = pieter.get(link)
    assert dry.status_code == 200
    page = html(dry)
    row = re.search(rf'<tr id="migratie-{inside.instance_id}".*?</tr>', page, re.S).group(0)
    assert "CAB houden" in row and "p0_consultatie_advies" in row
    assert "2 te migreren, 0 geweigerd" in page and f"Ja, 2 casussen migreren naar versie {new}" in page
    assert waiting.instance().process_version.version == old  # the dry run changed nothing

    # Without a reason: the same page again with the message, nothing migrated.
    form = {"naar": str(new), "instantie": [str(waiting.instance_id), str(inside.instance_id)]}
    refused = pieter.post(f"/beheer/processen/{P7}/versies/{old}/migreren", {**form, "reden": " "})
    assert refused.status_code == 422 and "Geef een reden" in html(refused)
    assert waiting.instance().process_version.version == old

    done = pieter.post(f"/beheer/processen/{P7}/versies/{old}/migreren", {**form, "reden": "Nieuwe stap"})
    assert done.status_code == 302
    page = html(pieter.get(done.headers["Location"]))
    assert f"2 casussen gemigreerd van versie {old} naar versie {new}" in page
    assert waiting.instance().process_version.version == inside.instance().process_version.version == new
    assert [e.data["reden"] for e in service.case_history(inside.case_id) if e.type == "gemigreerd"] == ["Nieuwe stap"]
    # The case's history shows the migration apart, with the versions and why.
    history = unescape(html(web.browser("anna").get(f"/casussen/{inside.case_id}")))
    assert f"Gemigreerd door de procesbeheerder: Terug naar het VeiligheidsTeam van versie {old} naar versie {new}" \
        in history
    assert "Reden: Nieuwe stap" in history


def test_refused_cases_show_their_reason_and_stay(web, tmp_path):
    service, clock = web.service, web.clock
    at_removed = P7Case(service, clock)
    at_removed.to_cab()
    at_removed.complete("Task_CabHouden", cab("interventiegesprek"), "vera")
    old, new = deploy_without_advice_step(service, tmp_path)
    pieter = web.browser("pieter")
    page = html(pieter.get(f"/beheer/processen/{P7}/versies/{old}/migreren?naar={new}"))
    row = re.search(rf'<tr id="migratie-{at_removed.instance_id}".*?</tr>', page, re.S).group(0)
    assert "geweigerd" in row and "Advies verwerken in de Veiligheidskaart" in row
    assert "0 te migreren, 1 geweigerd" in page and "Ja, " not in page  # nothing to confirm


def test_only_process_owners(web, tmp_path):
    P7Case(web.service, web.clock)
    vera = web.browser("vera")
    assert vera.get(f"/beheer/processen/{P7}/versies/1/migreren?naar=2").status_code == 403
    assert vera.post(f"/beheer/processen/{P7}/versies/1/migreren",
                     {"naar": "2", "instantie": "1", "reden": "x"}).status_code == 403
