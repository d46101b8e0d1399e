"""The import section of docs/benchmarks.md (see importbench.py for what is measured)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .splice import splice

TARGET_IMPORT_SECONDS = 60.0
HEADING = "## Import of a customer spreadsheet"


def target(imp: dict[str, Any] | None) -> tuple[str, str, bool | None]:
    run = (imp or {}).get("import") or {}
    seconds = run.get("seconds") if run.get("status") == "done" else None
    rows = f"{imp['rows']:,}" if imp and "rows" in imp else "1,000,000"
    return (f"Import of {rows} rows < {TARGET_IMPORT_SECONDS:.0f} s end to end",
            f"{seconds:.0f} s" if seconds is not None else "–",
            seconds < TARGET_IMPORT_SECONDS if seconds is not None else None)


def section(imp: dict[str, Any] | None) -> list[str]:
    lines = [HEADING, ""]
    if not imp:
        return [*lines, "Not measured in this run (`python -m bench --only import` measures it alone).", ""]
    if "error" in imp:
        return [*lines, f"Not available: {imp['error']}", ""]
    run, tables = imp["import"], imp["tables"]
    phases = run["phases"]
    copy_s, import_s = imp["copy_seconds"], run["seconds"]
    lines += [
        f"A generated `;`-separated UTF-8 file of {imp['rows']:,} rows ({imp['file_bytes'] / 1e6:,.0f} MB: external "
        "id, three names, one or two phones written as people write them, e-mail, birthday, branch by name, tags) "
        "imported into a freshly migrated PostgreSQL database with every index of the schema in place, end to end: "
        "the upload stored, the mapping set, the import confirmed (which counts the rows), then one real "
        f"`regulars worker` process running the chunks of {run['chunk']:,} rows until the batch is done"
        + (" and the search index is built (a bulk load, docs/adr/0014-bulk-load.md). " if run.get("bulk_load")
           else ". ") +
        "The baseline is a bare `COPY` of the same file into an unlogged table of its ten text columns with the "
        "four indexes an import matches on (external id, both phones, e-mail), measured in the same run.",
        "",
        "| | seconds | rows/s |",
        "|---|---:|---:|",
        f"| bare `COPY` of the file | {copy_s:.1f} | {imp['rows'] / copy_s:,.0f} |",
        f"| import end to end | {import_s:.1f} | {run['rows_per_second']:,.0f} |",
        f"| **import ÷ COPY** | {import_s / copy_s:.1f}× | {copy_s / import_s:.2f}× |",
        "",
        f"Phases: upload {phases['upload']:.1f} s, mapping and confirm (counting the rows) {phases['confirm']:.1f} s, "
        f"the worker {phases['worker']:.1f} s (of which building the search index "
        f"{phases.get('indexing', 0):.1f} s). Outcome: {run['status']}; created {run['created']:,}, "
        f"updated {run['updated']:,}, skipped {run['skipped']:,}, rejected {run['rejected']:,}; tables afterwards: "
        f"{tables['customers']:,} customers, {tables['contacts']:,} contact points, "
        f"{tables['external_ids']:,} external ids.",
        "",
    ]
    reading = list(imp.get("reading") or [])
    floor = sum((imp.get("floor") or {}).values())
    if floor and run.get("seconds"):
        verdict = (f"above the {TARGET_IMPORT_SECONDS:.0f}-second target: on this machine no importer can store "
                   "these rows with this schema's indexes and foreign keys that fast"
                   if floor >= TARGET_IMPORT_SECONDS else f"under the {TARGET_IMPORT_SECONDS:.0f}-second target")
        reading.append(
            f"The floor ({floor:.0f} s) is {verdict}; the import takes {run['seconds'] / floor:.1f}× the floor, the "
            f"other {max(run['seconds'] - floor, 0):.0f} s being its own work (parsing and normalising, matching, "
            "building the rows) that the database's share does not hide.")
    if reading:
        lines += [f"- {line}" for line in reading]
        lines.append("")
    return lines


def update(path: Path, imp: dict[str, Any] | None) -> Path:
    """This section and its target row replaced in the report, the rest left as it is (bench/splice.py)."""
    path.write_text(splice(path.read_text(encoding="utf-8"), HEADING, section(imp), [target(imp)]),
                    encoding="utf-8")
    return path
