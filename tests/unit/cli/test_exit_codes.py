"""bot.cli.common.run: every way a command can end becomes an exit code and at most one line on stderr."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer

from bot.cli import common
from bot.core.errors import InvalidInput
from bot.core.settings import SettingsError


def app_raising(error: BaseException | None, result: object = None) -> typer.Typer:
    app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)

    @app.command("go")
    def go(count: int = 1) -> object:
        if error is not None:
            raise error
        return result

    @app.command("other")
    def other() -> None:
        """Another command, so that `go` is a subcommand."""

    return app


@pytest.mark.parametrize(("error", "code", "message"), [
    (None, 0, ""),
    (InvalidInput("bad channel\nsecond line"), 2, "golive: bad channel second line\n"),
    (SettingsError("GOLIVE_PORT must be a port number"), 2, "golive: GOLIVE_PORT must be a port number\n"),
    (KeyboardInterrupt(), 130, ""),  # Click turns Ctrl-C into exit 130 itself
    (typer.Abort(), 130, "golive: aborted\n"),
    (typer.Exit(3), 3, ""),
])
def test_each_ending_has_its_code(capsys, error, code, message):
    assert common.run(app_raising(error), ["go"]) == code
    captured = capsys.readouterr()
    assert captured.err == message


def test_a_usage_error_names_the_usage_and_the_help(capsys):
    assert common.run(app_raising(None), ["go", "--count", "many"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("golive: Invalid value for '--count'") and err.count("\n") == 1
    assert "(usage: golive go [OPTIONS]; see 'golive go --help')" in err


def test_no_arguments_print_the_help(capsys):
    assert common.run(app_raising(None), []) == 0
    captured = capsys.readouterr()
    assert "Usage: golive" in captured.out and captured.err == ""


def test_an_unexpected_error_leaves_a_redacted_report(capsys, monkeypatch, tmp_path):
    monkeypatch.setattr(common.tempfile, "gettempdir", lambda: str(tmp_path))
    monkeypatch.setenv("GOLIVE_API_TOKEN", "api-very-secret-value")
    assert common.run(app_raising(RuntimeError("boom with api-very-secret-value")), ["go"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("golive: unexpected error RuntimeError (reference ") and err.count("\n") == 1
    assert "api-very-secret-value" not in err and "boom" not in err
    [report] = list(Path(tmp_path).glob("golive-error-*.txt"))
    assert report.name.split("-")[-1].removesuffix(".txt") in err
    text = report.read_text(encoding="utf-8")
    assert "RuntimeError: boom with [redacted]" in text and "api-very-secret-value" not in text
