"""In real chromium: vera (VeiligheidsTeam) opens the overview from the menu, sees the compliance of
a conversation held in time with the card sent in time, and opens the heatmap: the P3 diagram with
the numbers on its elements (bpmn-js overlays) and the same numbers in the table below it."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.session import log_in
from tests.procedures.gesprek_steps import (
    at, start_through_p0, gesprek_op_12_maart,
)

pytestmark = pytest.mark.e2e


def test_overview_and_heatmap(clock_live_server, page):
    base_url, service, clock = clock_live_server
    # One P3 conversation held on Thursday 12 March, 10 days after the CAB, the card sent at once.
    case = start_through_p0(service, clock, "interventiegesprek",
                            jeugdigen=[{"naam": "Lot de Vries", "geboortedatum": "2020-01-01"}])
    gesprek_op_12_maart(case)

    page.set_viewport_size({"width": 1400, "height": 900})
    log_in(page, base_url, "vera")
    page.get_by_role("navigation", name="Hoofdmenu").get_by_role("link", name="Overzicht").click()
    expect(page.get_by_role("heading", name="Overzicht", level=1)).to_be_visible()
    page.fill("input[name=van]", "2026-03")
    page.fill("input[name=tot]", "2026-03")
    page.get_by_role("button", name="Toon").click()

    tm1 = page.locator("[data-doel=tm1]")
    expect(tm1.locator(".percentage")).to_have_text("100.0 %")
    expect(tm1).to_contain_text("op tijd: 1 van 1")
    expect(tm1.locator("[data-instelling=streeftermijn_gesprek_dagen]")).to_contain_text("= 14")
    expect(page.locator("[data-doel=tm2] .percentage")).to_have_text("100.0 %")
    tm1.get_by_text("Hoe berekend").click()
    expect(tm1.locator(".hoe-berekend p")).to_be_visible()
    expect(page.locator("table.uitkomsten")).to_contain_text("Interventiegesprek afgerond (vrijwillig kader)")

    page.get_by_role("link", name="Heatmap op het diagram").click()
    page.select_option("select[name=keuze]", value="p3_interventiegesprek:1")
    page.get_by_role("button", name="Toon").click()
    canvas = page.locator(".heatmap-canvas")
    expect(canvas).to_have_attribute("data-overlays", re.compile(r"^[1-9][0-9]*$"))
    expect(canvas.locator("[data-element=Task_InterventiegesprekVoeren]")).to_be_visible()
    label = canvas.locator(".heat-label[data-element=Task_InterventiegesprekVoeren]")
    expect(label.locator("strong")).to_have_text("1")
    expect(label).to_contain_text("nu 0")
    # The element itself carries the colour of its share (the demo's case also started a
    # conversation: 1 of at most 2); the legend explains the colours.
    expect(page.locator("g.djs-element[data-element-id=Task_InterventiegesprekVoeren]")).to_have_class(
        re.compile(r"\bheat-[1-4]\b"))
    expect(page.locator(".heatmap-legenda")).to_contain_text("Doorlopen")
    expect(page.locator(".heatmap-tabel tbody")).to_contain_text("Interventiegesprek voeren")
    expect(page.locator(".heatmap-status")).to_contain_text("versie 1")
