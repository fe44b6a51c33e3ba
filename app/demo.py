"""Demo users for every role and a few cases at different stages (`vht demo`, run by `make run`).

Only ever into an empty database (no users, no cases), once: the demo passwords are public, so
a database with real accounts, or one where the demo accounts were changed or deactivated since,
is left exactly as it is. VHT_DEMO=0 (and VHT_ENV=production) turns `vht demo` off altogether.
"""
from __future__ import annotations

from datetime import timedelta

from app.engine.clock import TZ
from app.service import Service

DEMO_USERS = [
    # username, naam, rollen, gemeente, organisatie
    ("anna", "Anna de Jong", ["inbrenger"], "roosendaal", "SPRING Roosendaal"),
    ("bram", "Bram Jansen", ["inbrenger"], "moerdijk", "Jeugdteam Moerdijk"),
    ("gina", "Gina Bakker", ["gi", "inbrenger"], None, "Jeugdbescherming Brabant"),
    ("rik", "Rik Smit", ["rvdk"], None, "Raad voor de Kinderbescherming"),
    ("tom", "Tom Visser", ["toegang"], "roosendaal", "Gemeente Roosendaal, toegang"),
    ("nina", "Nina Mulder", ["netwerkpartner"], None, "GGZ West-Brabant"),
    ("vera", "Vera de Boer", ["veiligheidsteam"], None, "VeiligheidsTeam WBW"),
    ("victor", "Victor Peters", ["voorzitter"], None, "Procesregie gemeente"),
    ("zoe", "Zoë Hendriks", ["zorgaanbieder"], None, "Buurtteam Rucphen"),
    ("pieter", "Pieter Dekker", ["procesbeheerder"], None, "VeiligheidsTeam WBW"),
    ("ahmed", "Ahmed El Amrani", ["auditor"], None, "Interne audit"),
    ("beheer", "Beheerder", ["beheerder"], None, "Functioneel beheer"),
]


def demo_password(username: str) -> str:
    """For the demo only; README lists them."""
    return f"{username}-demo"


def _family(achternaam: str, kind: str, geboortedatum: str) -> dict:
    return {
        "ouders": [{"naam": f"Petra {achternaam}", "contact": "06-12345678", "gezag": True},
                   {"naam": f"Mark {achternaam}", "contact": "06-87654321", "gezag": True}],
        "jeugdigen": [{"naam": f"{kind} {achternaam}", "geboortedatum": geboortedatum}],
    }


def load_demo(service: Service) -> list[str]:
    accounts = [(username, naam, rollen, demo_password(username),
                 {"gemeente": gemeente, "organisatie": organisatie, "email": f"{username}@demo.vht.example"})
                for username, naam, rollen, gemeente, organisatie in DEMO_USERS]
    if not service.load_demo_users(accounts):
        return ["de database heeft al gebruikers of casussen: geen demogegevens geladen, niets gewijzigd"]
    lines = [f"{len(DEMO_USERS)} demogebruikers aangemaakt (wachtwoord: <gebruikersnaam>-demo)"]

    today = service.ctx.now().astimezone(TZ).date()
    # 1. Roosendaal: CAB held, interventiegesprek and zorg running.
    case = service.start_case("p0_consultatie_advies", {
        "gemeente": "roosendaal", "inbrenger_organisatie": "SPRING Roosendaal",
        **_family("de Vries", "Sam", "2015-06-01"),
        "cab_datum": today.isoformat(), "maatregel": "geen",
    }, "anna")
    cab = service.tasks(case_id=case.id)[0]
    service.complete_task(cab.id, {
        "advies_type": "andere_aanpak",
        "advies_tekst": "Interventiegesprek met ouders en GGZ; zorg voor moeder inzetten.",
        "afspraken": [{"wie": "Anna de Jong", "wat": "Interventiegesprek organiseren",
                       "wanneer": (today + timedelta(days=14)).isoformat(), "monitoring": "VHT over 6 weken"}],
        "interventies": ["interventiegesprek", "zorg"],
        "aansluitende_partners": [{"naam": "Nina Mulder", "organisatie": "GGZ West-Brabant", "rol": "netwerkpartner"}],
        "netwerkpartner_gebruikers": ["nina"],  # chosen in the CAB: she sees the case (issue 9, section 4)
    }, "vera")
    vk = service.tasks(case_id=case.id)[0]
    service.complete_task(vk.id, {"vk_advies_verwerkt": True}, "anna")
    lines.append(f"casus {case.id}: Roosendaal, interventiegesprek en zorg lopen")

    # 2. Moerdijk: just brought in, the consultation is still to be held.
    case = service.start_case("p0_consultatie_advies", {
        "gemeente": "moerdijk", "inbrenger_organisatie": "Jeugdteam Moerdijk",
        **_family("Yilmaz", "Lina", "2012-02-14"),
        "cab_datum": today.isoformat(), "maatregel": "geen",
    }, "bram")
    lines.append(f"casus {case.id}: Moerdijk, consultatie- en adviesbespreking te houden")

    # 3. OTS ending in 13 weeks: the warme overdracht starts.
    case = service.start_case("p5_warme_overdracht", {
        "gemeente": "roosendaal", "inbrenger_organisatie": "Jeugdbescherming Brabant",
        **_family("Bos", "Daan", "2013-09-30"),
        "einde_maatregel": (today + timedelta(weeks=13)).isoformat(),
    }, "gina")
    lines.append(f"casus {case.id}: warme overdracht na OTS (einde over 13 weken)")

    # 4. Guardianship of a youth turning 18 in five months.
    case = service.start_case("p6_achttien_min_plus", {
        "gemeente": "rucphen", "inbrenger_organisatie": "Jeugdbescherming Brabant",
        "jeugdigen": [{"naam": "Noah Willems",
                       "geboortedatum": (today.replace(year=today.year - 18) + timedelta(days=150)).isoformat()}],
        "maatregel": "voogdij",
    }, "gina")
    lines.append(f"casus {case.id}: 18-/18+ bij voogdij")
    return lines
