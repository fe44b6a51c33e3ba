"""Accessibility in real chromium. axe-core finds no critical or serious violation on any kind of
page, for each role, under the app's own CSP (tests/e2e/axe.py); the werkbak works on a phone
(390 px: cards, the deadline and the claim button in view, no sideways scrolling); a task is
completed with the keyboard alone, past a refused submit whose error summary gets the focus and
leads to each field."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from app.web.labels import datum
from tests.e2e.axe import add_axe, blocking, describe, violations
from tests.e2e.session import log_in

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def open_as(browser, live_server):
    """open_as(username=None, axe=True, viewport=None): a page in a browser context of its own
    (closed after the test), with axe added, logged in as username."""
    base_url, _ = live_server
    contexts = []

    def open_page(username=None, axe=True, viewport=None):
        context = browser.new_context(locale="nl-NL", timezone_id="Europe/Amsterdam",
                                      **({"viewport": viewport} if viewport else {}))
        context.set_default_timeout(10_000)
        contexts.append(context)
        if axe:
            add_axe(context)
        page = context.new_page()
        if username:
            log_in(page, base_url, username)
        return page

    yield open_page
    for context in contexts:
        context.close()


def _open(page, url):
    """Goes to url and waits till its scripts are done; the app's CSP is on the page (axe runs
    under it, not beside it)."""
    response = page.goto(url)
    assert "script-src 'self';" in response.headers.get("content-security-policy", "")
    page.wait_for_load_state("networkidle")


def _case_page_ready(page):
    expect(page.locator("h1")).to_have_text(re.compile(r"^Casus VHT-"))
    expect(page.locator(".diagrammen .djs-container").first).to_be_attached()


def _give_reason(page):
    page.get_by_role("radio", name="Kwaliteitsonderzoek").check()
    page.fill("form.reden-inzage textarea[name=toelichting]", "Controle van het dossier.")
    page.click("form.reden-inzage button[type=submit]")
    page.wait_for_load_state("networkidle")


def _scan(page, found, name):
    seen = blocking(violations(page))
    if seen:
        found[name] = describe(seen)


def _demo(service):
    """The demo's cases: 1 has open tasks of Anna and a completed CAB, 2 waits for its CAB."""
    return {
        "anna_task": next(t for t in service.tasks(case_id=1) if t.assignee == "anna").id,
        "done_task": service.tasks(case_id=1, state="completed")[0].id,
        "cab": service.tasks(case_id=2)[0].id,
    }


def test_axe_login_werkbak_cases_task_and_card_of_a_professional(live_server, open_as):
    base_url, service = live_server
    ids = _demo(service)
    found = {}
    page = open_as()
    _open(page, base_url + "/inloggen")
    _scan(page, found, "inloggen")
    log_in(page, base_url, "anna")
    for path in ("/werkbak", "/werkbak?tab=rol", "/werkbak?tab=afgerond", "/casussen", "/casussen/nieuw",
                 f"/taken/{ids['anna_task']}", f"/taken/{ids['done_task']}", "/casussen/1/veiligheidskaart",
                 "/regionale-keuzes", "/taken/999999"):
        _open(page, base_url + path)
        _scan(page, found, path)
    _open(page, base_url + "/casussen/1")
    _case_page_ready(page)
    _scan(page, found, "/casussen/1")
    # The new case form refused: its messages at the fields.
    _open(page, base_url + "/casussen/nieuw")
    page.click("form.formulier button[type=submit]")
    page.wait_for_load_state("networkidle")
    expect(page.locator(".heeft-fout").first).to_be_visible()
    _scan(page, found, "/casussen/nieuw (geweigerd)")

    page = open_as("vera")
    _open(page, base_url + f"/taken/{ids['cab']}")
    page.click("button[value=afronden]")
    expect(page.locator(".foutoverzicht")).to_be_focused()
    _scan(page, found, f"/taken/{ids['cab']} (geweigerd)")
    assert not found, found


def test_axe_the_auditors_and_beheerders_pages(live_server, open_as):
    base_url, service = live_server
    found = {}
    page = open_as("ahmed")
    _open(page, base_url + "/casussen/1")
    expect(page).to_have_url(re.compile(r"/casussen/1/reden\?"))
    _scan(page, found, "/casussen/1/reden")
    page.get_by_role("radio", name="Anders").check()
    page.click("form.reden-inzage button[type=submit]")
    expect(page.locator("form.reden-inzage .meldingen, .melding.fout").first).to_be_visible()
    _scan(page, found, "/casussen/1/reden (Anders zonder toelichting)")
    _give_reason(page)
    _case_page_ready(page)
    _scan(page, found, "/casussen/1 (auditor)")
    player = page.locator("#afspelen")
    player.get_by_role("button", name="Casus afspelen").click()
    expect(player.locator(".stap-tekst")).to_contain_text("Stap 1 van")
    expect(player.locator(".djs-container").first).to_be_attached()
    _scan(page, found, "/casussen/1 (afspelen)")
    for path in ("/audit/toegang", "/audit/toegang?casus=1", "/audit/verificatie"):
        _open(page, base_url + path)
        _scan(page, found, path)

    page = open_as("beheer")
    for path in ("/beheer/bewaartermijn", "/beheer/casussen/1/avg-export", "/beheer/berichten", "/beheer/mail",
                 "/beheer/incidenten", "/audit/toegang", "/audit/verificatie"):
        _open(page, base_url + path)
        if "/reden?" in page.url:
            _give_reason(page)
        _scan(page, found, path)
    _open(page, base_url + "/beheer/casussen/1/avg-export")
    page.fill("form[action$='/avg-export'] textarea[name=reden]", "   ")  # passes `required`, not the server
    page.locator("form[action$='/avg-export'] button[type=submit]").click()
    expect(page.locator(".melding.fout").first).to_be_visible()
    _scan(page, found, "/beheer/casussen/1/avg-export (zonder reden)")
    assert not found, found


def test_axe_the_process_owners_pages(live_server, open_as):
    base_url, service = live_server
    found = {}
    page = open_as("pieter")
    for path in ("/beheer/processen", "/beheer/concepten", "/beheer/processen/p0_consultatie_advies/versies",
                 "/beheer/processen/p0_consultatie_advies/casussen/1/pad",
                 "/beheer/processen/p0_consultatie_advies/modeler"):
        _open(page, base_url + path)
        _scan(page, found, path)
    assert not found, found


def test_the_werkbak_on_a_phone(live_server, open_as):
    """Gina, 390 px wide: her tasks as cards with their deadline and the Vrijgeven button in view,
    the header across the page, no sideways scrolling; released, the task is offered to her role
    with a Claimen button, and claiming it there works."""
    base_url, service = live_server
    task = service.tasks(case_id=3)[0]
    assert task.assignee == "gina" and task.due_at is not None
    page = open_as("gina", axe=False, viewport=PHONE)
    page.goto(base_url + "/werkbak")

    def fits_the_phone():
        width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert width[0] <= width[1] == PHONE["width"], f"the page scrolls sideways: {width}"
        header = page.locator("header.kop").bounding_box()
        assert header["x"] == 0 and header["width"] == PHONE["width"], header

    def in_view(locator):
        expect(locator).to_be_visible()
        box = locator.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box

    def card_shows(button):
        card = page.locator(f"tr[data-taak='{task.id}']")
        fits_the_phone()
        in_view(card.locator("td.deadline"))
        expect(card.locator("td.deadline")).to_contain_text(datum(task.due_at))
        in_view(card.get_by_role("button", name=button))
        # A card, not a row: the deadline under the task's name, named by its column.
        name = card.locator("td").first.bounding_box()
        assert card.locator("td.deadline").bounding_box()["y"] >= name["y"] + name["height"] - 1
        label = card.locator("td.deadline").evaluate("(td) => getComputedStyle(td, '::before').content")
        assert label == '"Deadline: "', label
        return card

    def go(locator):  # the next page, fully loaded (its stylesheet too) before it is measured
        with page.expect_navigation(wait_until="load"):
            locator.click()

    go(card_shows("Vrijgeven").get_by_role("button", name="Vrijgeven"))
    expect(page.locator(f"tr[data-taak='{task.id}']")).to_have_count(0)
    go(page.get_by_role("link", name="Taken voor mijn rollen"))
    go(card_shows("Claimen").get_by_role("button", name="Claimen"))
    go(page.get_by_role("link", name="Mijn taken"))
    card_shows("Vrijgeven")
    assert service.task(task.id).assignee == "gina"


def _focused(page, selector: str) -> bool:
    return page.evaluate("(s) => !!document.activeElement && document.activeElement.matches(s)", selector)


def _tab_to(page, selector: str, back: bool = False, limit: int = 80):
    """Presses Tab (or Shift+Tab) until the element matching selector has the focus."""
    for _ in range(limit):
        if _focused(page, selector):
            return
        page.keyboard.press("Shift+Tab" if back else "Tab")
    raise AssertionError(f"{selector} never got the focus with {'Shift+Tab' if back else 'Tab'}")


def _follow(page):
    """Enter on the focused link or button, and wait for the page it leads to."""
    with page.expect_navigation():
        page.keyboard.press("Enter")


def _type_into_focused(page):
    """Fills the focused control the way a keyboard user would."""
    kind = page.evaluate("document.activeElement.tagName.toLowerCase() + ':' + (document.activeElement.type || '')")
    if kind in ("input:radio", "input:checkbox"):
        page.keyboard.press("Space")
    elif kind.startswith("select"):
        page.keyboard.press("ArrowDown")
    elif kind == "input:date":
        page.keyboard.type("01062026")
    else:
        page.keyboard.type("Met het toetsenbord ingevuld.")


def test_a_task_completed_with_the_keyboard_alone(live_server, open_as):
    """Vera: skip link, claim, open the CAB, submit it empty: the focus is on the error summary;
    each of its lines leads to its field, where she fills it in; then the task is done."""
    base_url, service = live_server
    cab = service.tasks(case_id=2)[0]
    page = open_as(axe=False)
    page.goto(base_url + "/inloggen")
    expect(page.locator("#gebruikersnaam")).to_be_focused()  # autofocus
    page.keyboard.type("vera")
    page.keyboard.press("Tab")
    page.keyboard.type("vera-demo")
    _follow(page)
    expect(page.locator("h1")).to_have_text("Werkbak")

    # The first Tab reaches the skip link, shown when focused; it skips the menu.
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Naar de inhoud")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.locator("main#inhoud")).to_be_focused()
    page.keyboard.press("Tab")
    assert page.evaluate("!!document.activeElement.closest('main')"), "the Tab after the skip link left main"

    _tab_to(page, "a[href*='tab=rol']")
    _follow(page)
    _tab_to(page, f"form[action$='/taken/{cab.id}/claimen'] button")
    _follow(page)
    expect(page.locator(f"tr[data-taak='{cab.id}']")).to_have_count(0)  # no longer offered: hers
    _tab_to(page, "a[href*='tab=mijn']")
    _follow(page)
    expect(page.locator(f"tr[data-taak='{cab.id}']").get_by_role("button", name="Vrijgeven")).to_be_visible()
    _tab_to(page, f"a[href$='/taken/{cab.id}']")
    _follow(page)
    expect(page.locator("h1")).to_have_text(cab.name)

    summary = page.locator(".foutoverzicht")
    for attempt in range(4):
        _tab_to(page, "button[value=afronden]")
        _follow(page)
        if page.locator(".melding.succes").count():
            break
        expect(summary).to_be_focused()
        links = summary.locator("a")
        targets = [href[1:] for href in links.evaluate_all("(as) => as.map((a) => a.getAttribute('href'))")]
        assert targets, summary.inner_text()
        if attempt == 0:  # the empty form: every required field is named
            expect(summary).to_contain_text("Soort advies")
            expect(summary).to_contain_text("Advies")
            expect(summary).to_contain_text("Afspraken over de uitvoering")
        for index, target in enumerate(targets):
            _tab_to(page, f".foutoverzicht a[href='#{target}']", back=index > 0)
            page.keyboard.press("Enter")
            field = page.locator(f"[id='{target}']")
            expect(field).to_be_focused()
            expect(field).to_be_in_viewport()
            _type_into_focused(page)
    else:
        raise AssertionError(f"still refused after 4 rounds: {summary.inner_text()}")
    expect(page.locator(".melding.succes")).to_contain_text(f"Taak '{cab.name}' afgerond")
    assert service.task(cab.id).state == "completed"
