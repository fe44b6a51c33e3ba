"""Form definitions (`forms/*.json`): loading, validation with marshmallow, Dutch messages."""
from .definition import FormDefinition, FormField, FormDefinitionError
from .registry import FormRegistry
from .validation import FormValidationError

__all__ = ["FormDefinition", "FormField", "FormDefinitionError", "FormRegistry", "FormValidationError"]
