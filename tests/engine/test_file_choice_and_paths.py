"""File choice by quality and peer, and safe local names for what peers name."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings, strategies as st

from custom_components.harmony_music.engine.file_choice import Peer, QualityRules, choose_files
from custom_components.harmony_music.engine.paths import (
    MAX_NAME_BYTES,
    inside,
    safe_name,
    slskd_landing,
)

TRACK = {
    "id": "VPbIoespD6rXkQWJLTbxsG",
    "name": "Lullaby",
    "artists": [{"name": "The Cure"}],
    "album": {"name": "Disintegration"},
    "duration_ms": 248_000,
}
RULES = QualityRules(min_bitrate=256, preferred_formats=("flac", "mp3"))


def file(name: str, *, bit_rate: int | None = None, length: int = 248) -> dict[str, object]:
    """A search response file."""
    return {
        "filename": f"@@share\\Music\\The Cure - Disintegration (1989)\\{name}",
        "size": 9_000_000,
        "extension": "",
        "bitRate": bit_rate,
        "length": length,
        "isLocked": False,
    }


FAST = Peer("fast", True, 0, 5_000_000)
BUSY = Peer("busy", False, 40, 5_000_000)


def test_flac_first_then_free_slots_and_short_queues() -> None:
    """The preferred format wins; among equals a free slot and short queue win."""
    good, low = choose_files(
        TRACK,
        [
            (BUSY, [file("06 - Lullaby.flac")]),
            (FAST, [file("06 - Lullaby.mp3", bit_rate=320), file("06 - Lullaby.flac")]),
        ],
        RULES,
        threshold=0.8,
    )
    assert [(c.username, c.file_format) for c in good] == [
        ("fast", "flac"),
        ("busy", "flac"),
        ("fast", "mp3"),
    ]
    assert low == []


def test_low_bitrate_and_other_versions() -> None:
    """A 128 kbit/s copy is the right song below the rules; a live take is not the song."""
    good, low = choose_files(
        TRACK,
        [
            (
                FAST,
                [
                    file("06 - Lullaby.mp3", bit_rate=128),
                    file("Lullaby (Live).mp3", bit_rate=320, length=301),
                ],
            )
        ],
        RULES,
        threshold=0.8,
    )
    assert good == []
    assert [c.bit_rate for c in low] == [128]


def test_bad_files_and_failing_peers() -> None:
    """A (peer, file) that failed verification is never offered, nor a peer failing lately."""
    flac = file("06 - Lullaby.flac")
    good, _ = choose_files(
        TRACK,
        [
            (FAST, [flac]),
            (Peer("other", True, 0, 100), [flac]),
            (Peer("third", True, 0, 1), [flac]),
        ],
        RULES,
        threshold=0.8,
        bad_files={("fast", str(flac["filename"]))},
        peer_failures={"other": 2},
    )
    assert [c.username for c in good] == ["third"]


def test_landing_path_follows_slskd() -> None:
    """<downloads>/<last remote folder>/<file>, and nothing outside the folder."""
    root = Path("/downloads")
    assert slskd_landing(root, "@@a\\Music\\Album\\01 - x.flac") == root / "Album" / "01 - x.flac"
    # Only the last folder and the name count, so climbing names stay inside.
    assert slskd_landing(root, "..\\..\\etc\\passwd") == root / "etc" / "passwd"
    assert slskd_landing(root, "share\\..\\..") is None
    assert slskd_landing(root, "") is None


HOSTILE = st.one_of(
    st.text(max_size=400),
    st.sampled_from(
        [
            "..",
            ".",
            "CON",
            "nul.txt",
            "a/../../b",
            "C:\\Windows",
            "\\\\server\\share",
            "\x00x",
            "\uff0fetc\uff0fpasswd",
            " . ",
        ]
    ),
)


@settings(max_examples=2000, deadline=None)
@given(HOSTILE)
def test_safe_name_is_always_one_safe_component(name: str) -> None:
    """Any string gives a non-empty name without separators, control characters or '..'."""
    safe = safe_name(name)
    assert safe
    assert "/" not in safe
    assert "\\" not in safe
    assert safe not in (".", "..")
    assert not any(ord(ch) < 32 for ch in safe)
    assert len(safe.encode()) <= MAX_NAME_BYTES
    assert inside(Path("/staging"), Path("/staging") / safe)


@settings(max_examples=1000, deadline=None)
@given(st.lists(HOSTILE, min_size=1, max_size=6))
def test_landing_never_leaves_the_downloads_folder(parts: list[str]) -> None:
    """Whatever the remote path, the landing path is inside the downloads folder or None."""
    root = Path("/downloads")
    landing = slskd_landing(root, "\\".join(parts))
    assert landing is None or inside(root, landing)
