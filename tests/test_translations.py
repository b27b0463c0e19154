"""Every user-facing string exists in English and German, and en.json matches strings.json."""

from __future__ import annotations

import json
from pathlib import Path
import re
from typing import Any

import yaml

from custom_components.harmony_music.activity import ACTIVITY_TYPES
from custom_components.harmony_music.sensor import MATCHING_SENSORS as SENSORS

ROOT = Path(__file__).parent.parent / "custom_components" / "harmony_music"


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((ROOT / name).read_text(encoding="utf-8"))
    return data


def keys(tree: Any, prefix: str = "") -> set[str]:
    """All leaf paths of a nested dict."""
    if not isinstance(tree, dict):
        return {prefix}
    out: set[str] = set()
    for key, value in tree.items():
        out |= keys(value, f"{prefix}.{key}" if prefix else key)
    return out


def test_english_matches_strings() -> None:
    """translations/en.json is strings.json (no hand edits drifting apart)."""
    assert load("translations/en.json") == load("strings.json")


def test_german_has_every_key() -> None:
    """German covers exactly the English keys, with no empty text."""
    english, german = load("strings.json"), load("translations/de.json")
    assert keys(german) == keys(english)
    for path in keys(german):
        node: Any = german
        for part in path.split("."):
            node = node[part]
        assert isinstance(node, str)
        assert node.strip(), path


def test_translation_keys_used_in_code_exist() -> None:
    """Every translation_key in the Python code has an English text."""
    strings = load("strings.json")
    exceptions = set(strings["exceptions"])
    entity_keys = {key for platform in strings["entity"].values() for key in platform}
    used = set()
    for path in ROOT.rglob("*.py"):
        used |= set(re.findall(r'translation_key="([a-z0-9_]+)"', path.read_text()))
    assert used, "no translation keys found: the scan is broken"
    selectors = set(strings["selector"])
    missing = {key for key in used if key not in exceptions | entity_keys | selectors}
    assert not missing


def test_entities_and_events_are_translated() -> None:
    """Sensor names and states, and every activity event type, have text."""
    entity = load("strings.json")["entity"]
    for description in SENSORS:
        assert description.translation_key in entity["sensor"]
        if description.options:
            assert set(description.options) == set(
                entity["sensor"][description.translation_key]["state"]
            )
    event_states = entity["event"]["activity"]["state_attributes"]["event_type"]["state"]
    assert set(event_states) == set(ACTIVITY_TYPES)


def test_services_are_translated() -> None:
    """Every action and field in services.yaml has a name and description."""
    services = yaml.safe_load((ROOT / "services.yaml").read_text())
    strings = load("strings.json")["services"]
    assert set(services) == set(strings)
    for service, spec in services.items():
        assert strings[service]["name"]
        assert strings[service]["description"]
        assert set(spec.get("fields", {})) == set(strings[service]["fields"])
    selectors = load("strings.json")["selector"]
    for spec in services.values():
        for field in spec.get("fields", {}).values():
            for selector in field.get("selector", {}).values():
                if isinstance(selector, dict) and "translation_key" in selector:
                    options = selectors[selector["translation_key"]]["options"]
                    assert set(options) == set(selector["options"])


class _UniqueKeyLoader(yaml.SafeLoader):
    """Refuses a mapping that repeats a key (Home Assistant only warns, and keeps the last)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        keys = [self.construct_object(key, deep=deep) for key, _ in node.value]
        repeated = {key for key in keys if keys.count(key) > 1}
        assert not repeated, f"line {node.start_mark.line + 1}: repeated {sorted(repeated)}"
        return super().construct_mapping(node, deep=deep)


def test_services_yaml_repeats_no_key() -> None:
    """A repeated key makes Home Assistant log a warning at every start."""
    yaml.load((ROOT / "services.yaml").read_text(), Loader=_UniqueKeyLoader)
