"""The targets of issue 13, and the figures table of bench/README.md."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

# name → (what is compared, the limit): "p95"/"p50" in ms (MB for RSS), "ratio" to the floor.
TARGETS: dict[str, tuple[str, float]] = {
    "switch_learner": ("p95", 16.0),
    "switch_learner_query_and_build": ("ratio", 1.5),
    "editor_open": ("p95", 40.0),
    "pdf_one_bilan": ("p95", 25.0),
    "pdf_class_30": ("p50", 1000.0),
    "import_100k_results": ("ratio", 1.5),
    "class_overview": ("p95", 30.0),
    "startup": ("p50", 1000.0),
    "rss_with_database_open": ("p50", 250.0),
}
TARGET_SCALES = {"establishment", "region"}
"""The targets hold at establishment scale (and the region's dashboard and overview)."""
BEGIN, END = "<!-- figures:begin -->", "<!-- figures:end -->"


def verdict(entry: dict[str, Any]) -> str:
    target = TARGETS.get(entry["name"])
    if target is None or entry["scale"] not in TARGET_SCALES:
        return ""
    what, limit = target
    value = entry["ratio_to_floor"] if what == "ratio" else entry[f"{what}_ms"]
    if value is None:
        return ""
    sign = "≤" if value <= limit else ">"
    mark = "met" if value <= limit else "**missed**"
    return f"{what} {value:g} {sign} {limit:g}: {mark}"


def table(results: dict[str, Any]) -> str:
    machine = results["machine"]
    lines = [
        f"Last run: {machine['date']}, commit {machine['commit']}, {machine['cpus']} CPUs, "
        f"{machine['processor']}, {machine['platform']}, Python {machine['python']}.",
        "",
        "| operation | scale | back-end | p50 | p95 | floor | ratio | target |",
        "|---|---|---|---|---|---|---|---|",
    ]
    order = {name: index for index, name in enumerate(TARGETS)}
    scales = {"class": 0, "establishment": 1, "region": 2}
    for entry in sorted(
        results["results"],
        key=lambda e: (
            order.get(e["name"], 99),
            e["name"],
            scales.get(e["scale"], 9),
            e["backend"],
        ),
    ):
        unit = " MB" if entry["name"].startswith("rss") else " ms"
        floor = "—" if entry["floor_ms"] is None else f"{entry['floor_ms']:g}{unit}"
        ratio = "—" if entry["ratio_to_floor"] is None else f"{entry['ratio_to_floor']:g}"
        lines.append(
            f"| {entry['name']} | {entry['scale']} | {entry['backend']} "
            f"| {entry['p50_ms']:g}{unit} | {entry['p95_ms']:g}{unit} | {floor} | {ratio} "
            f"| {verdict(entry)} |"
        )
    lines.append("")
    lines.append("What each figure measures, and its floor:")
    lines.append("")
    seen = set()
    for entry in results["results"]:
        if entry["name"] not in seen and entry.get("note"):
            seen.add(entry["name"])
            lines.append(f"- **{entry['name']}**: {entry['note']}")
    if results.get("generated"):
        lines.append("")
        lines.append("Databases generated in this run: " + "; ".join(results["generated"]) + ".")
    return "\n".join(lines)


def update_readme(path: Path, results: dict[str, Any]) -> None:
    """Replace the text between the figures markers (added at the end if missing)."""
    text = path.read_text("utf-8") if path.exists() else "# Benchmarks\n"
    block = f"{BEGIN}\n{table(results)}\n{END}"
    if BEGIN in text and END in text:
        text = re.sub(re.escape(BEGIN) + ".*?" + re.escape(END), lambda _: block, text, flags=re.S)
    else:
        text = text.rstrip("\n") + "\n\n## Latest figures\n\n" + block + "\n"
    path.write_text(text, "utf-8")
