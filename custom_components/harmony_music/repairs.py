"""Repairs: the database issues raised at setup, and the fix that sets a damaged file aside."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from homeassistant import data_entry_flow
from homeassistant.components.repairs import RepairsFlow
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
import voluptuous as vol

from .const import DOMAIN
from .coordinator import HarmonyConfigEntry

ISSUE_DATABASE_DAMAGED = "database_damaged"
ISSUE_DATABASE_READ_ONLY = "database_read_only"
DATABASE_ISSUES = (ISSUE_DATABASE_DAMAGED, ISSUE_DATABASE_READ_ONLY)
# SQLite's companions of the database file; they move with it.
DATABASE_SUFFIXES = ("", "-wal", "-shm")


def entry_issue_id(key: str, entry_id: str) -> str:
    """One issue of a kind per entry."""
    return f"{key}_{entry_id}"


@callback
def async_database_issue(
    hass: HomeAssistant,
    entry: HarmonyConfigEntry,
    key: str | None,
    placeholders: dict[str, str],
) -> None:
    """Raise the database issue ``key`` (None: the database opened, clear them all)."""
    for kind in DATABASE_ISSUES:
        if kind != key:
            ir.async_delete_issue(hass, DOMAIN, entry_issue_id(kind, entry.entry_id))
    if key is None:
        return
    ir.async_create_issue(
        hass,
        DOMAIN,
        entry_issue_id(key, entry.entry_id),
        is_fixable=key == ISSUE_DATABASE_DAMAGED,
        is_persistent=False,
        severity=ir.IssueSeverity.ERROR,
        translation_key=key,
        translation_placeholders=placeholders,
        data={"entry_id": entry.entry_id, "path": placeholders["path"]},
    )


def set_aside(path: Path, moment: datetime) -> Path:
    """Rename the database (and its WAL files) to ``<name>.damaged-<UTC time>``; nothing is deleted."""
    stamp = moment.strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.name}.damaged-{stamp}")
    for suffix in DATABASE_SUFFIXES:
        source = path.with_name(path.name + suffix)
        if source.exists():
            source.rename(target.with_name(target.name + suffix))
    return target


class DamagedDatabaseFlow(RepairsFlow):
    """Confirm, set the damaged file aside and reload: the entry starts with an empty database."""

    def __init__(self, entry_id: str, path: str) -> None:
        """For one entry's database file."""
        self._entry_id = entry_id
        self._path = Path(path)

    async def async_step_init(
        self, user_input: dict[str, str] | None = None
    ) -> data_entry_flow.FlowResult:
        """The only step."""
        return await self.async_step_confirm()

    async def async_step_confirm(
        self, user_input: dict[str, str] | None = None
    ) -> data_entry_flow.FlowResult:
        """Explain what happens; on submit move the file and reload the entry."""
        if user_input is None:
            return self.async_show_form(
                step_id="confirm",
                data_schema=vol.Schema({}),
                description_placeholders={"path": str(self._path)},
            )
        target = await self.hass.async_add_executor_job(set_aside, self._path, datetime.now(UTC))
        self.hass.config_entries.async_schedule_reload(self._entry_id)
        return self.async_create_entry(data={"moved_to": str(target)})


async def async_create_fix_flow(
    hass: HomeAssistant, issue_id: str, data: dict[str, Any] | None
) -> RepairsFlow:
    """The fix of a fixable issue (only the damaged database has one)."""
    if data is None or "entry_id" not in data:
        raise ValueError(f"{issue_id} has no fix")
    return DamagedDatabaseFlow(str(data["entry_id"]), str(data["path"]))
