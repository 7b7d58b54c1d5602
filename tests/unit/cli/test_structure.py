"""bot/cli: one module per command group, no import cycles, no import hidden in a function unless it says why."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
CLI = ROOT / "bot" / "cli"


def cli_imports() -> dict[str, set[str]]:
    """bot.cli module → the bot.cli modules it imports (anywhere in the file)."""
    graph: dict[str, set[str]] = {}
    for path in CLI.glob("*.py"):
        name = f"bot.cli.{path.stem}" if path.stem != "__init__" else "bot.cli"
        found = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("bot.cli"):
                found |= {node.module} if node.module != "bot.cli" else {f"bot.cli.{a.name}" for a in node.names}
            elif isinstance(node, ast.Import):
                found |= {a.name for a in node.names if a.name.startswith("bot.cli")}
        graph[name] = found
    return graph


def test_no_cli_module_imports_one_that_imports_it_back():
    graph = cli_imports()

    def reachable(start: str) -> set[str]:
        seen, todo = set(), [start]
        while todo:
            for nxt in graph.get(todo.pop(), ()):
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return seen

    assert [m for m in graph if m in reachable(m)] == []
    assert graph["bot.cli.common"] == set()  # the groups' shared base imports none of them
    assert {m for m in graph if "bot.cli.main" in graph[m]} == set()


def test_imports_inside_functions_are_deliberate():
    for path in CLI.glob("*.py"):
        lines = path.read_text(encoding="utf-8").splitlines()
        for node in ast.walk(ast.parse("\n".join(lines))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for inner in ast.walk(node):
                    if isinstance(inner, (ast.Import, ast.ImportFrom)):
                        line = lines[inner.lineno - 1]
                        assert "# noqa: PLC0415 - " in line, f"{path.name}:{inner.lineno}: {line.strip()}"


def test_every_group_registers_itself():
    from bot.cli import main

    names = {c.name for c in main.cli.registered_commands} | {g.name for g in main.cli.registered_groups}
    assert {"launch", "run", "tick", "export", "backup", "purge", "forget-user", "db", "demo", "retro", "lessons",
            "template", "usage", "report"} <= names
