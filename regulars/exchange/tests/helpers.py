"""Shared pieces of the exchange tests: the messy file, uploading it, and driving the worker's jobs."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from conftest import World
from regulars.customers.models import Consent, ContactPoint, Customer, ExternalRef, TimelineEntry
from regulars.customers.services import customer_create
from regulars.platform.jobs import job_run, jobs_claim
from regulars.platform.models import Job

HEADER = "Код;Фамилия;Имя;Телефон;E-mail;Дата рождения;Филиал;Теги;Согласие SMS"
ROWS = [
    "A-100;Иванов;Иван;8 916 000-00-01;;01.02.1980;Branch A;vip;да",  # 2: existing by external id → updated
    "A-101;Петров;Пётр;+7 (916) 000-00-02;;;;;",  # 3: existing by phone → updated
    "A-102;Сидорова;Анна;;OLD@example.com;1990-05-06;branch b;;",  # 4: existing by e-mail → updated
    "A-103;Новиков;Олег;89160000010;;;;;",  # 5: new → created
    ";Новиков;Олег;+79160000010;;;;;",  # 6: the same phone as row 5 → one card, nothing new → skipped
    "A-104;Кузнецова;Мария;9160000011;maria@example.com;15/03/1985;;new, vip;нет",  # 7: created
    "A-105;Плохой;Телефон;12345;;;;;",  # 8: rejected: phone
    "A-106;Плохая;Дата;+79160000012;;31.02.1990;;;",  # 9: rejected: date
    "A-107;Неизвестный;Филиал;+79160000013;;;Филиал Х;;",  # 10: rejected: branch
    ";;;;;;;;",  # 11: blank
    "A-104;Кузнецова;Мария;;maria@example.com;;;;",  # 12: the same card as row 7 → skipped
]
MAPPING = {"0": "external_id", "1": "last_name", "2": "first_name", "3": "phone", "4": "email", "5": "birthday",
           "6": "branch", "7": "tags", "8": "consent:sms:marketing"}


def messy_csv() -> bytes:
    return ("\r\n".join([HEADER, *ROWS]) + "\r\n").encode("cp1251")


def existing_customers(world: World) -> dict[str, Customer]:
    actor = world.actor(world.admin)
    by_ext = customer_create(actor=actor, last_name="Старый", phones=["+79160000001"])
    ExternalRef.objects.create(customer=by_ext, source="erp", value="A-100", created_at=by_ext.created_at)
    by_phone = customer_create(actor=actor, last_name="Телефонов", phones=["+79160000002"])
    by_email = customer_create(actor=actor, last_name="Почтова", emails=["old@example.com"])
    return {"ext": by_ext, "phone": by_phone, "email": by_email}


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def run_jobs(limit: int = 1000) -> int:
    """Play the worker: claim and run due jobs until none is left. Returns how many ran."""
    ran = 0
    while ran < limit:
        jobs = jobs_claim(worker_id="test-worker", limit=10)
        if not jobs:
            return ran
        for job in jobs:
            job_run(job, worker_id="test-worker")
            ran += 1
    return ran


def db_counts() -> dict[str, int]:
    return {
        "customers": Customer.objects.count(), "contacts": ContactPoint.objects.count(),
        "refs": ExternalRef.objects.count(), "consents": Consent.objects.count(),
        "tags": Customer.tags.through.objects.count(), "timeline": TimelineEntry.objects.count(),
        "jobs_failed": Job.objects.filter(status=Job.Status.FAILED).count(),
    }
