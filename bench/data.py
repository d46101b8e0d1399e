"""Deterministic fake customers: the same seed and count always give the same rows, phones and e-mails.

Rows are yielded as COPY text lines (tab-separated, \\N for NULL) so that 7 million of them stream to PostgreSQL
without ever being held in memory. Values are built from fixed word lists, so none contains a tab, newline or
backslash and no COPY escaping is needed.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from regulars.customers.search import search_text_for

# Bump when the rows change, so that a database built by older code is rebuilt instead of reused.
DATA_VERSION = 2

# Phones are "+79" followed by 9 digits. Index k (two per customer) maps to those digits through
# k -> (A*k + B) mod M; A is a prime that does not divide M, so the map is a bijection: every phone is unique, and
# neighbouring customers get unrelated numbers, as in real life (no accidental locality in the index).
# The block +79300…… is skipped: phonenumbers' metadata has holes there, and the app rejects invalid numbers.
_PHONE_SPACE = 999_000_000
_PHONE_A = 982_451_653
_PHONE_B = 123_456_789
_SKIP_FROM, _SKIP_SIZE = 300_000_000, 1_000_000


def phone_for(k: int) -> str:
    digits = (_PHONE_A * k + _PHONE_B) % _PHONE_SPACE
    if digits >= _SKIP_FROM:
        digits += _SKIP_SIZE
    return f"+79{digits:09d}"


def phones_of(index: int, per_customer: int = 2) -> list[str]:
    """The phones of the customer at 0-based `index`."""
    return [phone_for(index * per_customer + j) for j in range(per_customer)]


def sample_phones(customers: int, n: int, *, seed: int, per_customer: int = 2) -> list[str]:
    """`n` random phones (E.164) of the first `customers` customers, without touching the database."""
    rng = random.Random(seed)
    return [phone_for(rng.randrange(customers * per_customer)) for _ in range(n)]


def trunk_form(e164: str) -> str:
    """'+79123456789' -> '89123456789': how Russians usually type a mobile number."""
    return "8" + e164[2:]


# (Cyrillic, Latin) pairs: the Latin form makes plausible e-mail addresses.
MALE_FIRST = [
    ("Александр", "alexander"), ("Алексей", "alexey"), ("Андрей", "andrey"), ("Антон", "anton"), ("Артём", "artem"),
    ("Борис", "boris"), ("Вадим", "vadim"), ("Валерий", "valery"), ("Василий", "vasily"), ("Виктор", "viktor"),
    ("Владимир", "vladimir"), ("Вячеслав", "vyacheslav"), ("Геннадий", "gennady"), ("Георгий", "georgy"),
    ("Григорий", "grigory"), ("Денис", "denis"), ("Дмитрий", "dmitry"), ("Евгений", "evgeny"), ("Егор", "egor"),
    ("Иван", "ivan"), ("Игорь", "igor"), ("Илья", "ilya"), ("Кирилл", "kirill"), ("Константин", "konstantin"),
    ("Леонид", "leonid"), ("Максим", "maxim"), ("Михаил", "mikhail"), ("Никита", "nikita"), ("Николай", "nikolay"),
    ("Олег", "oleg"), ("Павел", "pavel"), ("Пётр", "petr"), ("Роман", "roman"), ("Руслан", "ruslan"),
    ("Сергей", "sergey"), ("Станислав", "stanislav"), ("Степан", "stepan"), ("Тимур", "timur"), ("Фёдор", "fedor"),
    ("Юрий", "yury"),
]
FEMALE_FIRST = [
    ("Алёна", "alena"), ("Алина", "alina"), ("Алла", "alla"), ("Анастасия", "anastasia"), ("Анна", "anna"),
    ("Валентина", "valentina"), ("Валерия", "valeria"), ("Вера", "vera"), ("Виктория", "viktoria"),
    ("Галина", "galina"), ("Дарья", "darya"), ("Евгения", "evgenia"), ("Екатерина", "ekaterina"), ("Елена", "elena"),
    ("Елизавета", "elizaveta"), ("Жанна", "zhanna"), ("Зоя", "zoya"), ("Инна", "inna"), ("Ирина", "irina"),
    ("Карина", "karina"), ("Кристина", "kristina"), ("Ксения", "ksenia"), ("Лариса", "larisa"), ("Любовь", "lubov"),
    ("Людмила", "ludmila"), ("Марина", "marina"), ("Мария", "maria"), ("Надежда", "nadezhda"), ("Наталья", "natalia"),
    ("Нина", "nina"), ("Оксана", "oksana"), ("Ольга", "olga"), ("Полина", "polina"), ("Светлана", "svetlana"),
    ("София", "sofia"), ("Татьяна", "tatiana"), ("Ульяна", "ulyana"), ("Юлия", "yulia"), ("Яна", "yana"),
]
# Surnames whose feminine form adds "а".
LAST = [
    ("Иванов", "ivanov"), ("Смирнов", "smirnov"), ("Кузнецов", "kuznetsov"), ("Попов", "popov"),
    ("Васильев", "vasiliev"), ("Петров", "petrov"), ("Соколов", "sokolov"), ("Михайлов", "mikhailov"),
    ("Новиков", "novikov"), ("Фёдоров", "fedorov"), ("Морозов", "morozov"), ("Волков", "volkov"),
    ("Алексеев", "alexeev"), ("Лебедев", "lebedev"), ("Семёнов", "semenov"), ("Егоров", "egorov"),
    ("Павлов", "pavlov"), ("Козлов", "kozlov"), ("Степанов", "stepanov"), ("Николаев", "nikolaev"),
    ("Орлов", "orlov"), ("Андреев", "andreev"), ("Макаров", "makarov"), ("Никитин", "nikitin"),
    ("Захаров", "zakharov"), ("Зайцев", "zaitsev"), ("Соловьёв", "soloviev"), ("Борисов", "borisov"),
    ("Яковлев", "yakovlev"), ("Григорьев", "grigoriev"), ("Романов", "romanov"), ("Воробьёв", "vorobiev"),
    ("Сергеев", "sergeev"), ("Кузьмин", "kuzmin"), ("Фролов", "frolov"), ("Александров", "alexandrov"),
    ("Дмитриев", "dmitriev"), ("Королёв", "korolev"), ("Гусев", "gusev"), ("Киселёв", "kiselev"),
    ("Ильин", "ilyin"), ("Максимов", "maximov"), ("Поляков", "polyakov"), ("Сорокин", "sorokin"),
    ("Виноградов", "vinogradov"), ("Ковалёв", "kovalev"), ("Белов", "belov"), ("Медведев", "medvedev"),
    ("Антонов", "antonov"), ("Тарасов", "tarasov"), ("Жуков", "zhukov"), ("Баранов", "baranov"),
    ("Филиппов", "filippov"), ("Комаров", "komarov"), ("Давыдов", "davydov"), ("Беляев", "belyaev"),
    ("Герасимов", "gerasimov"), ("Богданов", "bogdanov"), ("Осипов", "osipov"), ("Сидоров", "sidorov"),
]
# Patronymic stems: masculine adds "ович"/"евич", feminine "овна"/"евна".
PATRONYMIC = [
    ("Александр", "ович"), ("Алексе", "евич"), ("Андре", "евич"), ("Борис", "ович"), ("Васильев", "ич"),
    ("Виктор", "ович"), ("Владимир", "ович"), ("Дмитри", "евич"), ("Евгень", "евич"), ("Иван", "ович"),
    ("Игор", "евич"), ("Михайл", "ович"), ("Никола", "евич"), ("Олег", "ович"), ("Павл", "ович"),
    ("Петр", "ович"), ("Серге", "евич"), ("Юрь", "евич"),
]
_FEMININE_SUFFIX = {"ович": "овна", "евич": "евна", "ич": "на"}
MAIL_DOMAINS = ["mail.example", "inbox.example", "post.example", "yandex.example"]
CHANNEL_SETS = ['["sms"]', '["telegram", "sms"]', '["whatsapp", "sms"]', '["email", "sms"]', "[]"]
TIMELINE_KINDS = [
    ("visit.completed", "Визит завершён"),
    ("order.status_changed", "Заказ выдан"),
    ("message.sent", "Отправлено SMS"),
    ("call.missed", "Пропущенный звонок"),
    ("review.created", "Оставлен отзыв"),
]

# Cards are created over ~5 years up to a fixed date, oldest first, so created_at rises with the id (as it would).
_END = datetime(2026, 11, 1, tzinfo=UTC)
_SPAN = timedelta(days=5 * 365)


def _ts(value: datetime) -> str:
    return value.isoformat(sep=" ")


@dataclass(frozen=True)
class Org:
    """Ids of the rows made through the ORM that the bulk rows point at."""

    branch_ids: list[int]
    staff_ids: list[int]


class Rows:
    """COPY lines for `count` customers, their contacts and timeline. Customer ids are 1..count."""

    CUSTOMER_COLUMNS = (
        "id", "first_name", "last_name", "middle_name", "birthday", "language", "time_zone", "preferred_channels",
        "custom", "status", "search_text", "created_at", "updated_at", "created_by_id", "home_branch_id",
        "responsible_id",
    )
    CONTACT_COLUMNS = ("id", "customer_id", "kind", "value", "label", "is_primary", "created_at")
    TIMELINE_COLUMNS = (
        "id", "customer_id", "kind", "occurred_at", "summary", "data", "branch_id", "actor_label", "event_id",
    )

    def __init__(self, count: int, org: Org, *, seed: int, phones: int = 2, timeline: int = 3) -> None:
        self.count = count
        self.org = org
        self.seed = seed
        self.phones = phones
        self.timeline = timeline

    def created_at(self, index: int) -> datetime:
        return _END - _SPAN + _SPAN * (index / self.count)

    def _person(self, rng: random.Random) -> tuple[str, str, str, str]:
        """first, last, middle (Cyrillic) and a Latin stem for the e-mail."""
        female = rng.random() < 0.55
        first, first_lat = rng.choice(FEMALE_FIRST if female else MALE_FIRST)
        last, last_lat = rng.choice(LAST)
        stem, suffix = rng.choice(PATRONYMIC)
        if female:
            last, last_lat = last + "а", last_lat + "a"
            suffix = _FEMININE_SUFFIX[suffix]
        middle = stem + suffix if rng.random() < 0.8 else ""
        return first, last, middle, f"{first_lat}.{last_lat}"

    def customers_and_contacts(self) -> Iterator[tuple[str, list[str]]]:
        """(customer line, its contact lines) for every customer, in id order."""
        rng = random.Random(self.seed)
        branches, staff = self.org.branch_ids, self.org.staff_ids
        contact_id = 0
        for index in range(self.count):
            first, last, middle, latin = self._person(rng)
            phones = phones_of(index, self.phones)
            email = f"{latin}{index}@{MAIL_DOMAINS[index % len(MAIL_DOMAINS)]}"
            created = self.created_at(index)
            created_s = _ts(created)
            birthday = (
                f"{rng.randint(1950, 2006)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
                if rng.random() < 0.7 else "\\N"
            )
            search = search_text_for(names=(last, first, middle), phones=phones, emails=[email])
            cid = index + 1
            customer = "\t".join((
                str(cid), first, last, middle, birthday, "ru", "Europe/Moscow", rng.choice(CHANNEL_SETS), "{}",
                "active", search, created_s, _ts(created + timedelta(days=rng.randint(0, 90))), "\\N",
                str(branches[index % len(branches)]),
                str(rng.choice(staff)) if rng.random() < 0.5 else "\\N",
            ))
            contacts = []
            for j, phone in enumerate(phones):
                contact_id += 1
                contacts.append(
                    f"{contact_id}\t{cid}\tphone\t{phone}\t{'mobile' if j == 0 else 'work'}\t{'t' if j == 0 else 'f'}"
                    f"\t{created_s}"
                )
            contact_id += 1
            contacts.append(f"{contact_id}\t{cid}\temail\t{email}\t\tt\t{created_s}")
            yield customer, contacts

    def timeline_lines(self) -> Iterator[str]:
        """`timeline` entries per customer: the registration, then later events."""
        rng = random.Random(self.seed + 1)
        branches = self.org.branch_ids
        entry_id = 0
        for index in range(self.count):
            cid = index + 1
            at = self.created_at(index)
            branch = branches[index % len(branches)]
            for n in range(self.timeline):
                entry_id += 1
                if n == 0:
                    kind, summary, data = "customer.registered", "Карточка создана", '{"source": "import"}'
                else:
                    at += timedelta(hours=rng.randint(1, 24 * 120))
                    kind, summary = rng.choice(TIMELINE_KINDS)
                    data = json.dumps({"amount": rng.randint(500, 50000)})
                yield f"{entry_id}\t{cid}\t{kind}\t{_ts(at)}\t{summary}\t{data}\t{branch}\tbench\t\\N"
