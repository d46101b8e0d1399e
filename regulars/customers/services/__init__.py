"""Write use cases of the customers domain. Every surface (pages, API, importer, worker) calls these."""

from .assets import asset_add, asset_archive, asset_update
from .configuration import asset_type_create, asset_type_update, custom_field_create, custom_field_update
from .consents import ConsentInput, consent_set
from .contacts import contact_add, contact_remove, normalize_contact
from .customers import customer_create, customer_update
from .flags import flag_clear, flag_set
from .matching import CustomerRef, customer_match, customer_match_or_create
from .merge import customer_merge, duplicate_dismiss
from .notes import note_add

__all__ = [
    "ConsentInput",
    "CustomerRef",
    "asset_add",
    "asset_archive",
    "asset_type_create",
    "asset_type_update",
    "asset_update",
    "consent_set",
    "contact_add",
    "contact_remove",
    "custom_field_create",
    "custom_field_update",
    "customer_create",
    "customer_match",
    "customer_match_or_create",
    "customer_merge",
    "customer_update",
    "duplicate_dismiss",
    "flag_clear",
    "flag_set",
    "normalize_contact",
    "note_add",
]
