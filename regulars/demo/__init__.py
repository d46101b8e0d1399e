"""Demo data: a deterministic auto-service network (`regulars demo`)."""

DEMO_PASSWORD = "regulars-demo-2026"  # noqa: S105 - a published demo password, printed on start

# (login, password, who) — printed by `regulars run`.
LOGINS: list[tuple[str, str, str]] = [
    ("admin", DEMO_PASSWORD, "Owner / administrator"),
    ("manager1", DEMO_PASSWORD, "Branch manager"),
    ("operator", DEMO_PASSWORD, "Operator"),
    ("master1", DEMO_PASSWORD, "Master-consultant"),
    ("marketer", DEMO_PASSWORD, "Marketer"),
]
