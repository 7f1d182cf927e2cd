"""The README's configuration table names every setting, so a new knob cannot ship undocumented."""

from pathlib import Path

from agent.config import Settings

README = Path(__file__).resolve().parents[2] / "README.md"


def test_every_setting_is_documented():
    text = README.read_text()
    missing = [name.upper() for name in Settings.model_fields if f"`{name.upper()}`" not in text]
    assert missing == []
