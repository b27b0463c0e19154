"""quality_scale.yaml lists every rule, and every bronze to gold rule is done or exempt with a reason."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

FILE = Path(__file__).resolve().parent.parent / "custom_components/harmony_music/quality_scale.yaml"

# The Integration Quality Scale's rules by tier (developers.home-assistant.io, 2025).
TIERS: dict[str, tuple[str, ...]] = {
    "bronze": (
        "action-setup", "appropriate-polling", "brands", "common-modules",
        "config-flow-test-coverage", "config-flow", "dependency-transparency", "docs-actions",
        "docs-high-level-description", "docs-installation-instructions",
        "docs-removal-instructions", "entity-event-setup", "entity-unique-id", "has-entity-name",
        "runtime-data", "test-before-configure", "test-before-setup", "unique-config-entry",
    ),
    "silver": (
        "action-exceptions", "config-entry-unloading", "docs-configuration-parameters",
        "docs-installation-parameters", "entity-unavailable", "integration-owner",
        "log-when-unavailable", "parallel-updates", "reauthentication-flow", "test-coverage",
    ),
    "gold": (
        "devices", "diagnostics", "discovery-update-info", "discovery", "docs-data-update",
        "docs-examples", "docs-known-limitations", "docs-supported-devices",
        "docs-supported-functions", "docs-troubleshooting", "docs-use-cases", "dynamic-devices",
        "entity-category", "entity-device-class", "entity-disabled-by-default",
        "entity-translations", "exception-translations", "icon-translations",
        "reconfiguration-flow", "repair-issues", "stale-devices",
    ),
    "platinum": ("async-dependency", "inject-websession", "strict-typing"),
}  # fmt: skip


def _rules() -> dict[str, tuple[str, str | None]]:
    raw: dict[str, Any] = yaml.safe_load(FILE.read_text(encoding="utf-8"))["rules"]
    return {
        name: (value, None) if isinstance(value, str) else (value["status"], value.get("comment"))
        for name, value in raw.items()
    }


def test_every_rule_is_listed_once_and_nothing_else() -> None:
    expected = {rule for rules in TIERS.values() for rule in rules}
    assert set(_rules()) == expected


def test_bronze_to_gold_are_done_or_exempt_with_a_reason() -> None:
    rules = _rules()
    for tier in ("bronze", "silver", "gold"):
        for rule in TIERS[tier]:
            status, comment = rules[rule]
            assert status in {"done", "exempt"}, (tier, rule, status)
            if status == "exempt":
                assert comment, f"{rule} is exempt without a reason"


def test_what_is_not_done_says_why() -> None:
    for rule, (status, comment) in _rules().items():
        assert status in {"done", "exempt", "todo"}, rule
        if status == "todo":
            assert comment, f"{rule} is todo without saying what is missing"
