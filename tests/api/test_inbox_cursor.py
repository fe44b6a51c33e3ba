"""The API's werkbak pages by cursor (issue 15 part 5): `next`/`prev` out, `cursor` in, a capped
count, a clear error for a cursor it did not make, and the OpenAPI document says so."""
from __future__ import annotations

from tests.integration.test_inbox_paging import seed

from .helpers import assert_error


def test_pages_by_cursor_and_the_openapi_document(api):
    ids = seed(api.service, [{"role": "rvdk"} for _ in range(5)])
    rik = api.as_("rik")
    first = rik.get("/api/tasks?tab=rol&per_page=2").get_json()
    assert (first["total"], first["capped"], first["prev"]) == (5, False, None) and first["next"]
    seen = [t["id"] for t in first["items"]]
    page = first
    while page["next"]:
        page = rik.get(f"/api/tasks?tab=rol&per_page=2&cursor={page['next']}").get_json()
        seen += [t["id"] for t in page["items"]]
    assert seen == ids  # no deadlines: by id, none lost, none twice
    back = rik.get(f"/api/tasks?tab=rol&per_page=2&cursor={page['prev']}").get_json()
    assert [t["id"] for t in back["items"]] == ids[2:4]

    velden = assert_error(rik.get(f"/api/tasks?tab=rol&sort=nieuw&cursor={first['next']}"), 422, "ongeldige_invoer")
    assert list(velden) == ["cursor"] and "next" in velden["cursor"][0]

    doc = api.anonymous.get("/api/openapi.json").get_json()
    parameters = {p["name"] for p in doc["paths"]["/api/tasks"]["get"]["parameters"]}
    assert "cursor" in parameters
    page_schema = next(s for name, s in doc["components"]["schemas"].items() if name.startswith("InboxPage"))
    assert {"next", "prev", "capped", "total"} <= set(page_schema["properties"])
