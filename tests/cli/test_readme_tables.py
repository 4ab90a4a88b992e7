"""The README's command table lists every command with every option, and its exit-code
table is `cli.EXIT_CODES`, row for row."""

from __future__ import annotations

import argparse
import itertools
import re
from pathlib import Path

import pytest

from search_service import cli

README = Path(__file__).resolve().parents[2] / "README.md"


def table_under(heading: str) -> list[list[str]]:
    """The cells of each body row of the first table after `heading` (`\\|` unescaped)."""
    lines = README.read_text(encoding="utf-8").splitlines()
    start = lines.index(heading)
    rows: list[list[str]] = []
    for line in lines[start + 1 :]:
        if not line.startswith("|"):
            if rows:
                break
            continue
        cells = [cell.strip().replace("\\|", "|") for cell in re.split(r"(?<!\\)\|", line)[1:-1]]
        if set("".join(cells)) <= {"-", ":"}:
            continue
        rows.append(cells)
    return rows[1:]  # the header row


def leaf_commands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    """Every command's parser, by its name ("index build")."""
    found: dict[str, argparse.ArgumentParser] = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                name = sub.get_default("command_name")
                if name is not None:
                    found[name] = sub
                found.update(leaf_commands(sub))
    return found


def documented_commands() -> dict[str, str]:
    """README's command table: command name → the usage written in its first cell."""
    commands = {}
    for usage, _ in table_under("## Commands"):
        words = usage.strip("`").split()
        assert words[0] == "search-service", usage
        name = itertools.takewhile(lambda word: re.fullmatch("[a-z]+", word), words[1:])
        commands[" ".join(name)] = usage
    return commands


def test_the_command_table_lists_every_command() -> None:
    assert sorted(documented_commands()) == sorted(leaf_commands(cli.build_parser()))


@pytest.mark.parametrize("command", sorted(leaf_commands(cli.build_parser())))
def test_the_command_table_lists_every_option_of_each_command(command: str) -> None:
    parser = leaf_commands(cli.build_parser())[command]
    options = {
        option
        for action in parser._actions
        for option in action.option_strings
        if option.startswith("--") and option != "--help"
    }
    usage = documented_commands()[command]

    assert set(re.findall(r"--[a-z-]+", usage)) == options


def test_the_exit_code_table_is_the_one_in_the_cli() -> None:
    rows = table_under("### Exit codes")
    expected = [
        [
            str(exit_code.code),
            exit_code.meaning,
            "every command"
            if exit_code.commands is None
            else ", ".join(f"`{command}`" for command in exit_code.commands),
        ]
        for exit_code in cli.EXIT_CODES.values()
    ]

    assert rows == expected


def test_the_exit_code_table_names_only_commands_that_exist() -> None:
    commands = set(leaf_commands(cli.build_parser()))
    for exit_code in cli.EXIT_CODES.values():
        assert set(exit_code.commands or ()) <= commands
