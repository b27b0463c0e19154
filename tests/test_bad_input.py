"""Bad input: generated action payloads and option values are refused cleanly, nothing half-stored.

Every action of services.yaml gets hundreds of generated payloads (its own fields with wrong
types, absurd numbers, hostile text, missing or extra keys, and some valid ones). A call either
succeeds or raises vol.Invalid / ServiceValidationError / HomeAssistantError with a translation
key; a refused call leaves every table of the database as it was. The options form refuses
values out of range (or not numbers at all) as form errors and leaves the entry's options alone.
A real database, truncated or overwritten with garbage, ends setup in a translated error naming
the file, is not retried, and keeps its bytes.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
import hashlib
import math
from pathlib import Path
import sqlite3
from typing import Any
from unittest.mock import AsyncMock, patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType, InvalidData
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from hypothesis import HealthCheck, Phase, given, settings, strategies as st
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed
import voluptuous as vol

from custom_components.harmony_music import database_path
from custom_components.harmony_music.activity import ActivityType
from custom_components.harmony_music.clients.errors import CannotConnectError
from custom_components.harmony_music.config_flow import FORM_OPTIONS
from custom_components.harmony_music.const import DEFAULT_OPTIONS, DOMAIN, OPTION_RANGES
from custom_components.harmony_music.store import JobState, JobType, Store
from custom_components.harmony_music.workers.queue import JobQueue
from tests.conftest import entry_data

TRACK_ID = "4uLU6hMCjMI75M1A2tKUQC"
HOSTILE_TEXT = [
    "",
    " ",
    "nan",
    "inf",
    "-inf",
    "1e400",
    "-1",
    "0",
    "\ud800",
    "a\x00b",
    "\x1b[2J",
    "x" * 5000,
    "..\\..\\etc\\passwd",
    "'; DROP TABLE worker_jobs; --",
    TRACK_ID,
    f"spotify:track:{TRACK_ID}",
    f"https://open.spotify.com/track/{TRACK_ID}?si=x",
    "queued",
    "download",
    "matching",
    "include",
    "exclude",
    "clear",
]
SCALAR = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.integers(min_value=-5, max_value=600),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(HOSTILE_TEXT),
)
VALUE = st.recursive(
    SCALAR,
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(
        st.text(max_size=10) | st.sampled_from(["filename", "size"]), inner, max_size=4
    ),
    max_leaves=12,
)
FILE = st.fixed_dictionaries(
    {},
    optional={
        "filename": st.one_of(st.text(min_size=1, max_size=40), VALUE),
        "size": st.one_of(st.integers(-1, 2**40), VALUE),
        "length": st.one_of(st.floats(0, 1000), VALUE),
    },
)
TRACK = st.fixed_dictionaries(
    {},
    optional={
        "id": st.one_of(st.just(TRACK_ID), VALUE),
        "name": st.one_of(st.text(max_size=20), VALUE),
        "artists": st.one_of(
            st.lists(st.fixed_dictionaries({"name": st.text(max_size=10)})), VALUE
        ),
        "duration_ms": st.one_of(st.integers(-1, 10**7), VALUE),
    },
)
# Each action's own fields, with values that are sometimes right.
FIELDS: dict[str, dict[str, st.SearchStrategy[Any]]] = {
    "match": {
        "spotify_track": st.one_of(TRACK, VALUE),
        "candidates": st.one_of(st.lists(st.one_of(TRACK, VALUE), max_size=3), VALUE),
        "wait": st.one_of(st.booleans(), VALUE),
        "timeout": st.one_of(st.floats(0, 400), VALUE),
    },
    "list_jobs": {
        "type": st.one_of(st.sampled_from([t.value for t in JobType]), VALUE),
        "state": st.one_of(st.lists(st.sampled_from([s.value for s in JobState])), VALUE),
        "limit": st.one_of(st.integers(-2, 600), VALUE),
    },
    "list_activity": {
        "type": st.one_of(st.sampled_from([t.value for t in ActivityType]), VALUE),
        "limit": st.one_of(st.integers(-2, 600), VALUE),
    },
    "retry_job": {"job_id": st.one_of(st.integers(-1, 6), VALUE)},
    "cancel_job": {"job_id": st.one_of(st.integers(-1, 6), VALUE)},
    "mark_wrong_match": {"job_id": st.one_of(st.integers(-1, 6), VALUE)},
    "download": {
        "spotify_track": st.one_of(st.sampled_from(HOSTILE_TEXT), VALUE),
        "username": st.one_of(st.text(min_size=1, max_size=20), VALUE),
        "files": st.one_of(st.lists(st.one_of(FILE, VALUE), max_size=3), VALUE),
        "priority": st.one_of(st.integers(-200, 200), VALUE),
    },
    "scan_library": {"path": st.one_of(st.text(max_size=20), VALUE)},
    "run_autosync": {},
    "reset_skipped": {"spotify_track": st.one_of(st.sampled_from(HOSTILE_TEXT), VALUE)},
    "set_artist_preference": {
        "artist": st.one_of(st.text(max_size=30), VALUE),
        "preference": st.one_of(st.sampled_from(["include", "exclude", "clear"]), VALUE),
    },
    "list_artist_preferences": {},
}
# A valid payload of each action (besides config_entry_id); mutated one field at a time.
VALID: dict[str, list[dict[str, Any]]] = {
    "match": [
        {
            "spotify_track": {
                "id": TRACK_ID,
                "name": "Lullaby",
                "artists": [{"name": "The Cure"}],
                "duration_ms": 233_000,
            },
            "candidates": [{"kind": "library", "title": "Lullaby", "artist": "The Cure"}],
        }
    ],
    "list_jobs": [{"limit": 10, "type": "download", "state": ["queued"]}],
    "list_activity": [{"limit": 10}],
    "retry_job": [{"job_id": 1}],
    "cancel_job": [{"job_id": 2}],
    "mark_wrong_match": [{"job_id": 3}],
    "download": [
        {"username": "peer", "files": [{"filename": "x\\y.flac", "size": 5}], "priority": 1},
        {"spotify_track": TRACK_ID},
    ],
    "scan_library": [{"path": "/music"}],
    "run_autosync": [{}],
    "reset_skipped": [{"spotify_track": TRACK_ID}],
    "set_artist_preference": [{"artist": "The Cure", "preference": "include"}],
    "list_artist_preferences": [{}],
}


def _mutated(base: dict[str, Any], key: str, value: Any, how: str) -> dict[str, Any]:
    """``base`` with one field replaced, removed or added (or as it is)."""
    payload = dict(base)
    if how == "replace" and key in payload:
        payload[key] = value
    elif how == "delete":
        payload.pop(key, None)
    elif how == "add":
        payload[key] = value
    return payload


# Actions that never answer with data (return_response=True would be refused by Home Assistant).
NO_RESPONSE = {"retry_job", "cancel_job", "set_artist_preference"}
EXAMPLES_PER_ACTION = 400
NOT_LOADED = "01JHARMONYMUSICNOTLOADED01"  # an entry of ours that is not set up


def _payloads(entry_id: str, service: str) -> st.SearchStrategy[Any]:
    fields = FIELDS[service]
    entry_ids = st.one_of(
        st.just(entry_id),
        st.just(entry_id),
        st.just(entry_id),
        st.sampled_from(["", "nope", NOT_LOADED]),
        VALUE,
    )
    keys = sorted({*fields, "config_entry_id", "extra"})
    near_valid = st.builds(
        _mutated,
        st.sampled_from(VALID[service]).map(lambda base: {"config_entry_id": entry_id, **base}),
        st.sampled_from(keys),
        VALUE,
        st.sampled_from(["replace", "replace", "delete", "add", "none"]),
    )
    return st.one_of(
        near_valid,
        near_valid,
        st.builds(
            lambda base, extra: {**extra, **base},
            st.fixed_dictionaries({"config_entry_id": entry_ids}, optional=fields),
            st.dictionaries(st.text(max_size=8), VALUE, max_size=2),
        ),
        st.fixed_dictionaries({}, optional={"config_entry_id": entry_ids, **fields}),
    )


def _examples(strategy: st.SearchStrategy[Any], count: int) -> list[Any]:
    """``count`` generated values (hypothesis drives the search; the calls need the event loop)."""
    drawn: list[Any] = []

    @settings(
        max_examples=count,
        database=None,
        deadline=None,
        derandomize=True,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def collect(value: Any) -> None:
        drawn.append(value)

    collect()
    return drawn


def _digest(connection: sqlite3.Connection) -> dict[str, str]:
    """Every table's rows, hashed (a read-only view of the committed database)."""
    tables = [
        row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
    ]
    digests = {}
    for table in sorted(tables):
        rows = connection.execute(f'SELECT * FROM "{table}" ORDER BY 1').fetchall()
        digests[table] = f"{len(rows)}:{hashlib.sha256(repr(rows).encode()).hexdigest()}"
    return digests


def _outcome(error: vol.Invalid | HomeAssistantError | None, payload: Any) -> str:
    """'ok', 'invalid', 'refused:<key>' or 'failed:<key>'; our errors always carry a key."""
    if error is None:
        return "ok"
    if isinstance(error, vol.Invalid):
        return "invalid"
    assert error.translation_key, (payload, error)
    if isinstance(error, ServiceValidationError):
        return f"refused:{error.translation_key}"
    return f"failed:{error.translation_key}"


@pytest.fixture
def quiet_workers(init_integration: MockConfigEntry) -> Iterator[MockConfigEntry]:
    """The entry with no background work that could write between two calls.

    The workers are stopped, a run of auto-sync and a wait for a job return at once: only the
    action's own work touches the database.
    """
    with (
        patch.object(JobQueue, "async_wait", AsyncMock(return_value=None)),
        patch.object(
            type(init_integration.runtime_data.autosync), "async_run_now", AsyncMock(return_value=1)
        ),
    ):
        yield init_integration


@pytest.mark.parametrize("service", sorted(FIELDS))
async def test_generated_payloads_are_refused_cleanly(
    hass: HomeAssistant, quiet_workers: MockConfigEntry, service: str
) -> None:
    """Refused with a validation error or a translated one, and nothing stored half-way."""
    entry = quiet_workers
    MockConfigEntry(domain=DOMAIN, entry_id=NOT_LOADED, unique_id="other_user").add_to_hass(hass)
    await entry.runtime_data.download.async_stop()
    await entry.runtime_data.matching.async_stop()
    # A few jobs, so job ids find something to retry, cancel or mark.
    for name in ("a.flac", "b.flac"):
        await hass.services.async_call(
            DOMAIN,
            "download",
            {
                "config_entry_id": entry.entry_id,
                "username": "peer",
                "files": [{"filename": name, "size": 5}],
            },
            blocking=True,
            return_response=True,
        )
    await hass.services.async_call(
        DOMAIN,
        "download",
        {"config_entry_id": entry.entry_id, "spotify_track": TRACK_ID},
        blocking=True,
        return_response=True,
    )
    path = database_path(hass, entry.entry_id)
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None)
    outcomes: dict[str, int] = {}
    try:
        for payload in _examples(_payloads(entry.entry_id, service), EXAMPLES_PER_ACTION):
            before = _digest(connection)
            error: vol.Invalid | HomeAssistantError | None = None
            response: Any = None
            try:
                response = await hass.services.async_call(
                    DOMAIN,
                    service,
                    payload,
                    blocking=True,
                    return_response=service not in NO_RESPONSE,
                )
            except (vol.Invalid, HomeAssistantError) as err:
                error = err
            outcome = _outcome(error, payload)
            after = _digest(connection)
            changed = {table for table in before if before[table] != after.get(table)}
            if outcome == "ok":
                assert response is None or isinstance(response, dict), payload
            elif outcome.startswith("failed:"):
                # A failure of the service itself (Plex is offline here): at most an activity
                # entry says so.
                assert changed <= {"activity", "sqlite_sequence"}, (payload, changed)
            else:
                assert not changed, (payload, outcome, changed)
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
    finally:
        connection.close()
    print(service, outcomes)
    # The generator reached both sides of the schema.
    assert outcomes.get("invalid", 0) > 0
    if FIELDS[service]:
        assert len(outcomes) >= 2, outcomes
    assert entry.runtime_data.store is not None


# --- the options form ----------------------------------------------------------------------------

OPTION_VALUE = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.sampled_from(["nan", "NaN", "inf", "-inf", "1e400", "", "abc", "3", None, True, [], {}]),
    st.text(max_size=8),
)


def _option_inputs() -> st.SearchStrategy[dict[str, Any]]:
    numbers = {key: OPTION_VALUE for key in OPTION_RANGES if key in FORM_OPTIONS}
    return st.dictionaries(
        st.sampled_from(sorted(numbers)), OPTION_VALUE, min_size=1, max_size=3
    ) | st.fixed_dictionaries(
        {},
        optional={
            "autosync_time": st.one_of(
                st.sampled_from(["25:00", "03:00:00", "x", ""]), OPTION_VALUE
            ),
            "autosync_preferred_formats": st.one_of(
                st.lists(st.sampled_from(["flac", "mp3", "wav", "exe", ""]), max_size=3),
                OPTION_VALUE,
            ),
            "scan_worker_incremental": st.one_of(st.booleans(), OPTION_VALUE),
            "autosync_playlists": st.one_of(
                st.lists(st.text(max_size=10), max_size=2), OPTION_VALUE
            ),
        },
    )


def _acceptable(key: str, value: Any) -> bool:
    """Whether a stored option value is one the workers can use."""
    if key in OPTION_RANGES:
        low, high, _ = OPTION_RANGES[key]
        return (
            isinstance(value, int | float)
            and not isinstance(value, bool)
            and math.isfinite(value)
            and low <= value <= high
        )
    return True


@pytest.fixture
def no_spotify() -> Iterator[None]:
    """The options form's playlist picker finds Spotify unreachable (ids typed by hand)."""
    with patch(
        "custom_components.harmony_music.clients.spotify.SpotifyClient.async_playlists",
        side_effect=CannotConnectError("offline"),
    ):
        yield


async def test_generated_option_values_give_form_errors_never_a_stored_change(
    hass: HomeAssistant, init_integration: MockConfigEntry, no_spotify: None
) -> None:
    """Out of range, not a number, NaN: the form refuses it and the options stay as they were."""
    entry = init_integration
    outcomes: dict[str, int] = {}
    for values in _examples(_option_inputs(), 400):
        before = dict(entry.options)
        result = await hass.config_entries.options.async_init(entry.entry_id)
        assert result["type"] is FlowResultType.FORM
        flow_id = result["flow_id"]
        user_input = {key: before[key] for key in FORM_OPTIONS if key in before} | values
        try:
            result = await hass.config_entries.options.async_configure(flow_id, user_input)
        except InvalidData:
            outcome = "invalid"
            assert dict(entry.options) == before, values
        else:
            if result["type"] is FlowResultType.FORM:
                assert result["errors"], values
                assert dict(entry.options) == before, values
                outcome = "form_error"
            else:
                assert result["type"] is FlowResultType.CREATE_ENTRY, result
                outcome = "saved"
                for key, value in entry.options.items():
                    assert _acceptable(key, value), (key, value, values)
        finally:
            if any(f["flow_id"] == flow_id for f in hass.config_entries.options.async_progress()):
                hass.config_entries.options.async_abort(flow_id)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    print(outcomes)
    assert outcomes.get("invalid", 0) + outcomes.get("form_error", 0) > 0
    assert outcomes.get("saved", 0) > 0
    assert Path(database_path(hass, entry.entry_id)).exists()


# --- a damaged database at setup -----------------------------------------------------------------

DAMAGE = st.one_of(
    st.tuples(st.just("truncate"), st.floats(0.001, 0.999), st.just(b"")),
    st.tuples(
        st.just("garbage"),
        st.floats(0.0, 0.999),
        st.binary(min_size=1, max_size=600),
    ),
    st.tuples(st.just("garbage"), st.just(0.0), st.binary(min_size=16, max_size=100)),
)


def _damaged(pristine: bytes, how: str, where: float, garbage: bytes) -> bytes:
    offset = max(1, int(len(pristine) * where))
    if how == "truncate":
        return pristine[:offset]
    return pristine[:offset] + garbage + pristine[offset + len(garbage) :]


def _sqlite_sees_damage(path: Path) -> bool:
    """Whether SQLite itself finds the file damaged (on a copy, read-only)."""
    copy = path.with_name("oracle-" + path.name)
    copy.write_bytes(path.read_bytes())
    try:
        connection = sqlite3.connect(f"file:{copy}?mode=ro", uri=True)
        try:
            return bool(connection.execute("PRAGMA quick_check").fetchone()[0] != "ok")
        finally:
            connection.close()
    except sqlite3.DatabaseError:
        return True
    finally:
        copy.unlink()


async def test_damaged_database_ends_setup_clearly_and_is_never_touched(
    hass: HomeAssistant,
    setup_credentials: None,
    mock_config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A real database, truncated or with garbage bytes: setup fails once with a translated
    reason naming the file, is not retried, and the file's bytes stay as they were."""
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.services.async_call(
        DOMAIN,
        "download",
        {
            "config_entry_id": mock_config_entry.entry_id,
            "username": "peer",
            "files": [{"filename": f"{n}.flac", "size": 5} for n in range(50)],
        },
        blocking=True,
        return_response=True,
    )
    assert await hass.config_entries.async_unload(mock_config_entry.entry_id)
    source = database_path(hass, mock_config_entry.entry_id)
    assert not source.with_name(source.name + "-wal").exists()
    pristine = source.read_bytes()
    assert len(pristine) > 8192

    outcomes: dict[str, int] = {}
    original_open = Store.async_open
    opens: list[Path] = []

    async def counting_open(store: Store) -> None:
        opens.append(store.db.path)
        await original_open(store)

    for index, (how, where, garbage) in enumerate(_examples(DAMAGE, 60)):
        entry = MockConfigEntry(
            domain=DOMAIN,
            entry_id=f"DAMAGED{index:04d}",
            unique_id=f"damaged_{index}",
            title="Damaged",
            data=entry_data(str(hass.config.config_dir)),
            options=dict(DEFAULT_OPTIONS),
        )
        entry.add_to_hass(hass)
        path = database_path(hass, entry.entry_id)
        damaged = _damaged(pristine, how, where, garbage)
        path.write_bytes(damaged)
        expect_error = _sqlite_sees_damage(path)
        opens.clear()
        with patch.object(Store, "async_open", counting_open):
            await hass.config_entries.async_setup(entry.entry_id)
            await hass.async_block_till_done()
            if not expect_error:
                # SQLite finds nothing wrong: the entry loads (and may write to its file).
                assert entry.state is ConfigEntryState.LOADED, (how, where, entry.reason)
                outcomes["loaded"] = outcomes.get("loaded", 0) + 1
                assert await hass.config_entries.async_unload(entry.entry_id)
                continue
            assert entry.state is ConfigEntryState.SETUP_ERROR, (how, where, entry.state)
            assert entry.error_reason_translation_key in ("database_corrupt", "database_error")
            assert entry.reason is not None
            assert str(path) in entry.reason
            # No crash loop: an hour later nobody has tried again.
            freezer.tick(timedelta(hours=1))
            async_fire_time_changed(hass)
            await hass.async_block_till_done()
            assert opens == [path]
            assert entry.state is ConfigEntryState.SETUP_ERROR
        assert path.read_bytes() == damaged, (how, where)
        assert (
            not path.with_name(path.name + "-wal").exists()
            or not path.with_name(path.name + "-wal").stat().st_size
        )
        outcomes[f"error:{entry.error_reason_translation_key}"] = (
            outcomes.get(f"error:{entry.error_reason_translation_key}", 0) + 1
        )
    print(outcomes)
    assert sum(v for k, v in outcomes.items() if k.startswith("error:")) >= 20


@pytest.mark.parametrize(
    ("service", "data"),
    [
        ("list_jobs", {"limit": float("inf")}),
        ("list_activity", {"limit": float("-inf")}),
        ("retry_job", {"job_id": float("inf")}),
        ("download", {"spotify_track": TRACK_ID, "priority": float("inf")}),
        ("download", {"username": "p", "files": [{"filename": "a", "size": float("inf")}]}),
    ],
)
async def test_infinite_numbers_are_invalid(
    hass: HomeAssistant, init_integration: MockConfigEntry, service: str, data: dict[str, Any]
) -> None:
    """Found by the generated payloads: int(inf) raised OverflowError out of the schema."""
    with pytest.raises(vol.Invalid):
        await hass.services.async_call(
            DOMAIN,
            service,
            {"config_entry_id": init_integration.entry_id, **data},
            blocking=True,
            return_response=service not in NO_RESPONSE,
        )
