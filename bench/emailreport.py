"""The e-mail dispatch section of docs/benchmarks.md (see emailbench.py for what is measured)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .splice import splice

TARGET_MESSAGES_PER_SECOND = 1000.0
HEADING = "## E-mail dispatch"


def target(mail: dict[str, Any] | None) -> tuple[str, str, bool | None]:
    rate = mail["messages"] / mail["dispatch_seconds"] if mail and "dispatch_seconds" in mail else None
    return (f"E-mail dispatch ≥ {TARGET_MESSAGES_PER_SECOND:,.0f} messages/s",
            f"{rate:,.0f} /s" if rate is not None else "–",
            rate >= TARGET_MESSAGES_PER_SECOND if rate is not None else None)


def section(mail: dict[str, Any] | None) -> list[str]:
    lines = [HEADING, ""]
    if not mail:
        return [*lines, "Not measured in this run (`python -m bench --only email` measures it alone).", ""]
    if "error" in mail:
        return [*lines, f"Not available: {mail['error']}", ""]
    n = mail["messages"]
    outcome = ", ".join(f"{count:,} {status}" for status, count in mail["statuses"].items())
    bare, queue, dispatch = mail["baseline_seconds"], mail["queue_seconds"], mail["dispatch_seconds"]
    lines += [
        f"{n:,} service e-mails to {n:,} customers, queued one by one through `message_send` (rendering, the "
        f"idempotency key, the row), then sent by {mail['workers']} real `regulars worker` processes to a local "
        "SMTP sink (`bench/smtpsink.py`, its own process, offering PIPELINING as Postfix does), with all the "
        "bookkeeping of a real send: the leased claim, the rules checked again (deadline, blacklist, consent, "
        "address, provider, quiet hours, caps), composing the message, the SMTP conversation, the outcome and the "
        "`message.sent` event with its timeline entry. The workers are started first and the messages then fall "
        "due all at once, so dispatch time counts no process start-up. The baseline is a bare smtplib loop "
        "(`sendmail`, one command at a time) over one connection sending the same number of prebuilt messages to "
        "the same sink.",
        "",
        "| | seconds | messages/s |",
        "|---|---:|---:|",
        f"| bare smtplib loop, prebuilt messages | {bare:.2f} | {n / bare:,.0f} |",
        f"| queueing through `message_send` | {queue:.1f} | {n / queue:,.0f} |",
        f"| dispatch by the workers | {dispatch:.1f} | {n / dispatch:,.0f} |",
        f"| **dispatch ÷ smtplib** | {dispatch / bare:.1f}× | {bare / dispatch:.2f}× |",
        "",
        f"Outcome: {outcome}; the sink received {mail['received_by_sink']:,}; ambiguous {mail['ambiguous']}.",
        "",
        *([f"Measured {mail['date']} on {mail['cores']} cores (load average at the start "
           f"{' '.join(map(str, mail['load_at_start']))}: the machine is shared), by `python -m bench --only email` "
           f"(part of `make bench`)."] if "date" in mail else []),
        "",
    ]
    return lines


def update(path: Path, mail: dict[str, Any] | None) -> Path:
    """This section and its target row replaced in the report, the rest left as it is (bench/splice.py)."""
    path.write_text(splice(path.read_text(encoding="utf-8"), HEADING, section(mail), [target(mail)]),
                    encoding="utf-8")
    return path
