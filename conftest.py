"""Shared test fixtures: the named personas every test speaks in (DESIGN.md, habit 7)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.test import Client

from regulars.org.models import Branch, Role, Staff
from regulars.platform.actor import Actor

PASSWORD = "correct-horse-battery-staple"


@dataclass
class World:
    branch_a: Branch
    branch_b: Branch
    admin: Staff
    manager_a: Staff
    operator_a: Staff
    operator_b: Staff
    consultant_a: Staff
    marketer: Staff

    def actor(self, staff: Staff) -> Actor:
        return Actor(user_id=staff.pk, label=staff.username, ip="127.0.0.1")


def _staff(username: str, role: str, *branches: Branch) -> Staff:
    staff = Staff.objects.create_user(username=username, password=PASSWORD, role=role,
                                      first_name=username.split("_")[0].title(), last_name="Test")
    staff.branches.set(branches)
    return staff


@pytest.fixture
def world(db: None) -> World:
    """Two branches and one person of each role: admin, manager of A, operators of A and B, a consultant of A,
    a marketer."""
    branch_a = Branch.objects.create(name="Branch A", code="a", time_zone="Europe/Moscow")
    branch_b = Branch.objects.create(name="Branch B", code="b", time_zone="Asia/Yekaterinburg")
    return World(
        branch_a=branch_a,
        branch_b=branch_b,
        admin=_staff("admin", Role.ADMIN, branch_a, branch_b),
        manager_a=_staff("manager_a", Role.MANAGER, branch_a),
        operator_a=_staff("operator_a", Role.OPERATOR, branch_a),
        operator_b=_staff("operator_b", Role.OPERATOR, branch_b),
        consultant_a=_staff("consultant_a", Role.CONSULTANT, branch_a),
        marketer=_staff("marketer", Role.MARKETER, branch_a, branch_b),
    )


def client_for(staff: Staff, language: str = "en") -> Client:
    """A browser session of this person, in this interface language (English by default: stable test text)."""
    client = Client()
    client.force_login(staff)
    client.cookies["django_language"] = language
    return client
