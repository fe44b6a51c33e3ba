"""The service layer: every act on a case is one transaction here. It knows no HTTP."""
from .errors import Conflict, DeployRefused, InvalidInput, NotFound, PermissionDenied, ProcessFailed, ServiceError
from .service import Service
from . import letters as _letters  # noqa: F401,E402 - registers the invitation letters' AFTER_ACT hook

__all__ = [
    "Service", "ServiceError", "NotFound", "PermissionDenied", "Conflict", "InvalidInput", "DeployRefused",
    "ProcessFailed",
]
