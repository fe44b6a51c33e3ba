"""What the access log (NEN 7513) costs a page view: the case page, 200 views with the logging
and 200 without (the reason check and the write replaced by no-ops), interleaved, same case and
same browser session; medians in ms. For a professional (who takes part) and for an auditor
(whose reason of access is looked up for the session, then recorded with each row).

    .venv/bin/python bench/access_log_bench.py [--views 200] [--database-url URL] [--json]
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app import create_app  # noqa: E402
from app.config import Settings  # noqa: E402
from bench.fresh import fresh_service  # noqa: E402
from bench.preview_bench import CAB, CASUS, P0  # noqa: E402

PASSWORD = "bench-wachtwoord-123"


def _login(app, username: str, case_id: int):
    client = app.test_client()
    page = client.get("/inloggen").get_data(as_text=True)
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    assert client.post("/inloggen", data={"gebruikersnaam": username, "wachtwoord": PASSWORD,
                                          "csrf_token": token}).status_code == 302
    reason = client.get(f"/casussen/{case_id}/reden")
    if reason.status_code == 200:  # the auditor: the reason once for this session
        token = reason.get_data(as_text=True).split('name="csrf_token" value="')[1].split('"')[0]
        client.post(f"/casussen/{case_id}/reden", data={"doel": "kwaliteitsonderzoek", "csrf_token": token})
    return client


def _views(service, client, url: str, views: int) -> tuple[float, float]:
    logged, unlogged = [], []
    real_log, real_needed = service.log_access, service.access_reason_needed
    for number in range(views * 2):
        logging = number % 2 == 0
        if not logging:
            service.log_access = lambda *args, **kwargs: None
            service.access_reason_needed = lambda *args, **kwargs: False
        try:
            started = time.perf_counter()
            response = client.get(url)
            elapsed = (time.perf_counter() - started) * 1000
        finally:
            service.log_access, service.access_reason_needed = real_log, real_needed
        assert response.status_code == 200, response.status_code
        (logged if logging else unlogged).append(elapsed)
    return statistics.median(logged), statistics.median(unlogged)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--views", type=int, default=200)
    parser.add_argument("--database-url")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        service, clock, url = fresh_service(tmp, args.database_url, "access")
        service.create_user("anna", "Anna", ["inbrenger"], PASSWORD, gemeente="roosendaal")
        service.create_user("vera", "Vera", ["veiligheidsteam"], PASSWORD)
        service.create_user("ahmed", "Ahmed", ["auditor"], PASSWORD)
        case = service.start_case(P0, CASUS, "anna")
        (cab,) = service.tasks(case_id=case.id)
        service.complete_task(cab.id, CAB, "vera")
        app = create_app(Settings(database_url=url, processes_dir=ROOT / "processes", forms_dir=ROOT / "forms",
                                  secret_key="bench-secret"), service=service)
        results = {"views": args.views, "database": service.engine.dialect.name}
        for username in ("anna", "ahmed"):
            client = _login(app, username, case.id)
            client.get(f"/casussen/{case.id}")  # warm: templates compiled, specs cached
            logged, unlogged = _views(service, client, f"/casussen/{case.id}", args.views)
            results[username] = {"with_log_ms": round(logged, 2), "without_log_ms": round(unlogged, 2),
                                 "overhead_ms": round(logged - unlogged, 2)}
        service.engine.dispose()
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(f"case page, median of {args.views} views each ({results['database']}):")
    for username, label in (("anna", "professional (involved)"), ("ahmed", "auditor (reason given)")):
        item = results[username]
        print(f"  {label:24} {item['with_log_ms']:7.2f} ms logged, {item['without_log_ms']:7.2f} ms without: "
              f"+{item['overhead_ms']:.2f} ms")


if __name__ == "__main__":
    main()
