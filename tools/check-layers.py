#!/usr/bin/env python3
"""Checks that every #include "forgedb/..." in src/forgedb points down the layer map.

The layers (docs/architecture.md): core -> model -> store / sources -> queue / http -> forge ->
forges/<name> -> contrib -> web/{api,ui,load} -> app. A forge folder sees the engine and forge/,
never another forge; contrib and web/ reach forges only through forge/; app/ is the one place
that names every forge. Exit status 1 lists each include that breaks the map.
"""
import pathlib
import re
import sys

ENGINE = {"core", "model", "store", "sources", "queue", "http"}
ALLOWED = {
    "core": set(),
    "model": {"core"},
    "store": {"core", "model"},
    "sources": {"core"},
    "queue": {"core", "model", "store"},
    "http": {"core"},
    "forge": ENGINE,
    "forges/*": ENGINE | {"forge"},
    "contrib": {"core", "model", "store", "queue", "forge"},
    "web/api": {"core", "http", "contrib"},
    "web/ui": {"core", "http", "contrib"},
    "web/load": {"core", "model", "store", "queue", "http", "forge"},
    "app": None,  # the composition root may include anything
}

INCLUDE = re.compile(r'^\s*#\s*include\s+"forgedb/([^"]+)"', re.M)


def unit_of(rel: str) -> str:
    """The folder unit of a path below src/forgedb: "core", "forges/github", "web/ui", ..."""
    parts = rel.split("/")
    if parts[0] in ("forges", "web") and len(parts) > 2:
        return parts[0] + "/" + parts[1]
    return parts[0]


def rule_of(unit: str) -> str:
    return "forges/*" if unit.startswith("forges/") else unit


def main() -> int:
    root = pathlib.Path(__file__).resolve().parent.parent / "src" / "forgedb"
    problems = []
    for path in sorted(root.rglob("*")):
        if path.suffix not in (".cpp", ".hpp"):
            continue
        rel = path.relative_to(root).as_posix()
        unit = unit_of(rel)
        rule = rule_of(unit)
        if rule not in ALLOWED:
            problems.append(f"{rel}: folder '{unit}' is not in the layer map")
            continue
        allowed = ALLOWED[rule]
        if allowed is None:
            continue
        for target in INCLUDE.findall(path.read_text(encoding="utf-8")):
            to = unit_of(target)
            if to == unit or to in allowed:
                continue
            problems.append(f"{rel}: includes forgedb/{target} ({unit} may not depend on {to})")
    for p in problems:
        print(p)
    if problems:
        print(f"{len(problems)} include(s) break the layer map", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
