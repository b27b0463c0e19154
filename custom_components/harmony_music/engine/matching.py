"""Does a library item or Soulseek file hold the same recording as a Spotify track?

The contract of DESIGN.md ("Matching engine contract") lives here; the work is done in modules
with one concern each:

- ``spotify_track``, ``library_item``, ``soulseek_path``: what is read from each kind of input
  (``fields`` checks raw values: one ISRC and one duration normaliser);
- ``artists``, ``similarity``, ``versions``, ``normalize``: comparing names, titles, versions;
- ``gates``, ``scoring``, ``details``: the parts of a decision, the decision, its explanation;
- ``readings``: what a candidate was read as;
- ``library_index``: whole-library diffs without comparing every pair, with ``near_titles``
  (titles that can pass the title gate) and ``length_windows`` (common titles cut by length);
- ``albums``: what an album name says (shared by many artists, a compilation of hits);
- ``thresholds``: the numbers decisions turn on; ``audio_formats``: audio file extensions.
"""

from __future__ import annotations

from .caches import clear_caches
from .details import MatchDetails
from .library_index import LibraryIndex
from .scoring import best_match, candidate_features, details_from_features, score, score_details
from .spotify_track import TrackFeatures, track_features
from .thresholds import DEFAULT_CONFIDENCE_THRESHOLD

__all__ = [
    "DEFAULT_CONFIDENCE_THRESHOLD",
    "LibraryIndex",
    "MatchDetails",
    "TrackFeatures",
    "best_match",
    "candidate_features",
    "clear_caches",
    "details_from_features",
    "score",
    "score_details",
    "track_features",
]
