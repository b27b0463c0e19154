"""Sensors: worker heartbeats and metrics, read from the workers' coordinators."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import EntityCategory, UnitOfDataRate, UnitOfTime
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.typing import StateType

from .coordinator import HarmonyConfigEntry, WorkerCoordinator
from .entity import HarmonyWorkerEntity
from .workers.download import DownloadWorkerState
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
    # The status sensor stays available to say "stopped".
    available_when_stopped: bool = False


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
            value_fn=lambda state: state.last_seen,
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


class HarmonyWorkerSensor[StateT: WorkerState](HarmonyWorkerEntity[StateT], SensorEntity):
    """A sensor following a worker's published state."""

    entity_description: HarmonySensorEntityDescription[StateT]

    def __init__(
        self,
        coordinator: WorkerCoordinator[StateT],
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
