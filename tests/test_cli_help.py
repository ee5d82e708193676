"""The --help texts: every command and group has a complete one-line summary (click would cut a
longer first sentence at 45 characters with "..."), and every option says the format of the
dates and times it takes and whether it may be repeated."""
from __future__ import annotations

import click
import pytest

from wikicourse.cli import cli

LIMIT = 45  # click's default cut for a summary made from the help text


def walk(command: click.Command, path: tuple[str, ...] = ()):
    yield path, command
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            yield from walk(sub, (*path, name))


COMMANDS = list(walk(cli))
IDS = [" ".join(p) or "wikicourse" for p, _ in COMMANDS]


@pytest.mark.parametrize("path,command", COMMANDS, ids=IDS)
def test_every_summary_is_one_complete_sentence(path, command):
    summary = command.get_short_help_str(limit=LIMIT)
    assert summary and not summary.endswith("...") and summary.endswith("."), summary
    assert "\n" not in summary


@pytest.mark.parametrize("path,command", COMMANDS, ids=IDS)
def test_dates_times_and_repeats_are_said(path, command):
    for option in (p for p in command.params if isinstance(p, click.Option)):
        text = option.help or ""
        if option.metavar == "DATE":
            assert "YYYY-MM-DD" in text and "UTC" in text, option.opts
        if option.metavar == "DATETIME":
            assert "ISO 8601" in text and "UTC" in text, option.opts
        if option.multiple:
            assert "repeat" in text, option.opts


@pytest.mark.parametrize("path", [p for p, c in COMMANDS if isinstance(c, click.Group)], ids=" ".join)
def test_the_listings_cut_no_summary(cli, path):
    code, out, err = cli(*path, "--help")
    assert code == 0 and err == ""
    listed = out.split("Commands:\n", 1)[1].splitlines()
    group = cli_group(path)
    assert [line.split()[0] for line in listed if line.strip()] == sorted(group.commands)
    for line in listed:
        assert not line.rstrip().endswith("..."), line


def cli_group(path: tuple[str, ...]) -> click.Group:
    return dict(COMMANDS)[path]
