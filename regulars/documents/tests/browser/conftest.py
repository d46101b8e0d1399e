"""The project's Playwright fixtures (tests/browser/conftest.py), reused for the documents browser tests."""

from tests.browser.conftest import (  # noqa: F401 — fixtures and the report hook, found by pytest by name
    _allow_orm_beside_playwright,
    browser,
    page,
    pytest_runtest_makereport,
    screenshot,
)
