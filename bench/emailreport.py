"""The e-mail dispatch section of docs/benchmarks.md (see emailbench.py for what is measured)."""

from __future__ import annotations

from typing import Any

TARGET_MESSAGES_PER_SECOND = 1000.0


def target(mail: dict[str, Any] | None) -> tuple[str, str, bool | None]:
    rate = mail["messages"] / mail["dispatch_seconds"] if mail and "dispatch_seconds" in mail else None
    return (f"E-mail dispatch ≥ {TARGET_MESSAGES_PER_SECOND:,.0f} messages/s",
            f"{rate:,.0f} /s" if rate is not None else "–",
            rate >= TARGET_MESSAGES_PER_SECOND if rate is not None else None)


def section(mail: dict[str, Any] | None) -> list[str]:
    lines = ["## E-mail dispatch", ""]
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
        "SMTP sink (`bench/smtpsink.py`, its own process), with all the bookkeeping of a real send: the leased claim, "
        "the rules checked again (deadline, blacklist, consent, address, provider, quiet hours), the SMTP "
        "conversation, the outcome and the `message.sent` event with its timeline entry. The baseline is a bare "
        "smtplib loop over one connection sending the same number of prebuilt messages to the same sink.",
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
    ]
    return lines
