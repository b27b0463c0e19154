"""Which Soulseek file to download for a Spotify track: recording first, then quality, then peer.

Order of the decision (each step only among what the previous one kept):
1. the matching engine decides "same recording" (score at or above the threshold);
2. quality rules: a preferred format, and lossy files at or above the minimum bitrate (lossless
   meets any bitrate); the same recording found only below the rules is returned apart, so the
   caller can say so instead of downloading it;
3. ranking: preferred format order, then length agreement, then the peer (a free upload slot,
   a short queue, a fast upload). A (peer, file) known to be bad is never offered, nor are the
   files of a peer that failed twice lately (the caller decides what "lately" means).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .audio_formats import LOSSLESS_FORMATS
from .matching import score

# A peer with this many recent failures is not offered.
PEER_FAILURE_LIMIT = 2


@dataclass(frozen=True)
class QualityRules:
    """The user's quality rules (auto-sync options)."""

    min_bitrate: int  # kbit/s, for lossy formats
    preferred_formats: tuple[str, ...]  # best first; empty: any format


@dataclass(frozen=True)
class Peer:
    """What a search response says about the peer that sent it."""

    username: str
    has_free_upload_slot: bool
    queue_length: int
    upload_speed: int  # bytes/s


@dataclass(frozen=True)
class FileChoice:
    """One downloadable file, with why it ranks where it does."""

    username: str
    filename: str
    size: int
    length: int | None
    file_format: str
    bit_rate: int | None
    score: float

    def as_file(self) -> dict[str, Any]:
        """The download action's file shape."""
        data: dict[str, Any] = {"filename": self.filename, "size": self.size}
        if self.length:
            data["length"] = self.length
        return data


def file_format(candidate: Mapping[str, Any]) -> str:
    """The file's format: slskd's extension, which is often empty, else the file name's."""
    extension = str(candidate.get("extension") or "").lower().lstrip(".")
    if not extension:
        name = str(candidate.get("filename") or "")
        extension = name.rsplit(".", 1)[-1].lower() if "." in name.rsplit("\\", 1)[-1] else ""
    return extension


def meets_rules(candidate: Mapping[str, Any], rules: QualityRules) -> bool:
    """Preferred format, and for lossy files the minimum bitrate."""
    fmt = file_format(candidate)
    if rules.preferred_formats and fmt not in rules.preferred_formats:
        return False
    if fmt in LOSSLESS_FORMATS:
        return True
    bit_rate = candidate.get("bitRate")
    return isinstance(bit_rate, int) and bit_rate >= rules.min_bitrate


def choose_files(
    track: Mapping[str, Any],
    responses: Sequence[tuple[Peer, Sequence[Mapping[str, Any]]]],
    rules: QualityRules,
    *,
    threshold: float,
    bad_files: Collection[tuple[str, str]] = (),
    peer_failures: Mapping[str, int] | None = None,
) -> tuple[list[FileChoice], list[FileChoice]]:
    """The files worth downloading, best first, and the right recording found below the rules."""
    failures = peer_failures or {}
    expected_s = (track.get("duration_ms") or 0) / 1000
    good: list[tuple[tuple[Any, ...], FileChoice]] = []
    low: list[FileChoice] = []
    for peer, files in responses:
        for candidate in files:
            if candidate.get("isLocked") or (peer.username, candidate.get("filename")) in bad_files:
                continue
            if failures.get(peer.username, 0) >= PEER_FAILURE_LIMIT:
                continue
            value = score(track, {**candidate, "kind": "soulseek", "username": peer.username})
            if value < threshold:
                continue
            length = candidate.get("length")
            choice = FileChoice(
                username=peer.username,
                filename=str(candidate["filename"]),
                size=int(candidate.get("size") or 0),
                length=length if isinstance(length, int) else None,
                file_format=file_format(candidate),
                bit_rate=candidate.get("bitRate")
                if isinstance(candidate.get("bitRate"), int)
                else None,
                score=value,
            )
            if choice.size <= 0:
                continue
            if not meets_rules(candidate, rules):
                low.append(choice)
                continue
            order = (
                rules.preferred_formats.index(choice.file_format)
                if choice.file_format in rules.preferred_formats
                else len(rules.preferred_formats)
            )
            length_gap = abs(choice.length - expected_s) if choice.length and expected_s else 30.0
            rank = (
                order,
                round(length_gap),
                not peer.has_free_upload_slot,
                peer.queue_length,
                -peer.upload_speed,
                -value,
            )
            good.append((rank, choice))
    good.sort(key=lambda item: item[0])
    low.sort(key=lambda choice: -choice.score)
    return [choice for _, choice in good], low
