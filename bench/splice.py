"""One part's section of docs/benchmarks.md replaced in place, with its rows of the targets table and the
"Met:" / "Not met:" lines of the reading: for `--only email` or `--only orders` when the other parts have no
cached numbers in bench/out/ to rewrite the whole file from."""

from __future__ import annotations

import re

Target = tuple[str, str, bool | None]


def _verdict(ok: bool | None) -> str:
    return "not measured" if ok is None else "**met**" if ok else "**not met**"


def _table(lines: list[str]) -> tuple[int, int] | None:
    """The [start, end) line range of the targets table's rows (after its header and rule)."""
    if "## Targets" not in lines:
        return None
    at = lines.index("## Targets") + 1
    while at < len(lines) and not lines[at].startswith("|"):
        at += 1
    start = end = at + 2  # past "| target | measured | |" and "|---|…"
    while end < len(lines) and lines[end].startswith("|"):
        end += 1
    return start, end


def _reading(lines: list[str], rows: list[str]) -> None:
    """The reading's "Met:" and "Not met:" lines, computed again from the whole targets table."""
    parsed = [[cell.strip() for cell in row.strip("|").split("|")] for row in rows]
    met = [f"{name} ({value})" for name, value, verdict in parsed if verdict == "**met**"]
    missed = [f"{name} ({value})" for name, value, verdict in parsed if verdict == "**not met**"]
    wanted = ([f"- Met: {'; '.join(met)}."] if met else []) + (
        [f"- Not met: {'; '.join(missed)}."] if missed else [])
    old = [n for n, line in enumerate(lines) if line.startswith(("- Met: ", "- Not met: "))]
    if old:
        lines[old[0]:old[-1] + 1] = wanted


def splice(text: str, heading: str, section: list[str], targets: list[Target]) -> str:
    body = "\n".join(section).rstrip("\n") + "\n"
    pattern = re.compile(rf"^{re.escape(heading)}\n.*?(?=^## )", re.DOTALL | re.MULTILINE)
    if pattern.search(text):
        text = pattern.sub(lambda _: body + "\n", text, count=1)
    elif "\n## Targets\n" in text:
        text = text.replace("\n## Targets\n", "\n" + body + "\n## Targets\n", 1)
    else:
        text = text.rstrip("\n") + "\n\n" + body
    lines = text.split("\n")
    table = _table(lines)
    if table is None:
        return text
    start, end = table
    names = {name for name, _, _ in targets}
    new = {name: f"| {name} | {value} | {_verdict(ok)} |" for name, value, ok in targets}
    rows = []
    for row in lines[start:end]:
        name = row.strip("|").split("|")[0].strip()
        if name in new:
            rows.append(new.pop(name))
        elif name not in names:  # another part's row stays as it is
            rows.append(row)
    rows += list(new.values())
    lines[start:end] = rows
    _reading(lines, rows)
    return "\n".join(lines)
