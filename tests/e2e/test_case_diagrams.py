"""In real chromium: the case page shows one procedure diagram at a time behind tabs, the procedure
with the current step first and opened on that step at a readable scale; the zoom buttons change
the scale, "Passend" shows the whole diagram, the arrow keys switch tabs and pan the canvas."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.procedures.driver import casus
from tests.web.helpers import CAB, P0

pytestmark = pytest.mark.e2e

SHOTS = "/tmp/shots"


def _login(page, base_url, username):
    page.goto(base_url + "/inloggen")
    page.fill("#gebruikersnaam", username)
    page.fill("#wachtwoord", f"{username}-demo")
    page.click("form button[type=submit]")
    expect(page.locator("form[action$='/uitloggen'], a[href$='/uitloggen']").first).to_be_attached()


def _scale(panel) -> float:
    return float(panel.get_attribute("data-schaal"))


def _in_view(page, panel, bpmn_id) -> bool:
    """Whether the element's box lies wholly inside the visible canvas."""
    return page.evaluate(
        """([panel, id]) => {
            const box = document.querySelector(panel + ' .canvas').getBoundingClientRect();
            const el = document.querySelector(panel + ' [data-element-id="' + id + '"]').getBoundingClientRect();
            return el.width > 0 && el.left >= box.left && el.right <= box.right
                && el.top >= box.top && el.bottom <= box.bottom;
        }""", [panel, bpmn_id])


def test_diagram_tabs_with_zoom_fit_and_the_current_step_in_view(live_server, page):
    base_url, service = live_server
    case = service.start_case(P0, casus(), "anna")
    (task,) = [t for t in service.tasks(case_id=case.id) if t.bpmn_id == "Task_CabHouden"]
    service.claim(task.id, "vera")
    service.complete_task(task.id, CAB, "vera")

    page.set_viewport_size({"width": 1400, "height": 900})
    _login(page, base_url, "anna")
    page.goto(f"{base_url}/casussen/{case.id}")
    section = page.locator("section.diagrammen")
    expect(section).to_have_attribute("data-geladen", "ja", timeout=20_000)

    tabs = section.get_by_role("tab")
    expect(tabs).to_have_count(2)
    # The procedure with the open step comes first (before the one that calls it), is selected,
    # and is the only panel shown.
    first = tabs.nth(0)
    expect(first).to_have_text(re.compile(r"^Advies verwerken in de Veiligheidskaart"))
    expect(tabs.nth(1)).to_have_text(re.compile(r"^Consultatie- en adviesbespreking"))
    expect(first).to_have_attribute("aria-selected", "true")
    expect(first).to_contain_text("bezig")
    panels = section.get_by_role("tabpanel")
    expect(panels).to_have_count(1)  # hidden panels are not in the accessibility tree
    shown = section.locator("[role=tabpanel]:not([hidden])")
    key = shown.get_attribute("data-diagram")
    panel = f'figure[data-diagram="{key}"]'
    active_id = "Task_AdviesVerwerken"
    expect(shown.locator(f'g.djs-element[data-element-id="{active_id}"]')).to_have_class(re.compile(r"\bvht-actief\b"))
    # The current step at its drawn size (labels readable) and wholly in view.
    assert _scale(shown) == 1.0
    assert _in_view(page, panel, active_id)
    expect(shown.locator(".zoom-stand")).to_have_text("100%")
    page.screenshot(path=f"{SHOTS}/case_diagram_current.png", full_page=True)

    # Zoom in and out change the scale, by button and by key on the canvas.
    shown.get_by_role("button", name="Inzoomen").click()
    assert _scale(shown) == pytest.approx(1.25, abs=0.01)
    expect(shown.locator(".zoom-stand")).to_have_text("125%")
    shown.get_by_role("button", name="Uitzoomen").click()
    shown.get_by_role("button", name="Uitzoomen").click()
    assert _scale(shown) == pytest.approx(0.8, abs=0.01)
    canvas = shown.locator(".canvas")
    canvas.focus()
    canvas.press("+")
    assert _scale(shown) == pytest.approx(1.0, abs=0.01)

    # Pan with the arrow keys: the diagram moves under the canvas.
    before = page.locator(f'{panel} [data-element-id="{active_id}"]').bounding_box()
    canvas.press("ArrowRight")
    after = page.locator(f'{panel} [data-element-id="{active_id}"]').bounding_box()
    assert after["x"] < before["x"]

    # Fit: the whole diagram inside the canvas; back to the current step at 100 %.
    shown.get_by_role("button", name="Heel diagram tonen").click()
    fitted = _scale(shown)
    assert fitted <= 1.0
    ids = shown.locator("g.djs-shape").evaluate_all("els => els.map(e => e.getAttribute('data-element-id'))")
    assert all(_in_view(page, panel, i) for i in ids[:40] if i and not i.endswith("_label"))
    shown.get_by_role("button", name="Naar de huidige stap").click()
    assert _scale(shown) == 1.0 and _in_view(page, panel, active_id)

    # The other tab, by keyboard: the arrow key moves the selection and shows that diagram alone.
    first.focus()
    first.press("ArrowRight")
    second = tabs.nth(1)
    expect(second).to_be_focused()
    expect(second).to_have_attribute("aria-selected", "true")
    expect(first).to_have_attribute("aria-selected", "false")
    other = section.locator("[role=tabpanel]:not([hidden])")
    assert other.get_attribute("data-diagram") != key
    expect(other.locator(".djs-container svg")).to_be_visible()
    # The calling procedure opens on its current call activity, at the readable scale too.
    assert _scale(other) == 1.0
    assert _in_view(page, f'figure[data-diagram="{other.get_attribute("data-diagram")}"]', "CallActivity_AdviesVerwerken")
    expect(page.locator(f'{panel}')).to_be_hidden()
    page.screenshot(path=f"{SHOTS}/case_diagram_second_tab.png", full_page=True)
    # The wide calling procedure fits only when shrunk, which "Passend" does on request.
    other.get_by_role("button", name="Heel diagram tonen").click()
    assert _scale(other) < 0.9
    # Back with a click.
    first.click()
    expect(page.locator(panel)).to_be_visible()
    expect(shown.locator(".zoom-stand")).to_have_text(re.compile(r"^\d+%$"))


def test_a_failed_diagram_list_says_so_without_tabs(live_server, page):
    """A case page whose diagram list fails says so instead of showing empty tabs."""
    base_url, service = live_server
    case = service.start_case(P0, casus(), "anna")
    _login(page, base_url, "anna")
    page.route(re.compile(r".*/diagrammen\.json$"), lambda route: route.fulfill(status=500, body="kapot"))
    page.goto(f"{base_url}/casussen/{case.id}")
    section = page.locator("section.diagrammen")
    expect(section).to_have_attribute("data-geladen", "fout", timeout=20_000)
    expect(section).to_contain_text("De diagrammen konden niet worden geladen.")
    expect(section.get_by_role("tab")).to_have_count(0)
