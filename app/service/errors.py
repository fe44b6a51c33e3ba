"""Errors the service layer raises: a Dutch message for people, a code for programs."""
from __future__ import annotations


class ServiceError(Exception):
    code = "fout"

    def __init__(self, message: str, **details):
        super().__init__(message)
        self.message = message
        self.details = details

    def as_dict(self) -> dict:
        return {"code": self.code, "bericht": self.message, **self.details}


class NotFound(ServiceError):
    code = "niet_gevonden"


class PermissionDenied(ServiceError):
    code = "geen_toegang"


class Conflict(ServiceError):
    """Someone else changed the case first; nothing of this attempt was saved."""

    code = "conflict"


class InvalidInput(ServiceError):
    code = "ongeldige_invoer"

    def __init__(self, message: str, errors: dict):
        super().__init__(message, velden=errors)
        self.errors = errors


class DeployRefused(ServiceError):
    code = "diagram_geweigerd"

    def __init__(self, problems: list, message: str = "Het diagram is niet in gebruik genomen:"):
        self.items = list(problems)  # Problem objects where known: a marker per element in the modeler
        self.problems = [str(p) for p in problems]
        super().__init__(message + "\n  " + "\n  ".join(self.problems), problemen=self.problems,
                         elementen=[_problem_dict(p) for p in self.items])


def _problem_dict(problem) -> dict:
    return {"bestand": getattr(problem, "file", None), "element": getattr(problem, "element", None),
            "element_id": getattr(problem, "element_id", None), "bericht": getattr(problem, "message", str(problem))}


class ProcessFailed(ServiceError):
    """The engine could not go on (e.g. a condition could not be evaluated); nothing was saved."""

    code = "proces_fout"


class CaseProblem(ProcessFailed):
    """An engine failure became an incident: the person is told the beheerder knows, not the engine's words.

    API: 422 like proces_fout (the request was understood but this case cannot take it now), with
    the incident's id so a client can refer to it."""

    code = "casus_probleem"

    def __init__(self, message: str, incident: int | None):
        super().__init__(message, incident=incident)
        self.incident_id = incident
