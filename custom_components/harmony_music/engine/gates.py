"""The parts of a decision, each comparing one aspect of a track and a candidate reading.

Each part is a gate as well: the version classes must agree, the title reach TITLE_GATE, the
artist not be another one, the lengths lie within DURATION_GATE_S (see scoring).
"""

from __future__ import annotations

from .albums import compilation
from .artists import (
    artist_units,
    contains_phrase,
    guest_units,
    named_after,
    named_among,
    other_act,
    same_band,
    words_beside,
)
from .fields import years
from .readings import CandidateFeatures, Reading
from .similarity import short_title, title_similarity, transliteration_similarity
from .spotify_track import TrackFeatures
from .thresholds import (
    DURATION_EXACT_S,
    DURATION_GATE_S,
    FEATURED_ONLY_ARTIST,
    NAMED_BAND,
    NO_ARTIST,
    SECONDARY_ARTIST,
    SHORT_TITLE,
    TITLE_GATE,
)
from .versions import with_album

# Version classes an edit can differ by when the lengths agree (a plain-named copy of a single
# is its radio edit), and classes a copy inherits from its album (a plain title on a live album).
_EDIT_CLASSES = frozenset({"radio_edit", "edit"})
_ALBUM_CLASSES = frozenset({"live", "acoustic"})
_FULL_LENGTH_CLASSES = frozenset({"ver:long", "ver:full"})


def title_part(track: TrackFeatures, reading: Reading) -> float:
    """Best similarity over the titles' other names; transliterations get letter-level help."""
    best = title_similarity(track.title.base, reading.title.base)
    if best >= TITLE_GATE:
        return best
    # A copy's bracketed other name counts only across scripts ("마지막처럼 (As If It's Your
    # Last)"): "Suerte (Whenever, Wherever)" is the Spanish recording, not the English one.
    theirs_aliases = (
        reading.title.aliases if reading.title.non_latin or track.non_latin_title else ()
    )
    if track.title.aliases or theirs_aliases:
        for ours in track.title_forms:
            for theirs in (reading.title.base, *theirs_aliases):
                best = max(best, title_similarity(ours, theirs))
    if best < TITLE_GATE and track.non_latin_title:
        for form in track.reading_forms:
            best = max(
                best,
                title_similarity(form, reading.title.base),
                transliteration_similarity(form, reading.title.base),
            )
    elif best < TITLE_GATE and reading.title.non_latin:
        # The copy is tagged in the original script, the track romanised ("तुम ही हो").
        best = max(best, transliteration_similarity(track.title.base, reading.title.base))
    if best < TITLE_GATE and short_title(track.title.base, reading.title.base):
        best = SHORT_TITLE
    return best


def artist_part(track: TrackFeatures, reading: Reading) -> float | None:
    """1.0 same artist, 0.9 another credited artist, 0.0 another artist, 0.35 no artist known,
    0.3 only a featured artist of the title, NAMED_BAND a band named after the artist (see
    band_vouched); None when scripts differ and nothing can tell."""
    units = reading.artist_units
    if track.primary_units and (
        track.primary_units & units
        or (len(track.primary_units) > 1 and track.primary_units - {""} <= units)
    ):
        return 1.0
    # A folder or credit naming the artist in a tribute or cover ("Piano Tribute to Coldplay",
    # "Pink Floyd Tribute Band") names someone else's recording.
    context = " ".join(reading.context_tokens)
    if not other_act(context, track.primary_words):
        if contains_phrase(reading.context_tokens, track.primary_tokens):
            return 1.0
        if any(contains_phrase(reading.context_tokens, t) for t in track.secondary_tokens):
            return SECONDARY_ARTIST  # the performer in the folder name ("Debussy - Seong-Jin Cho")
    if (
        same_band(track.primary_words, reading.artist_words)
        and not other_act(reading.artist_words, track.primary_words)
        and not named_after(track.primary_words, reading.artist_words)
    ):
        rest = tuple(words_beside(track.primary_words, reading.artist_words).split())
        if rest and not any(contains_phrase(rest, words) for words in track.secondary_tokens):
            return NAMED_BAND  # "The Jimi Hendrix Experience", or "The Elvis Presley Experience"
        return 1.0
    if track.non_latin_artist or reading.artist_non_latin:
        return None
    if reading.folder_names & track.primary_units:
        return 1.0  # a folder named after the artist ("Miracles, The")
    if not units:
        return NO_ARTIST
    if track.secondary_units & units:
        return SECONDARY_ARTIST
    if track.all_units & units:  # credited to a featured artist only: likely their own version
        return FEATURED_ONLY_ARTIST
    return 0.0


def album_named(track: TrackFeatures, reading: Reading) -> str:
    """The track's album, or the film or show its title says it is from ("Happy - From
    \"Despicable Me 2\"" in a soundtrack folder), when the copy's album is that one; else ''."""
    if not track.album or not reading.album:
        return ""
    return next(
        (
            name
            for name in (track.album, track.source)
            if name and title_similarity(name, reading.album) >= TITLE_GATE
        ),
        "",
    )


def band_vouched(track: TrackFeatures, reading: Reading) -> bool:
    """A band named after the artist ("The Jimi Hendrix Experience") is the artist's own band
    only when its album is the track's or names the artist ("Experience Hendrix: The Best of
    Jimi Hendrix"): tribute acts are named that way too ("The Elvis Presley Experience")."""
    return bool(album_named(track, reading)) or contains_phrase(
        tuple(reading.album.split()), track.primary_tokens
    )


def extra_guest(track: TrackFeatures, reading: Reading) -> bool:
    """The copy features someone the track credits nowhere: a remix with a new verse, a duet
    version billed to both ("Billie Eilish & Justin Bieber - bad guy"). A guest named only in
    the credit ("Avicii feat. Aloe Blacc", a singer Spotify leaves out) is let through only
    from the track's album: loose, "Dua Lipa feat. DaBaby - Levitating" is the guest's version."""
    if reading.title.featured:
        guests = guest_units(reading.title.featured)
        if guests and not guests <= track.all_units:
            return True
    if (
        reading.guests
        and any(not named_among(g, track.all_units, track.credit_compacts) for g in reading.guests)
        and not album_named(track, reading)
    ):
        return True
    credited = reading.credited
    if not credited or not credited & track.all_units:
        return False  # not a credit naming the track's artists and more: the artist part decides
    return any(not named_among(name, track.all_units, track.credit_compacts) for name in credited)


def missing_guest(track: TrackFeatures, reading: Reading) -> bool:
    """The track's title features a guest ("Levitating (feat. DaBaby)") and a loose file billed to
    its artist names no guest at all: the solo version. (In an album folder a file often leaves
    the guest out; see extra_guest for a file naming a guest the track lacks.)"""
    if not track.title.featured or reading.album or reading.title.featured:
        return False
    guests = guest_units(track.title.featured) - track.primary_units
    units = reading.artist_units
    if not guests or not units & track.primary_units or units & guests:
        return False
    return not reading.credited


def versions_compatible(track: TrackFeatures, cand: CandidateFeatures, reading: Reading) -> bool:
    """Same version classes, or a plain-titled copy that is the track's labelled version.

    Spotify always labels versions, so only its label may be missing on the copy, never the other
    way round, and only when the lengths agree: an unlabelled copy as long as the radio edit is
    the radio edit; a plain title from the same album as a live track is that live take.
    """
    ours = with_album(track.title.versions, track.album_versions)
    theirs = with_album(reading.title.versions, reading.album_versions)
    if ours == theirs:
        return True
    if not same_length(track, cand):
        return False
    if ours ^ theirs <= _FULL_LENGTH_CLASSES:
        return True  # "(Long Version)" as long as the plain track is the plain track
    if not theirs < ours:
        return False
    extra = ours - theirs
    if extra <= _EDIT_CLASSES:
        return True
    label = next(iter(extra)) if len(extra) == 1 else ""
    if label.startswith("remix:") and len(track.names) > 1:
        # Spotify's remix that is the song as released, guests added ("Cold Heart - PNAU
        # Remix" by Elton John, Dua Lipa, PNAU), and a copy credited to every guest. A named
        # remixer must be one of the credited artists; the copy need not credit the remixer.
        remixer = label.removeprefix("remix:")
        guests = [name for name in track.names[1:] if remixer not in artist_units(name)]
        if remixer and len(guests) == len(track.names) - 1:
            return False
        return bool(guests) and all(artist_units(name) & reading.artist_units for name in guests)
    return (
        not reading.title.versions
        and extra <= _ALBUM_CLASSES
        and bool(track.album and reading.album)
        and title_similarity(track.album, reading.album) >= TITLE_GATE
    )


def subtitles_conflict(track: TrackFeatures, reading: Reading) -> bool:
    """Both titles give the song another name in brackets, and not the same one: "Waka Waka
    (This Time for Africa)" is the English recording, "Waka Waka (Esto Es Africa)" the Spanish.
    (Across scripts a bracketed name is a translation: see title_part.)"""
    ours, theirs = track.title.aliases, reading.title.aliases
    if not ours or not theirs or track.non_latin_title or reading.title.non_latin:
        return False
    return not any(title_similarity(mine, other) >= TITLE_GATE for mine in ours for other in theirs)


def edition_shown(track: TrackFeatures, reading: Reading) -> bool:
    """A track whose title names its edition (see TrackFeatures.edition_name) matches only a
    copy that names it too, or comes from its album; one from another album or year does not."""
    if track.edition_name and reading.album:
        shown = (
            any(
                title_similarity(alias, track.edition_name) >= TITLE_GATE
                for alias in reading.title.aliases
            )
            or title_similarity(reading.album, track.album) >= TITLE_GATE
        )
        if not shown:
            return False
    if not track.edition_year:
        return True
    written = years(reading.edition_text)
    return not written or track.edition_year in written


def other_take(track: TrackFeatures, reading: Reading, duration: float | None) -> bool:
    """Lengths more than DURATION_EXACT_S apart are one recording only on the track's album or
    a compilation of hits (masters faded or cut differently): a copy from another album, or
    none, at another length is another take (a live album not named so, a re-recording)."""
    if duration is None or duration >= 1.0:
        return False
    return not album_named(track, reading) and not compilation(reading.album)


def same_length(track: TrackFeatures, cand: CandidateFeatures) -> bool:
    """Whether both lengths are known and within DURATION_EXACT_S."""
    return duration_part(track, cand) == 1.0


def duration_part(track: TrackFeatures, cand: CandidateFeatures) -> float | None:
    """1.0 within DURATION_EXACT_S, falling to 0.0 (the gate) past DURATION_GATE_S; None unknown."""
    if track.duration_s is None or cand.duration_s is None:
        return None
    diff = abs(track.duration_s - cand.duration_s)
    if diff <= DURATION_EXACT_S:
        return 1.0
    if diff > DURATION_GATE_S:
        return 0.0
    return 1.0 - (diff - DURATION_EXACT_S) / (DURATION_GATE_S - DURATION_EXACT_S)
