"""The service layer: every act on a case is one transaction here. It knows no HTTP."""
from .errors import Conflict, DeployRefused, InvalidInput, NotFound, PermissionDenied, ProcessFailed, ServiceError
from .service import Service

__all__ = [
    "Service", "ServiceError", "NotFound", "PermissionDenied", "Conflict", "InvalidInput", "DeployRefused",
    "ProcessFailed",
]
