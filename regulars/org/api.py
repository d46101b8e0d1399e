"""API: branches."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status

from regulars.platform.actor import Actor

from . import services
from .permissions import require
from .selectors import branch_list

router = Router(tags=["branches"])


class BranchOut(Schema):
    id: int
    name: str
    code: str
    address: str
    phone: str
    time_zone: str
    working_hours: dict[str, list[list[str]]]
    is_active: bool


class BranchIn(Schema):
    name: str
    code: str = ""
    address: str = ""
    phone: str = ""
    time_zone: str = "Europe/Moscow"
    working_hours: dict[str, list[list[str]]] = {}


class BranchPatch(Schema):
    name: str | None = None
    code: str | None = None
    address: str | None = None
    phone: str | None = None
    time_zone: str | None = None
    working_hours: dict[str, list[list[str]]] | None = None
    is_active: bool | None = None


@router.get("/branches", response=list[BranchOut], summary="List branches")
def list_branches(request: HttpRequest) -> Any:
    require(request, "customers.view")
    return list(branch_list())


@router.post("/branches", response={201: BranchOut}, summary="Create a branch (settings permission)")
def create_branch(request: HttpRequest, payload: BranchIn) -> Any:
    require(request, "settings.manage")
    return Status(201, services.branch_create(actor=Actor.from_request(request), **payload.model_dump()))


@router.patch("/branches/{branch_id}", response=BranchOut, summary="Change a branch (settings permission)")
def update_branch(request: HttpRequest, branch_id: int, payload: BranchPatch) -> Any:
    require(request, "settings.manage")
    return services.branch_update(
        actor=Actor.from_request(request), branch_id=branch_id, **payload.model_dump(exclude_unset=True)
    )
