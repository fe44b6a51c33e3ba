"""The fuzz tests' marker (pyproject.toml lists the others): `pytest -m fuzz` runs only them,
`pytest -m "not fuzz"` leaves them out."""


def pytest_configure(config):
    config.addinivalue_line("markers", "fuzz: schemathesis over /api/openapi.json (bounded, seeded)")
