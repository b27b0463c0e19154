"""Sensors: worker heartbeats and metrics, read from the workers' coordinators."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import EntityCategory, UnitOfDataRate, UnitOfInformation, UnitOfTime
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.typing import StateType
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator

from .autosync import AutoSyncPhase, AutoSyncState, RunCounts, RunStatus
from .coordinator import HarmonyConfigEntry
from .entity import HarmonyWorkerEntity
from .scan import ScanState
from .workers.download import ActiveDownload, DownloadWorkerState
from .workers.matching import MatchingState
from .workers.state import WorkerState, WorkerStatus

# Push entities: nothing is polled.
PARALLEL_UPDATES = 0


# Contravariant: a description reading any worker's base state serves every worker.
StateT_contra = TypeVar("StateT_contra", bound=WorkerState, contravariant=True)


@dataclass(frozen=True, kw_only=True)
class HarmonySensorEntityDescription(SensorEntityDescription, Generic[StateT_contra]):
    """A sensor showing one value of a worker's state."""

    value_fn: Callable[[StateT_contra], StateType | datetime]
    attributes_fn: Callable[[StateT_contra], dict[str, Any]] | None = None
    # The status sensor stays available to say "stopped".
    available_when_stopped: bool = False


ATTR_DOWNLOADS = "downloads"


def downloads_attributes(downloads: tuple[ActiveDownload, ...]) -> dict[str, Any]:
    """Each transfer in progress: file, peer, percent and speed (kB/s), for a dashboard."""
    return {
        ATTR_DOWNLOADS: [
            {
                "file": download.file,
                "username": download.username,
                "percent": download.percent,
                "speed_kb_s": round(download.speed / 1000, 1),
            }
            for download in downloads
        ]
    }


def whole_minute(moment: datetime | None) -> datetime | None:
    """The moment without its seconds."""
    return moment.replace(second=0, microsecond=0) if moment is not None else None


def status_sensors(prefix: str) -> tuple[HarmonySensorEntityDescription[WorkerState], ...]:
    """Status and heartbeat, the same for every worker."""
    return (
        HarmonySensorEntityDescription[WorkerState](
            key=f"{prefix}_status",
            translation_key=f"{prefix}_status",
            device_class=SensorDeviceClass.ENUM,
            options=[status.value for status in WorkerStatus],
            value_fn=lambda state: state.status.value,
            available_when_stopped=True,
        ),
        HarmonySensorEntityDescription[WorkerState](
            key=f"{prefix}_last_seen",
            translation_key=f"{prefix}_last_seen",
            device_class=SensorDeviceClass.TIMESTAMP,
            entity_category=EntityCategory.DIAGNOSTIC,
            # A heartbeat: each change would be a logbook line and a recorder row (1,440 a day
            # at one a minute), so it is off unless enabled, and moves at most once a minute.
            entity_registry_enabled_default=False,
            value_fn=lambda state: whole_minute(state.last_seen),
        ),
    )


MATCHING_SENSORS: tuple[HarmonySensorEntityDescription[MatchingState], ...] = (
    *status_sensors("matching"),
    HarmonySensorEntityDescription[MatchingState](
        key="matching_queue_length",
        translation_key="matching_queue_length",
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda state: state.queue_length,
    ),
    HarmonySensorEntityDescription[MatchingState](
        key="matches_saved",
        translation_key="matches_saved",
        state_class=SensorStateClass.TOTAL_INCREASING,
        value_fn=lambda state: state.matches_saved,
    ),
    HarmonySensorEntityDescription[MatchingState](
        key="matching_jobs_completed",
        translation_key="matching_jobs_completed",
        state_class=SensorStateClass.TOTAL_INCREASING,
        value_fn=lambda state: state.jobs_completed,
    ),
    HarmonySensorEntityDescription[MatchingState](
        key="matching_jobs_failed",
        translation_key="matching_jobs_failed",
        state_class=SensorStateClass.TOTAL_INCREASING,
        value_fn=lambda state: state.jobs_failed,
    ),
    HarmonySensorEntityDescription[MatchingState](
        key="matching_last_batch_size",
        translation_key="matching_last_batch_size",
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda state: state.last_batch_size,
    ),
    HarmonySensorEntityDescription[MatchingState](
        key="matching_last_batch_duration",
        translation_key="matching_last_batch_duration",
        device_class=SensorDeviceClass.DURATION,
        native_unit_of_measurement=UnitOfTime.SECONDS,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=2,
        value_fn=lambda state: state.last_batch_duration,
    ),
)

SCAN_SENSORS: tuple[HarmonySensorEntityDescription[ScanState], ...] = (
    *status_sensors("scan"),
    HarmonySensorEntityDescription[ScanState](
        key="scan_started",
        translation_key="scan_started",
        device_class=SensorDeviceClass.TIMESTAMP,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda state: state.started_at,
    ),
    HarmonySensorEntityDescription[ScanState](
        key="scan_last_duration",
        translation_key="scan_last_duration",
        device_class=SensorDeviceClass.DURATION,
        native_unit_of_measurement=UnitOfTime.MILLISECONDS,
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda state: state.last_duration_ms,
    ),
    HarmonySensorEntityDescription[ScanState](
        key="scan_interval",
        translation_key="scan_interval",
        device_class=SensorDeviceClass.DURATION,
        native_unit_of_measurement=UnitOfTime.SECONDS,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda state: state.interval_seconds,
    ),
    HarmonySensorEntityDescription[ScanState](
        key="scan_last_success",
        translation_key="scan_last_success",
        device_class=SensorDeviceClass.TIMESTAMP,
        value_fn=lambda state: state.last_success,
    ),
    HarmonySensorEntityDescription[ScanState](
        key="scan_consecutive_failures",
        translation_key="scan_consecutive_failures",
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda state: state.consecutive_failures,
    ),
    HarmonySensorEntityDescription[ScanState](
        key="library_tracks",
        translation_key="library_tracks",
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda state: state.tracks,
    ),
    HarmonySensorEntityDescription[ScanState](
        key="library_albums",
        translation_key="library_albums",
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda state: state.albums,
    ),
    HarmonySensorEntityDescription[ScanState](
        key="library_artists",
        translation_key="library_artists",
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda state: state.artists,
    ),
    HarmonySensorEntityDescription[ScanState](
        key="library_changed",
        translation_key="library_changed",
        device_class=SensorDeviceClass.TIMESTAMP,
        value_fn=lambda state: state.library_changed_at,
    ),
    HarmonySensorEntityDescription[ScanState](
        key="library_duration",
        translation_key="library_duration",
        device_class=SensorDeviceClass.DURATION,
        native_unit_of_measurement=UnitOfTime.MILLISECONDS,
        suggested_unit_of_measurement=UnitOfTime.HOURS,
        state_class=SensorStateClass.MEASUREMENT,
        entity_registry_enabled_default=False,
        value_fn=lambda state: state.duration_ms,
    ),
    HarmonySensorEntityDescription[ScanState](
        key="library_size",
        translation_key="library_size",
        device_class=SensorDeviceClass.DATA_SIZE,
        native_unit_of_measurement=UnitOfInformation.BYTES,
        suggested_unit_of_measurement=UnitOfInformation.GIGABYTES,
        state_class=SensorStateClass.MEASUREMENT,
        entity_registry_enabled_default=False,
        value_fn=lambda state: state.size_bytes,
    ),
    HarmonySensorEntityDescription[ScanState](
        key="library_snapshot_version",
        translation_key="library_snapshot_version",
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        value_fn=lambda state: state.snapshot_version,
    ),
)


DOWNLOAD_SENSORS: tuple[HarmonySensorEntityDescription[DownloadWorkerState], ...] = (
    *status_sensors("download"),
    HarmonySensorEntityDescription[DownloadWorkerState](
        key="download_queue_length",
        translation_key="download_queue_length",
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda state: state.queue_length,
    ),
    HarmonySensorEntityDescription[DownloadWorkerState](
        key="active_downloads",
        translation_key="active_downloads",
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda state: state.active_downloads,
        attributes_fn=lambda state: downloads_attributes(state.downloads),
    ),
    HarmonySensorEntityDescription[DownloadWorkerState](
        key="download_jobs_completed",
        translation_key="download_jobs_completed",
        state_class=SensorStateClass.TOTAL_INCREASING,
        value_fn=lambda state: state.jobs_completed,
    ),
    HarmonySensorEntityDescription[DownloadWorkerState](
        key="download_jobs_failed",
        translation_key="download_jobs_failed",
        state_class=SensorStateClass.TOTAL_INCREASING,
        value_fn=lambda state: state.jobs_failed,
    ),
    HarmonySensorEntityDescription[DownloadWorkerState](
        key="download_throughput",
        translation_key="download_throughput",
        device_class=SensorDeviceClass.DATA_RATE,
        native_unit_of_measurement=UnitOfDataRate.BYTES_PER_SECOND,
        suggested_unit_of_measurement=UnitOfDataRate.KILOBYTES_PER_SECOND,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=0,
        value_fn=lambda state: state.throughput,
    ),
)


def run_counts(state: AutoSyncState) -> RunCounts:
    """The running run's counts, else the last run's."""
    if state.run_id is not None:
        return state.counts
    return state.last_counts or RunCounts()


def _count_sensor(
    key: str, value: Callable[[RunCounts], int], *, enabled: bool = True
) -> HarmonySensorEntityDescription[AutoSyncState]:
    return HarmonySensorEntityDescription[AutoSyncState](
        key=f"autosync_{key}",
        translation_key=f"autosync_{key}",
        state_class=SensorStateClass.MEASUREMENT,
        entity_registry_enabled_default=enabled,
        value_fn=lambda state: value(run_counts(state)),
    )


AUTOSYNC_SENSORS: tuple[HarmonySensorEntityDescription[AutoSyncState], ...] = (
    *status_sensors("autosync"),
    HarmonySensorEntityDescription[AutoSyncState](
        key="autosync_phase",
        translation_key="autosync_phase",
        device_class=SensorDeviceClass.ENUM,
        options=[phase.value for phase in AutoSyncPhase],
        value_fn=lambda state: state.phase.value if state.phase else None,
    ),
    HarmonySensorEntityDescription[AutoSyncState](
        key="autosync_last_status",
        translation_key="autosync_last_status",
        device_class=SensorDeviceClass.ENUM,
        options=[status.value for status in RunStatus],
        value_fn=lambda state: state.last_status.value if state.last_status else None,
    ),
    HarmonySensorEntityDescription[AutoSyncState](
        key="autosync_last_run",
        translation_key="autosync_last_run",
        device_class=SensorDeviceClass.TIMESTAMP,
        value_fn=lambda state: state.last_finished_at,
    ),
    HarmonySensorEntityDescription[AutoSyncState](
        key="autosync_next_run",
        translation_key="autosync_next_run",
        device_class=SensorDeviceClass.TIMESTAMP,
        value_fn=lambda state: state.next_run,
    ),
    HarmonySensorEntityDescription[AutoSyncState](
        key="autosync_last_duration",
        translation_key="autosync_last_duration",
        device_class=SensorDeviceClass.DURATION,
        native_unit_of_measurement=UnitOfTime.SECONDS,
        suggested_display_precision=0,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda state: state.last_duration_s,
    ),
    HarmonySensorEntityDescription[AutoSyncState](
        key="autosync_searches_remaining",
        translation_key="autosync_searches_remaining",
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda state: state.searches_remaining,
    ),
    HarmonySensorEntityDescription[AutoSyncState](
        key="autosync_eta",
        translation_key="autosync_eta",
        device_class=SensorDeviceClass.DURATION,
        native_unit_of_measurement=UnitOfTime.SECONDS,
        suggested_unit_of_measurement=UnitOfTime.MINUTES,
        suggested_display_precision=0,
        value_fn=lambda state: state.eta_seconds,
    ),
    _count_sensor("wanted", lambda c: c.wanted),
    _count_sensor("queued", lambda c: c.queued),
    _count_sensor("imported", lambda c: c.imported),
    _count_sensor("skipped", lambda c: c.skipped),
    _count_sensor("low_quality", lambda c: c.low_quality),
    _count_sensor("not_found", lambda c: c.not_found),
    _count_sensor("already_owned", lambda c: c.already_owned),
    _count_sensor("searches", lambda c: c.searches, enabled=False),
    _count_sensor("download_failed", lambda c: c.download_failed, enabled=False),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: HarmonyConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add every worker's sensors."""
    runtime = entry.runtime_data
    sensors: list[SensorEntity] = [
        HarmonyWorkerSensor(runtime.matching.coordinator, entry, description)
        for description in MATCHING_SENSORS
    ]
    sensors += [
        HarmonyWorkerSensor(runtime.download.coordinator, entry, description)
        for description in DOWNLOAD_SENSORS
    ]
    async_add_entities(sensors)
    scan = runtime.scan
    async_add_entities(
        HarmonyWorkerSensor(scan, entry, description) for description in SCAN_SENSORS
    )
    async_add_entities(
        HarmonyWorkerSensor(runtime.autosync, entry, description)
        for description in AUTOSYNC_SENSORS
    )


class HarmonyWorkerSensor[StateT: WorkerState](HarmonyWorkerEntity[StateT], SensorEntity):
    """A sensor following a worker's published state."""

    entity_description: HarmonySensorEntityDescription[StateT]
    # Progress moves every few seconds: the recorder keeps the count, not each percent.
    _unrecorded_attributes = frozenset({ATTR_DOWNLOADS})

    def __init__(
        self,
        coordinator: DataUpdateCoordinator[StateT],
        entry: HarmonyConfigEntry,
        description: HarmonySensorEntityDescription[StateT],
    ) -> None:
        super().__init__(coordinator, entry, description)

    @property
    def available(self) -> bool:
        """The status sensor says "stopped" rather than going unavailable."""
        if self.entity_description.available_when_stopped:
            return self.coordinator.last_update_success
        return super().available

    @property
    def native_value(self) -> StateType | datetime:
        """The worker's current value."""
        return self.entity_description.value_fn(self.coordinator.data)

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """What the description adds beside the value (the transfers in progress)."""
        if (attributes_fn := self.entity_description.attributes_fn) is None:
            return None
        return attributes_fn(self.coordinator.data)
