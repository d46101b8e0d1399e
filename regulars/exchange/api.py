"""The exchange part of the REST API."""

from ninja import Router

router = Router(tags=["exchange"])
