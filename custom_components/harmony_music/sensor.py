"""Sensors: worker heartbeats and metrics."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import EntityCategory, UnitOfTime
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.typing import StateType

from .data import HarmonyConfigEntry, HarmonyData
from .entity import HarmonyEntity
from .workers.base import BaseWorker, WorkerState, WorkerStatus

# Push entities: nothing is polled.
PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class HarmonyWorkerSensorEntityDescription(SensorEntityDescription):
    """A sensor showing part of a worker's state."""

    worker_fn: Callable[[HarmonyData], BaseWorker]
    value_fn: Callable[[WorkerState], StateType | datetime]


def _metric(name: str) -> Callable[[WorkerState], StateType]:
    def value(state: WorkerState) -> StateType:
        result: StateType = state.metrics.get(name)
        return result

    return value


def _matching(data: HarmonyData) -> BaseWorker:
    return data.matching


SENSORS: tuple[HarmonyWorkerSensorEntityDescription, ...] = (
    HarmonyWorkerSensorEntityDescription(
        key="matching_status",
        translation_key="matching_status",
        device_class=SensorDeviceClass.ENUM,
        options=[status.value for status in WorkerStatus],
        worker_fn=_matching,
        value_fn=lambda state: state.status.value,
    ),
    HarmonyWorkerSensorEntityDescription(
        key="matching_last_seen",
        translation_key="matching_last_seen",
        device_class=SensorDeviceClass.TIMESTAMP,
        entity_category=EntityCategory.DIAGNOSTIC,
        worker_fn=_matching,
        value_fn=lambda state: state.last_seen,
    ),
    HarmonyWorkerSensorEntityDescription(
        key="matching_queue_length",
        translation_key="matching_queue_length",
        state_class=SensorStateClass.MEASUREMENT,
        worker_fn=_matching,
        value_fn=_metric("queue_length"),
    ),
    HarmonyWorkerSensorEntityDescription(
        key="matches_saved",
        translation_key="matches_saved",
        state_class=SensorStateClass.TOTAL_INCREASING,
        worker_fn=_matching,
        value_fn=_metric("matches_saved"),
    ),
    HarmonyWorkerSensorEntityDescription(
        key="matching_jobs_completed",
        translation_key="matching_jobs_completed",
        state_class=SensorStateClass.TOTAL_INCREASING,
        worker_fn=_matching,
        value_fn=_metric("jobs_completed"),
    ),
    HarmonyWorkerSensorEntityDescription(
        key="matching_jobs_failed",
        translation_key="matching_jobs_failed",
        state_class=SensorStateClass.TOTAL_INCREASING,
        worker_fn=_matching,
        value_fn=_metric("jobs_failed"),
    ),
    HarmonyWorkerSensorEntityDescription(
        key="matching_last_batch_size",
        translation_key="matching_last_batch_size",
        state_class=SensorStateClass.MEASUREMENT,
        worker_fn=_matching,
        value_fn=_metric("last_batch_size"),
    ),
    HarmonyWorkerSensorEntityDescription(
        key="matching_last_batch_duration",
        translation_key="matching_last_batch_duration",
        device_class=SensorDeviceClass.DURATION,
        native_unit_of_measurement=UnitOfTime.SECONDS,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=2,
        worker_fn=_matching,
        value_fn=_metric("last_batch_duration"),
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: HarmonyConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the worker sensors."""
    async_add_entities(HarmonyWorkerSensor(entry, description) for description in SENSORS)


class HarmonyWorkerSensor(HarmonyEntity, SensorEntity):
    """A sensor following a worker's published state."""

    entity_description: HarmonyWorkerSensorEntityDescription

    def __init__(
        self, entry: HarmonyConfigEntry, description: HarmonyWorkerSensorEntityDescription
    ) -> None:
        super().__init__(entry, description)
        self._worker = description.worker_fn(entry.runtime_data)

    async def async_added_to_hass(self) -> None:
        """Follow the worker."""
        await super().async_added_to_hass()
        self.async_on_remove(self._worker.async_add_listener(self.async_write_ha_state))

    @property
    def native_value(self) -> StateType | datetime:
        """The worker's current value."""
        return self.entity_description.value_fn(self._worker.state)
