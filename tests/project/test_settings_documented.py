"""Every setting is documented in the README, with its real default."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from search_service.cli import main
from search_service.settings import Settings

FIELDS = sorted(Settings.model_fields)


def readme_settings_rows(repo_root: Path) -> dict[str, str]:
    rows: dict[str, str] = {}
    for line in (repo_root / "README.md").read_text(encoding="utf-8").splitlines():
        match = re.match(r"\|\s*`SEARCH_([A-Z_]+)`\s*\|\s*`([^`]*)`\s*\|", line)
        if match:
            rows[match.group(1).lower()] = match.group(2)
    return rows


@pytest.mark.parametrize("field", FIELDS)
def test_every_setting_is_in_the_readme_with_its_default(field: str, repo_root: Path) -> None:
    rows = readme_settings_rows(repo_root)
    assert field in rows, f"SEARCH_{field.upper()} is not documented in README.md"
    assert rows[field] == shown_default(Settings.model_fields[field].default)


def shown_default(default: object) -> str:
    """How the README writes a default: as it is set in the environment."""
    if default is None:
        return "unset"
    if isinstance(default, bool | list):
        return json.dumps(default)
    return str(default)


def test_readme_documents_no_setting_that_does_not_exist(repo_root: Path) -> None:
    assert sorted(readme_settings_rows(repo_root)) == FIELDS


def test_environment_variables_set_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEARCH_KEEP_GENERATIONS", "5")
    monkeypatch.setenv("SEARCH_CORS_ORIGINS", '["https://example.org"]')
    settings = Settings()
    assert settings.keep_generations == 5
    assert settings.cors_origins == ["https://example.org"]


def test_cli_refuses_an_unknown_command_with_usage(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["frobnicate"])
    assert exit_info.value.code == 2
    assert "invalid choice" in capsys.readouterr().err
