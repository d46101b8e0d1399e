"""Conventions from DESIGN.md that a machine can check."""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "regulars"
DOMAINS = ["platform", "org", "customers", "web", "demo"]


def python_files() -> list[Path]:
    return [p for p in PACKAGE.rglob("*.py") if "migrations" not in p.parts and "tests" not in p.parts]


def test_no_django_signals_carry_domain_logic() -> None:
    offenders = [
        str(p.relative_to(ROOT))
        for p in python_files()
        # Model signals imported or reached through the signals module (a Field's own pre_save() is no signal).
        if re.search(r"django\.db\.models\.signals|signals\.(post_save|pre_save|post_delete|pre_delete|m2m_changed)"
                     r"|^\s*(from \S+ )?import .*\b(post_save|pre_save|post_delete|pre_delete|m2m_changed)\b"
                     r"|@receiver\(", p.read_text(), re.M)
    ]
    assert offenders == []


@pytest.mark.parametrize("domain", DOMAINS)
def test_every_domain_has_a_readme(domain: str) -> None:
    assert (PACKAGE / domain / "README.md").is_file()


def test_python_modules_stay_small() -> None:
    too_long = {str(p.relative_to(ROOT)): n for p in python_files() if (n := len(p.read_text().splitlines())) > 450}
    assert too_long == {}


def test_services_take_keyword_only_arguments() -> None:
    from regulars.customers import services as customer_services
    from regulars.org import services as org_services

    public = [
        fn
        for module in (customer_services, org_services)
        for name, fn in vars(module).items()
        if inspect.isfunction(fn) and not name.startswith("_") and re.match(r"^[a-z_]+_[a-z]+$", name)
        and name.split("_")[-1] in {"create", "update", "add", "remove", "set", "clear", "archive", "revoke"}
    ]
    assert len(public) >= 15
    positional = [
        fn.__name__
        for fn in public
        if any(
            p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in inspect.signature(fn).parameters.values()
        )
    ]
    assert positional == []


def test_views_do_not_write_models_directly() -> None:
    """Pages and API handlers parse and call services; `.objects.create/update/delete` belongs in services."""
    offenders = []
    for path in python_files():
        if path.name not in {"views.py", "api.py"} and "views" not in path.parts:
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in {"create", "bulk_create", "delete", "update"}:
                inner = node.value
                if isinstance(inner, ast.Attribute) and inner.attr == "objects":
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []
