"""The import benchmark's input: a customer spreadsheet as businesses export it, and a bare COPY of it (the baseline).

The file is what an ERP or an old CRM hands over: `;`-separated UTF-8 with Russian headers, phones written the way
people write them (`8 (9xx) …`, `+7 9xx …`), dates as dd.mm.yyyy, a branch by name, comma-separated tags and an
external id. Rows are deterministic for a seed, phones and e-mails unique (they are taken from a block of the
phone space that the 1,000,000-customer lookup database does not use).
"""

from __future__ import annotations

import csv
import random
import time
from pathlib import Path

import psycopg

from . import config
from .data import _FEMININE_SUFFIX, FEMALE_FIRST, LAST, MAIL_DOMAINS, MALE_FIRST, PATRONYMIC, phone_for

HEADER = ["Код клиента", "Фамилия", "Имя", "Отчество", "Телефон", "Телефон 2", "E-mail", "Дата рождения", "Филиал",
          "Теги"]
BRANCHES = ["Центр", "Север", "Юг"]
TAGS = ["", "", "vip", "опт", "vip, опт", "постоянный"]
# Phone indexes from here on are not used by the lookup database (2 phones × 1,000,000 customers).
PHONE_OFFSET = 50_000_000


def _written(e164: str, style: int) -> str:
    national = e164[2:]
    if style == 0:
        return f"8 ({national[:3]}) {national[3:6]}-{national[6:8]}-{national[8:]}"
    if style == 1:
        return f"+7 {national[:3]} {national[3:6]} {national[6:8]} {national[8:]}"
    return "7" + national


def write(path: Path, rows: int, *, seed: int = config.SEED) -> Path:
    """Write the spreadsheet (once per row count and seed; reused when it exists)."""
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    partial = path.with_suffix(".partial")
    with partial.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, delimiter=";")
        writer.writerow(HEADER)
        for i in range(rows):
            female = rng.random() < 0.55
            first, first_lat = rng.choice(FEMALE_FIRST if female else MALE_FIRST)
            last, last_lat = rng.choice(LAST)
            stem, suffix = rng.choice(PATRONYMIC)
            if female:
                last, last_lat, suffix = last + "а", last_lat + "a", _FEMININE_SUFFIX[suffix]
            phones = [phone_for(PHONE_OFFSET + 2 * i), phone_for(PHONE_OFFSET + 2 * i + 1)]
            birthday = f"{rng.randint(1, 28):02d}.{rng.randint(1, 12):02d}.{rng.randint(1950, 2006)}"
            writer.writerow([
                f"ERP-{i + 1:07d}", last, first, stem + suffix,
                _written(phones[0], i % 3), _written(phones[1], (i + 1) % 3) if rng.random() < 0.5 else "",
                f"{first_lat}.{last_lat}.{i}@{MAIL_DOMAINS[i % len(MAIL_DOMAINS)]}",
                birthday if rng.random() < 0.8 else "", BRANCHES[i % len(BRANCHES)], rng.choice(TAGS),
            ])
    partial.rename(path)
    return path


def copy_baseline(db_url: str, path: Path) -> float:
    """Seconds for a bare COPY of the file into a table of its columns, with the indexes an import needs for
    matching (external id, both phones, e-mail): the floor any importer of this file stands on."""
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_import_copy")
        conn.execute(
            "CREATE UNLOGGED TABLE bench_import_copy (external_id text, last_name text, first_name text, "
            "middle_name text, phone text, phone2 text, email text, birthday text, branch text, tags text)"
        )
        conn.execute("CREATE UNIQUE INDEX ON bench_import_copy (external_id)")
        conn.execute("CREATE INDEX ON bench_import_copy (phone)")
        conn.execute("CREATE INDEX ON bench_import_copy (phone2)")
        conn.execute("CREATE INDEX ON bench_import_copy (email)")
        started = time.perf_counter()
        with conn.cursor().copy(
            "COPY bench_import_copy FROM STDIN (FORMAT csv, DELIMITER ';', HEADER true)"
        ) as copy, path.open("rb") as source:
            while chunk := source.read(1 << 20):
                copy.write(chunk)
        seconds = time.perf_counter() - started
        conn.execute("DROP TABLE bench_import_copy")
    return seconds
