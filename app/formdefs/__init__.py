"""Form definitions (`forms/*.json`): loading, validation with marshmallow, Dutch messages."""
from .case_rules import FormContext
from .definition import FormDefinition, FormField, FormDefinitionError
from .json_schema import to_json_schema
from .registry import FormRegistry
from .validation import FormValidationError

__all__ = ["FormContext", "FormDefinition", "FormField", "FormDefinitionError", "FormRegistry", "FormValidationError", "to_json_schema"]
