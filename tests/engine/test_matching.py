"""Matching engine: accuracy on labelled sets, each kind of case, and robustness properties."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from hypothesis import given, settings, strategies as st
import pytest

from benchmarks.worlds import make_crowded_world
from custom_components.harmony_music.engine import near_titles
from custom_components.harmony_music.engine.matching import (
    DEFAULT_CONFIDENCE_THRESHOLD,
    LibraryIndex,
    best_match,
    score,
    score_details,
)
from custom_components.harmony_music.engine.normalize import fold
from custom_components.harmony_music.engine.similarity import title_similarity
from custom_components.harmony_music.engine.versions import parse_title

from .accuracy import evaluate, load_cases
from .labelled import build_cases

CASE_FILES = sorted((Path(__file__).parent / "cases").glob("*.json"))


def test_generated_set_accuracy() -> None:
    """Several hundred labelled cases of every category."""
    cases = build_cases()
    assert len(cases) > 400
    overall = evaluate(cases)["all"]
    assert overall.precision >= 0.98, overall.errors
    assert overall.recall >= 0.95, overall.errors


@pytest.mark.parametrize("path", CASE_FILES, ids=lambda path: path.stem)
def test_case_file_precision(path: Path) -> None:
    """Each labelled file: a wrong match (a song downloaded twice or the wrong one) is rare."""
    overall = evaluate(load_cases(path))["all"]
    assert overall.precision >= 0.98, overall.errors


def test_case_files_accuracy() -> None:
    """The public sample and the independent sets together meet the judged targets.

    The independent sets were written from DESIGN.md's rules without the engine in view. Their
    known misses need knowledge the engine does not have: translated titles ("Spring Day" for
    "봄날"), Japanese kanji readings (unidecode reads kanji as Mandarin), a live album whose
    name does not say so, a short form of a title ("Killing Me Softly").
    """
    cases = [case for path in CASE_FILES for case in load_cases(path)]
    assert len(cases) > 400
    overall = evaluate(cases)["all"]
    assert overall.precision >= 0.98, overall.errors
    assert overall.recall >= 0.95, overall.errors


def test_every_rejection_names_what_decided() -> None:
    """Each candidate below the threshold names the gate that rejected it or its weakest part."""
    cases = [case for path in CASE_FILES for case in load_cases(path)] + build_cases()
    for case in cases:
        for index, candidate in enumerate(case["candidates"]):
            details = score_details(case["track"], candidate)
            explained = details.to_dict()
            if details.score < DEFAULT_CONFIDENCE_THRESHOLD:
                assert explained["decided_by"] is not None, (case["id"], index, explained)
                assert explained["decided_by"] == (details.gate or explained["decided_by"])
            if details.gate is not None:
                assert details.score == 0.0, (case["id"], index, explained)


def test_decided_by_names_the_weakest_part() -> None:
    """A computed score names its lowest part; a gate names itself."""
    no_artist = score_details(TRACK, slsk("@@u\\Downloads\\Lullaby.mp3"))
    assert no_artist.gate is None
    assert no_artist.decided_by == "artist"
    other = score_details(TRACK, lib("Lullaby", "Tom Jones"))
    assert (other.gate, other.decided_by) == ("artist", "artist")
    assert score_details(TRACK, lib("Lullaby")).to_dict()["decided_by"] is None


def test_best_match_on_the_shared_sample() -> None:
    """best_match picks one of the expected answers, or none when none is expected."""
    for case in load_cases(Path(__file__).parent / "cases" / "shared_sample.json"):
        pick = best_match(case["track"], case["candidates"])
        assert (pick is None) == (not case["expected"]), case["id"]
        if pick is not None:
            assert pick[0] in case["expected"], case["id"]


TRACK = {
    "id": "x",
    "name": "Lullaby",
    "artists": [{"name": "The Cure"}],
    "album": {"name": "Disintegration"},
    "duration_ms": 248372,
    "external_ids": {"isrc": "GBAHT8909999"},
}


def lib(
    title: str,
    artist: str = "The Cure",
    duration_ms: int | None = 248000,
    isrc: str | None = None,
    album: str = "Disintegration",
) -> dict[str, Any]:
    return {
        "kind": "library",
        "title": title,
        "artist": artist,
        "album": album,
        "duration_ms": duration_ms,
        "isrc": isrc,
    }


def slsk(filename: str, length: int | None = 248, extension: str = "mp3") -> dict[str, Any]:
    return {
        "kind": "soulseek",
        "username": "u",
        "filename": filename,
        "size": 1,
        "extension": extension,
        "bitRate": 320,
        "bitDepth": None,
        "sampleRate": None,
        "length": length,
        "isLocked": False,
    }


@pytest.mark.parametrize(
    ("candidate", "matches"),
    [
        (lib("LULLABY", "cure, the"), True),
        (lib("Lullaby - 2010 Remaster"), True),
        (lib("Lullaby (Live)"), False),
        (lib("Lullaby (Extended Mix)"), False),
        (lib("Lullaby (Acoustic)"), False),
        (lib("Lullaby (Instrumental)"), False),
        (lib("Lullaby", "Tom Jones"), False),
        (lib("Lullabye"), False),
        (lib("Lullaby", duration_ms=262000), False),
        (lib("Lullaby", duration_ms=252000), True),
        (lib("Lullaby", duration_ms=None), True),
        (lib("Wiegenlied", isrc="GBAHT8909999"), True),
        (lib("Lullaby", isrc="GBAHT8900001"), False),
        (
            slsk(
                "@@u\\The Cure - Disintegration (1989) [FLAC]\\07 - Lullaby.flac", extension="flac"
            ),
            True,
        ),
        (slsk("@@u\\Cure\\1989 - Disintegration\\CD1\\07 Lullaby", extension=""), True),
        (slsk("the_cure-disintegration-1989-grp\\07-the_cure-lullaby.mp3"), True),
        (slsk("incoming\\Lullaby - The Cure (www.junk.example).mp3"), True),
        (slsk("covers\\Galaxie 500 - Lullaby (The Cure cover).mp3"), False),
        (slsk("@@u\\Downloads\\Lullaby.mp3"), False),
        # No artist in the path, but the album folder and the length vouch for it.
        (slsk("@@u\\Disintegration\\07 - Lullaby.flac", extension="flac"), True),
        (slsk("@@u\\Disintegration\\07 - Lullaby.flac", 254, "flac"), False),
        (slsk("@@u\\Cure, The\\Lullaby.mp3"), True),  # a folder named after the band
        (lib("Lullaby (feat. Tom Jones)"), False),  # a guest the track does not have
    ],
)
def test_cases(candidate: dict[str, Any], matches: bool) -> None:
    """Each kind of decision, with the reason available."""
    details = score_details(TRACK, candidate)
    assert (details.score >= DEFAULT_CONFIDENCE_THRESHOLD) is matches, details.to_dict()
    if not matches and details.score == 0:
        assert details.gate is not None


def test_short_titles_and_other_names() -> None:
    """A short name needs the same artist and length; a bracketed name counts across scripts."""
    fugees = {
        "name": "Killing Me Softly With His Song",
        "artists": [{"name": "Fugees"}],
        "duration_ms": 298518,
    }
    assert score(fugees, lib("Killing Me Softly", "Fugees", 298153)) >= 0.8
    assert score(fugees, lib("Killing Me Softly", "Roberta Flack", 298153)) == 0
    assert score(fugees, lib("Killing Me Softly", "Fugees", 280000)) == 0
    assert score(fugees, lib("Killing Me Softly 2", "Fugees", 298153)) == 0
    library = [lib("Killing Me Softly", "Fugees", 298153)]
    assert LibraryIndex(library).match(fugees) == best_match(fugees, library)
    shakira = {
        "name": "Whenever, Wherever",
        "artists": [{"name": "Shakira"}],
        "duration_ms": 196213,
    }
    assert score(shakira, lib("Suerte (Whenever, Wherever)", "Shakira", 196426)) == 0
    kpop = {
        "name": "As If It's Your Last",
        "artists": [{"name": "BLACKPINK"}],
        "duration_ms": 213000,
    }
    assert score(kpop, lib("마지막처럼 (As If It's Your Last)", "BLACKPINK", 213400)) >= 0.8


def test_index_finds_romanisations_without_a_shared_word() -> None:
    """Arabic written without vowels shares no word with its romanisation: consonants decide."""
    arabic = {"name": "تملي معاك", "artists": [{"name": "عمرو دياب"}], "duration_ms": 277440}
    latin = {"name": "Tamally Maak", "artists": [{"name": "Amr Diab"}], "duration_ms": 277440}
    for track, title, artist in (
        (arabic, "Tamally Maak", "Amr Diab"),
        (latin, "تملي معاك", "عمرو دياب"),
    ):
        library = [lib("Nour El Ein", "Amr Diab", 280000), lib(title, artist, 277000)]
        assert best_match(track, library) is not None
        assert LibraryIndex(library).match(track) == best_match(track, library)


def test_labels_the_lengths_explain() -> None:
    """A guest remix credited to every guest, a 'Long Version' as long as the track, a remaster
    album's new ISRC: the same recording; a remix copy missing one of the guests is not."""
    road = {
        "name": "Old Town Road (feat. Billy Ray Cyrus) - Remix",
        "artists": [{"name": "Lil Nas X"}, {"name": "Billy Ray Cyrus"}],
        "duration_ms": 157066,
    }
    assert score(road, slsk("@@c\\Lil Nas X feat. Billy Ray Cyrus - Old Town Road.mp3", 157)) >= 0.8
    assert score(road, slsk("@@c\\Lil Nas X - Old Town Road.mp3", 157)) == 0
    despacito = {
        "name": "Despacito - Remix",
        "artists": [{"name": "Luis Fonsi"}, {"name": "Daddy Yankee"}, {"name": "Justin Bieber"}],
        "duration_ms": 228826,
    }
    assert score(despacito, slsk("@@l\\Luis Fonsi feat. Daddy Yankee - Despacito.mp3", 228)) == 0
    delight = {
        "name": "Rapper's Delight",
        "artists": [{"name": "Sugarhill Gang"}],
        "duration_ms": 875425,
    }
    assert (
        score(delight, slsk("@@o\\Sugarhill Gang - Rappers Delight (Long Version).mp3", 874)) >= 0.8
    )
    buggles = {
        "name": "Video Killed the Radio Star",
        "artists": [{"name": "The Buggles"}],
        "duration_ms": 253033,
        "external_ids": {"isrc": "GBAAN7900012"},
    }
    remastered = lib(
        "Video Killed The Radio Star",
        "The Buggles",
        253400,
        "GBUM71002877",
        album="The Age of Plastic (Remastered 2010)",
    )
    assert score(buggles, remastered) >= 0.8
    assert score(buggles, {**remastered, "album": "The Age of Plastic"}) == 0


def test_tribute_and_cover_acts_are_other_performers() -> None:
    """A credit or folder naming the artist in a tribute is someone else; a band named after the
    artist ("The Jimi Hendrix Experience", "The Elvis Presley Experience") is the artist's own
    only with its album (the track's, or one naming the artist)."""
    clocks = {"name": "Clocks", "artists": [{"name": "Coldplay"}], "duration_ms": 307879}
    tribute = (
        "@@s\\Vitamin String Quartet - The String Quartet Tribute to Coldplay\\04 - Clocks.flac"
    )
    assert score_details(clocks, slsk(tribute, 306)).gate == "artist"
    assert score(clocks, slsk("@@s\\Coldplay Tribute Band - Clocks.mp3", 307)) == 0
    assert score(clocks, slsk("@@s\\Coldplay - A Rush of Blood\\04 - Clocks.mp3", 307)) >= 0.8
    haze = {
        "name": "Purple Haze",
        "artists": [{"name": "Jimi Hendrix"}],
        "album": {"name": "Are You Experienced"},
        "duration_ms": 170807,
    }
    loose = slsk("@@n\\The Jimi Hendrix Experience - Purple Haze.flac", 171)
    assert score_details(haze, loose).gate == "band"
    album = slsk(
        "@@n\\The Jimi Hendrix Experience - Are You Experienced\\03 - Purple Haze.flac", 171
    )
    assert score(haze, album) >= 0.8
    best_of = lib(
        "Purple Haze", "The Jimi Hendrix Experience", 171000, album="Best of Jimi Hendrix"
    )
    assert score(haze, best_of) >= 0.8
    minds = {
        "name": "Suspicious Minds",
        "artists": [{"name": "Elvis Presley"}],
        "duration_ms": 262193,
    }
    tribute_band = slsk("@@s\\The Elvis Presley Experience - Suspicious Minds.mp3", 262)
    assert score_details(minds, tribute_band).gate == "band"


def test_a_copy_billed_with_another_artist_is_their_version() -> None:
    """ "A & B" adds a co-billed artist the track lacks (a duet version); "A feat. B" may name
    the track's uncredited singer, but only from the track's album (a loose "Dua Lipa feat.
    DaBaby - Levitating" is the guest's version); "A & The Band" names a backing band."""
    bad_guy = {"name": "bad guy", "artists": [{"name": "Billie Eilish"}], "duration_ms": 194088}
    duet = slsk("@@u\\Billie Eilish & Justin Bieber - bad guy.mp3", 195)
    assert score_details(bad_guy, duet).gate == "guest"
    wake = {
        "name": "Wake Me Up",
        "artists": [{"name": "Avicii"}],
        "album": {"name": "True"},
        "duration_ms": 247427,
    }
    assert score_details(wake, slsk("@@u\\Avicii feat. Aloe Blacc - Wake Me Up.mp3", 247)).gate == (
        "guest"
    )
    in_album = slsk("@@u\\Avicii - True (2013)\\01 - Avicii feat. Aloe Blacc - Wake Me Up.mp3", 247)
    assert score(wake, in_album) >= 0.8
    assert score(wake, lib("Wake Me Up", "Avicii feat. Aloe Blacc", 247000, album="True")) >= 0.8
    rain = {"name": "Purple Rain", "artists": [{"name": "Prince"}], "duration_ms": 521207}
    band = lib("Purple Rain", "Prince & The Revolution", 521903, album="Purple Rain")
    assert score(rain, band) >= 0.8
    bach = {
        "name": "Cello Suite No. 1 in G Major, BWV 1007: I. Prelude",
        "artists": [{"name": "Johann Sebastian Bach"}, {"name": "Yo-Yo Ma"}],
        "duration_ms": 150000,
    }
    assert score_details(bach, lib(bach["name"], "Bach, Yo-Yo Ma", 150000)).gate is None


def test_editions_named_in_the_title() -> None:
    """A title repeating its album's name or year is that edition (a re-recording): copies from
    other albums or years are not it; a copy from its album is."""
    classic = {
        "name": "Summer Of '69 (Classic)",
        "artists": [{"name": "Bryan Adams"}],
        "album": {"name": "Classic"},
        "duration_ms": 214606,
    }
    original = slsk("@@n\\Bryan Adams - Reckless (1984)\\06 - Summer of '69.flac", 216)
    assert score_details(classic, original).gate == "edition"
    again = slsk("@@n\\Bryan Adams - Classic (2022)\\01 - Summer of '69 (Classic).flac", 215)
    assert score(classic, again) >= 0.8
    leave = {
        "name": "Leave (Get Out) - 2018",
        "artists": [{"name": "JoJo"}],
        "album": {"name": "JoJo (2018)"},
        "duration_ms": 242509,
    }
    assert score(leave, slsk("Music\\JoJo - JoJo (2004)\\02 - Leave (Get Out).mp3", 242)) == 0
    assert score(leave, slsk("Music\\JoJo - JoJo (2018)\\02 - Leave (Get Out).mp3", 242)) >= 0.8


def test_a_folder_sorting_versions_names_the_version() -> None:
    """'Artist\\Live\\...' holds live recordings whatever the album folder is called."""
    love = {"name": "Skinny Love", "artists": [{"name": "Bon Iver"}], "duration_ms": 238402}
    live = slsk("Music\\Bon Iver\\Live\\2008-09-14 Take Away Show\\Skinny Love.mp3", 236)
    assert score_details(love, live).gate == "version"
    assert score(love, slsk("Music\\Bon Iver\\Singles\\Skinny Love.mp3", 238)) >= 0.8


def test_box_set_discs_singles_and_trailing_versions() -> None:
    """A titled disc or bonus folder ("CD3 - Live 1977", "Bonus - Demos") names its files'
    version and is not the album; a single's folder naming its title's version holds that
    version; "Artist - Title - Rework" and "[VIP]" are remixes; "(New Vocal)" is a re-recording."""
    song = {
        "name": "Lanterns - 2011 Remaster",
        "artists": [{"name": "The Harbour Lights"}],
        "album": {"name": "Northern Sky"},
        "duration_ms": 250000,
    }
    box = "@@s\\The Harbour Lights - Northern Sky (Super Deluxe 2012)"
    for disc in ("CD3 - Live 1977", "CD2 - Demos & Outtakes", "Bonus - Demos"):
        copy = slsk(f"{box}\\{disc}\\04 - Lanterns.flac", 250)
        assert score_details(song, copy).gate == "version", disc
    studio = score_details(song, slsk(f"{box}\\CD1 - The Album\\04 - Lanterns.flac", 250))
    assert studio.score >= 0.8
    assert studio.parts["album"] == 1.0
    single = slsk(
        "@@s\\The Harbour Lights - Lanterns (2012 Remix) [Single]\\01 - Lanterns.mp3", 250
    )
    assert score_details(song, single).gate == "version"
    plain = slsk("@@s\\The Harbour Lights - Lanterns [Single]\\01 - Lanterns.mp3", 250)
    assert score(song, plain) >= 0.8
    for name in ("Lanterns - Rework", "Lanterns [VIP]", "Lanterns (New Vocal)"):
        copy = slsk(f"@@s\\The Harbour Lights - {name}.mp3", 250)
        assert score_details(song, copy).gate == "version", name
    dated = parse_title("Lanterns 2000 (Radio Edit)", dash_suffix=False)
    assert dated.base == "lanterns"
    assert dated.versions == {"radio_edit", "ver:2000"}
    assert parse_title("1999 (Remix)").base == "1999"


def test_acts_named_after_the_artist_and_missing_guests() -> None:
    """ "Echoes of X", "The Tasmanian X Show" are other acts; a loose file billed to the artist
    alone is not the track whose title features a guest, a file naming the guest is."""
    song = {"name": "Glasshouse", "artists": [{"name": "Velvet Harbour"}], "duration_ms": 200000}
    for act in ("Echoes of Velvet Harbour", "The Tasmanian Velvet Harbour Show"):
        assert score_details(song, slsk(f"@@s\\{act} - Glasshouse.mp3", 200)).gate == "artist"
    duet = {
        "name": "Glasshouse (feat. Mira Sol)",
        "artists": [{"name": "Velvet Harbour"}, {"name": "Mira Sol"}],
        "duration_ms": 200000,
    }
    solo = slsk("@@s\\Velvet Harbour - Glasshouse.mp3", 200)
    assert score_details(duet, solo).gate == "guest"
    assert score(duet, slsk("@@s\\Velvet Harbour ft Mira Sol - Glasshouse.mp3", 200)) >= 0.8
    album = slsk("@@s\\Velvet Harbour - Tides (2020)\\03 - Glasshouse.flac", 200)
    assert score(duet, album) >= 0.8


def test_lengths_apart_need_the_album() -> None:
    """Lengths 3-7 s apart are one recording on the track's album or a compilation of hits; from
    another album ("Stop Making Sense", a live film soundtrack) or none they are another take."""
    place = {
        "name": "This Must Be the Place (Naive Melody)",
        "artists": [{"name": "Talking Heads"}],
        "album": {"name": "Speaking in Tongues"},
        "duration_ms": 296541,
    }
    other = slsk(
        "@@n\\Talking Heads\\1984 - Stop Making Sense\\07 This Must Be the Place.flac", 300
    )
    assert score_details(place, other).gate == "take"
    same = slsk(
        "@@n\\Talking Heads\\1983 - Speaking in Tongues\\09 This Must Be the Place.flac", 300
    )
    assert score(place, same) >= 0.8
    hits = lib("This Must Be the Place", "Talking Heads", 300500, album="The Best of Talking Heads")
    assert score(place, hits) >= 0.8
    assert (
        score(place, lib(place["name"], "Talking Heads", 296000, album="Stop Making Sense")) >= 0.8
    )


def test_remix_collections_and_re_recorded_albums() -> None:
    """A plain title on a remix collection ("The Remixes", "Remixed") or on an album called
    re-recorded is that album's version, not the original; a title naming its remix on a remix
    collection is that remix; a remix named only by a bracket of its folder counts too."""
    song = {
        "name": "Only Girl (In the World)",
        "artists": [{"name": "Rihanna"}],
        "album": {"name": "Loud"},
        "duration_ms": 235000,
    }
    assert score_details(song, lib(song["name"], "Rihanna", 235400, album="Loud")).gate is None
    remixed = lib(song["name"], "Rihanna", 235400, album="Loud: The Remixes")
    assert score_details(song, remixed).gate == "version"
    rerecorded = lib(song["name"], "Rihanna", 235000, album="Greatest Hits (Re-Recorded)")
    assert score_details(song, rerecorded).gate == "version"
    folder = slsk("@@u\\[Kayzo's Bootleg] Rihanna\\Only Girl (In the World).mp3", 236)
    assert score_details(song, folder).gate == "version"
    album_folder = slsk(
        "@@u\\Rihanna - Loud (Remixed) [2011]\\01 - Only Girl (In the World).mp3", 235
    )
    assert score_details(song, album_folder).gate == "version"

    remix = dict(
        song, name="Only Girl (In the World) - Rosabel Club Mix", album={"name": "Loud Remixes"}
    )
    named = slsk("@@u\\Rihanna - Only Girl (In the World) (Rosabel Club Mix).mp3", 235)
    assert score(remix, named) >= DEFAULT_CONFIDENCE_THRESHOLD
    in_folder = slsk(
        "@@u\\Rihanna - Loud Remixes\\03 - Only Girl (In the World) (Rosabel Club Mix).mp3", 235
    )
    assert score(remix, in_folder) >= DEFAULT_CONFIDENCE_THRESHOLD
    assert (
        score_details(remix, lib(song["name"], "Rihanna", 235000, album="Loud")).gate == "version"
    )


def test_acoustic_and_instrumental_albums() -> None:
    """An album closing on "Acoustic" or holding "Instrumentals" gives plain titles that version;
    an album merely starting with the word ("Acoustic Soul") does not."""
    song = {
        "name": "Hand in My Pocket",
        "artists": [{"name": "Alanis Morissette"}],
        "album": {"name": "Jagged Little Pill"},
        "duration_ms": 221000,
    }
    acoustic = slsk(
        "@@u\\Alanis Morissette - Jagged Little Pill Acoustic (2005)\\02 Hand in My Pocket.mp3", 221
    )
    assert score_details(song, acoustic).gate == "version"
    instrumentals = slsk(
        "@@u\\Alanis Morissette - Jagged Little Pill (Instrumentals)\\04 Hand in My Pocket.mp3", 221
    )
    assert score_details(song, instrumentals).gate == "version"
    library = lib(
        song["name"], "Alanis Morissette", 221000, album="Jagged Little Pill Instrumentals"
    )
    assert score_details(song, library).gate == "version"
    soul = {
        "name": "Video",
        "artists": [{"name": "India.Arie"}],
        "album": {"name": "Acoustic Soul"},
        "duration_ms": 264000,
    }
    same = slsk("@@u\\India.Arie - Acoustic Soul (2001)\\03 Video.flac", 264)
    assert score(soul, same) >= DEFAULT_CONFIDENCE_THRESHOLD


def test_brackets_of_other_scripts_and_tags() -> None:
    """【】, «», 《》 and a ~tilde pair~ after a title hold descriptors as parentheses do: a tag
    (【MV】) or an other-script name is no version, a remix or 歌ってみた (a sung cover) is one."""
    assert parse_title("Lemon【MV】").base == "lemon"
    assert parse_title("Summer ~Extended Mix~").versions == {"extended"}
    assert parse_title("a ~ b ~ c").base == "a b c"  # spaced tildes separate, they do not bracket
    assert parse_title("«Hello»").base == "hello"  # quotes around a whole title stay the title
    lemon = {
        "name": "Lemon",
        "artists": [{"name": "米津玄師"}],
        "album": {"name": "STRAY SHEEP"},
        "duration_ms": 255000,
    }
    assert (
        score(lemon, slsk("@@u\\米津玄師 - Lemon【MV】.mp3", 255)) >= DEFAULT_CONFIDENCE_THRESHOLD
    )
    remix = slsk("@@u\\米津玄師 - Lemon«Remix».mp3", 255)
    assert score_details(lemon, remix).gate == "version"
    sung = slsk("@@u\\まふまふ - Lemon【歌ってみた】.mp3", 255)
    assert score_details(lemon, sung).gate == "version"


def test_subtitles_taglines_and_nested_brackets() -> None:
    """A bracket inside a bracket is one descriptor; an "Official ... Song" tagline names no
    version; two different subtitles are two recordings."""
    waka = {
        "name": "Waka Waka (This Time for Africa) (The Official 2010 FIFA World Cup (TM) Song)",
        "artists": [{"name": "Shakira"}, {"name": "Freshlyground"}],
        "duration_ms": 202409,
    }
    assert parse_title(waka["name"]).base == "waka waka"
    english = slsk("@@l\\Shakira feat. Freshlyground - Waka Waka (This Time for Africa).mp3", 202)
    assert score(waka, english) >= 0.8
    spanish = slsk("@@l\\Shakira - Waka Waka (Esto Es Africa).mp3", 203)
    assert score_details(waka, spanish).gate == "subtitle"
    library = [lib("Waka Waka (Esto Es Africa)", "Shakira", 203000), lib("Waka Waka", "Shakira")]
    library[1]["duration_ms"] = 202000
    assert LibraryIndex(library).match(waka) == best_match(waka, library)
    assert best_match(waka, library) is not None


def test_named_sources_remixers_and_numbered_files() -> None:
    """'From "Film"' names an album the song is on; a remix credited to its remixer as an
    artist is the song as released; a 'Track03' file in its album folder is that track."""
    happy = {
        "name": 'Happy - From "Despicable Me 2"',
        "artists": [{"name": "Pharrell Williams"}],
        "album": {"name": "G I R L"},
        "duration_ms": 232720,
    }
    soundtrack = (
        "Music\\Despicable Me 2 (Original Motion Picture Soundtrack) (2013)\\04 - Happy.mp3"
    )
    assert score(happy, slsk(soundtrack, 233)) >= 0.8
    assert score(happy, slsk("Music\\Minions (2015)\\04 - Happy.mp3", 233)) < 0.8
    cold = {
        "name": "Cold Heart - PNAU Remix",
        "artists": [{"name": "Elton John"}, {"name": "Dua Lipa"}, {"name": "PNAU"}],
        "duration_ms": 202735,
    }
    assert score(cold, slsk("@@m\\Elton John, Dua Lipa - Cold Heart.mp3", 203)) >= 0.8
    assert score(cold, slsk("@@m\\Elton John - Cold Heart.mp3", 203)) == 0
    teardrop = {
        "name": "Teardrop",
        "artists": [{"name": "Massive Attack"}],
        "album": {"name": "Mezzanine"},
        "duration_ms": 330400,
    }
    folder = "@@h\\Massive Attack - Mezzanine (1998)\\"
    assert score(teardrop, slsk(folder + "Track03.flac", 331, "flac")) >= 0.8
    assert score(teardrop, slsk(folder + "Track01.flac", 379, "flac")) == 0
    other_album = "@@h\\Massive Attack - Protection (1994)\\Track03.flac"
    assert score(teardrop, slsk(other_album, 331, "flac")) == 0
    twenty_two = {"name": "22", "artists": [{"name": "Taylor Swift"}], "duration_ms": 232000}
    assert score(twenty_two, slsk("@@t\\Taylor Swift\\22.mp3", 232)) >= 0.8


def test_generic_albums_vouch_for_nothing() -> None:
    """A file with no artist in a 'Greatest Hits' folder is not trusted on album and length."""
    hits = {**TRACK, "album": {"name": "Greatest Hits"}}
    assert score(hits, slsk("@@u\\Greatest Hits\\07 - Lullaby.mp3")) < 0.8


def test_numbered_parts_and_original_mix() -> None:
    """'Part II' is 'Pt. 2' (another part is another song); 'Original Mix' is the plain track."""
    wall = {
        "name": "Another Brick in the Wall, Pt. 2",
        "artists": [{"name": "Pink Floyd"}],
        "album": {"name": "The Wall"},
        "duration_ms": 238746,
    }
    library = [
        lib("Another Brick In The Wall (Part I)", "Pink Floyd", 191000, album="The Wall"),
        lib("Another Brick In The Wall (Part II)", "Pink Floyd", 239000, album="The Wall"),
        lib("Another Brick in the Wall, Part 3", "Pink Floyd", 238000, album="The Wall"),
    ]
    assert [score(wall, item) >= 0.8 for item in library] == [False, True, False]
    assert LibraryIndex(library).match(wall) == best_match(wall, library)
    assert best_match(wall, library) is not None
    levels = {"name": "Levels", "artists": [{"name": "Avicii"}], "duration_ms": 337000}
    assert score(levels, slsk("@@a\\Avicii\\Levels (Original Mix).mp3", 337)) >= 0.8
    assert score(levels, slsk("@@a\\Avicii\\Levels (Skrillex Remix).mp3", 337)) == 0


@pytest.mark.parametrize(
    ("title", "versions", "aliases"),
    [
        ("Song (8D Audio)", {"processed"}, ()),
        ("Song (Off Vocal Ver.)", {"instrumental"}, ()),
        ("Song (Chopped & Screwed)", {"slowed"}, ()),
        ("Song (Home Recording)", {"demo"}, ()),
        ("Song - Acoustic; Live at MTV Unplugged", {"acoustic", "live"}, ()),
        ("Song (Diplo Remix)", {"remix:diplo"}, ()),
        ("Song (Extended Mix)", {"extended"}, ()),
        ("Song (Mina Harker's Version)", {"ver:minaharkersversion"}, ()),
        ("Song (New Version 2002)", {"rerecorded"}, ()),
        ("Song (With Long-Lost Guitars)", {"arrangement"}, ()),
        ("Song - 2011 Remaster", set(), ()),
        ('Song - Love Theme from "Titanic"', set(), ()),
        ("Untitled #3 - Samskeyti", set(), ("samskeyti",)),
        ("Take On Me (1984 Original Version)", {"ver:1984originalversion"}, ()),
        ("Song (Remastered 2011)", set(), ()),
        ("Cheerleader - Felix Jaehn Remix Radio Edit", {"remix:felixjaehn", "radio_edit"}, ()),
        ("晴天 (鋼琴版)", {"arrangement"}, ()),
    ],
)
def test_version_descriptors(title: str, versions: set[str], aliases: tuple[str, ...]) -> None:
    """Descriptors name a version, change nothing, or give the song another name."""
    parsed = parse_title(title)
    assert parsed.versions == versions
    assert parsed.aliases == aliases


def test_japanese_titles_by_their_reading() -> None:
    """A kanji title is found under its Japanese reading, beside unidecode's Mandarin one."""
    track = {
        "name": "春よ、来い",
        "artists": [{"name": "松任谷由実"}],
        "album": {"name": "THE DANCING SUN"},
        "duration_ms": 291533,
    }
    library = [
        lib("Haru yo Koi", "Yumi Matsutoya", 291500, album="The Dancing Sun"),
        lib("Hikouki Gumo", "Yumi Arai", 205000, album="Hikoukigumo"),
    ]
    assert score(track, library[0]) >= 0.8
    assert score(track, library[1]) == 0
    assert LibraryIndex(library).match(track) == best_match(track, library)
    assert score(track, lib("Haru yo Koi", "Yumi Matsutoya", 250000)) == 0  # another length
    chinese = {"name": "七里香", "artists": [{"name": "周杰倫"}], "duration_ms": 299533}
    assert score(chinese, lib("Qi Li Xiang", "Jay Chou", 300000)) >= 0.8


def test_featured_artists_and_versions() -> None:
    """Features in title or credit are the same recording; language versions are not."""
    track = {
        "name": "Give Me Everything (feat. Ne-Yo, Afrojack & Nayer)",
        "artists": [{"name": "Pitbull"}, {"name": "Ne-Yo"}],
        "duration_ms": 252311,
    }
    assert (
        score(
            track,
            lib("Give Me Everything", "Pitbull ft. Ne-Yo, Afrojack & Nayer", 252340, album=""),
        )
        >= 0.8
    )
    spanish = {
        "name": "Bailando - Spanish Version",
        "artists": [{"name": "Enrique Iglesias"}],
        "duration_ms": 243494,
    }
    assert score(spanish, slsk("Enrique Iglesias - Bailando (English Version).mp3", 243)) == 0.0


def test_transliteration() -> None:
    """Cyrillic against Latin; a CJK artist cannot be compared but the title and length can."""
    track = {"name": "Что такое осень", "artists": [{"name": "ДДТ"}], "duration_ms": 298416}
    assert score(track, lib("Chto Takoe Osen", "DDT", 298571, album="")) >= 0.8
    cjk = {"name": "童話", "artists": [{"name": "光良"}], "duration_ms": 245323}
    assert score(cjk, slsk("cpop\\Michael Wong - Tong Hua.mp3", 244)) >= 0.8
    assert score(cjk, slsk("cpop\\Michael Wong - Tong Hua.mp3", None)) == 0.0


def test_library_index_agrees_with_best_match() -> None:
    """The blocking index finds what scoring every pair finds."""
    cases = [c for c in build_cases() if all(x["kind"] == "library" for x in c["candidates"])]
    library = [candidate for case in cases for candidate in case["candidates"]]
    index = LibraryIndex(library)
    for case in cases[:150]:
        brute = best_match(case["track"], library)
        fast = index.match(case["track"])
        assert (brute is None) == (fast is None)
        if brute and fast:
            assert brute[1] == pytest.approx(fast[1])


def test_library_index_agrees_on_the_labelled_files() -> None:
    """On every labelled library-only case, the index picks what best_match picks."""
    for path in CASE_FILES:
        for case in load_cases(path):
            library = case["candidates"]
            if not all(candidate["kind"] == "library" for candidate in library):
                continue
            brute = best_match(case["track"], library)
            fast = LibraryIndex(library).match(case["track"])
            assert (brute[0] if brute else None) == (fast[0] if fast else None), case["id"]


def test_library_index_blocks() -> None:
    """Only a handful of candidates are scored per track."""
    library = [lib(f"Song {n}", f"Artist {n % 50}") for n in range(2000)] + [lib("Lullaby")]
    index = LibraryIndex(library)
    assert len(index.candidates(TRACK)) <= 5
    assert index.match(TRACK) == (2000, pytest.approx(score(TRACK, library[2000])))


def test_crowded_world_gets_every_answer_right() -> None:
    """Titles and artists from a small Zipf vocabulary: common titles held by many artists.

    The index finds every held track at its item and nothing for the others, and agrees with
    best_match over the whole library (on every tenth track: best_match compares all pairs)."""
    library, tracks, truth = make_crowded_world(5000, 500, seed=3)
    assert max(Counter(item["title"] for item in library).values()) >= 20  # crowded indeed
    assert 100 < truth.count(None) < 400
    index = LibraryIndex(library)
    answers = [index.match(track) for track in tracks]
    assert [answer[0] if answer else None for answer in answers] == truth
    for track, answer in list(zip(tracks, answers, strict=True))[::10]:
        assert answer == best_match(track, library), track


def test_near_titles_by_word_sets(monkeypatch: pytest.MonkeyPatch) -> None:
    """Word sets that reach the gate are found whatever their size or order; a common word
    shared with thousands of titles is not read title by title."""
    crowd = [lib(f"Love {n} Song", f"Band {n}") for n in range(3000)]
    library = [
        *crowd,
        lib("Two One Three Four"),  # 4 of the track's 5 words: Jaccard 0.8
        lib("Hymn For The Weekend Alpha Beta", "Other Act"),
        lib("Nothing Compares 2 U", "Sinead O'Connor"),
    ]
    index = LibraryIndex(library)
    five = {"name": "One Two Three Four Five", "artists": [{"name": "The Cure"}]}
    five["duration_ms"] = 248000
    assert index.match(five) == best_match(five, library)
    assert index.match(five) is not None
    spelled = {"name": "Nothing Compares To You", "artists": [{"name": "Sinead O'Connor"}]}
    assert index.match(spelled) == best_match(spelled, library)
    assert index.match(spelled) is not None
    love = {"name": "Love", "artists": [{"name": "Band 7"}], "duration_ms": 248000}
    compared: list[str] = []

    def counting(a: str, b: str) -> float:
        compared.append(b)
        return title_similarity(a, b)

    monkeypatch.setattr(near_titles, "title_similarity", counting)
    assert index.candidates(love) == []
    assert index.match(love) is None
    assert len(compared) < 10  # not one comparison per title holding "love"


JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(),
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None)
@given(text=st.text())
def test_fold_is_idempotent(text: str) -> None:
    """Normalising twice changes nothing."""
    assert fold(fold(text)) == fold(text)


@settings(max_examples=200, deadline=None)
@given(
    track=st.dictionaries(
        st.sampled_from(["name", "artists", "album", "duration_ms", "external_ids", "id"]), JSONISH
    ),
    candidate=st.dictionaries(
        st.sampled_from(
            [
                "kind",
                "title",
                "artist",
                "album",
                "duration_ms",
                "isrc",
                "filename",
                "length",
                "extension",
            ]
        ),
        JSONISH,
    ),
    kind=st.sampled_from(["library", "soulseek", None, 3]),
)
def test_never_raises_and_stays_in_range(
    track: dict[str, Any], candidate: dict[str, Any], kind: Any
) -> None:
    """Arbitrary shapes, types and unicode give a score in [0, 1], never an exception."""
    candidate = {**candidate, "kind": kind}
    value = score(track, candidate)
    assert 0.0 <= value <= 1.0
    best_match(track, [candidate, "junk"])  # type: ignore[list-item]
    LibraryIndex([candidate, None]).match(track)  # type: ignore[list-item]


@settings(max_examples=100, deadline=None)
@given(title=st.text(min_size=1), artist=st.text(min_size=1))
def test_unicode_titles_in_range(title: str, artist: str) -> None:
    """Any unicode title and artist: scores stay in range."""
    track = {"name": title, "artists": [{"name": artist}], "duration_ms": 200000}
    for candidate in (lib(title, artist, 200000), slsk(f"{artist} - {title}.mp3", 200)):
        assert 0.0 <= score(track, candidate) <= 1.0


def test_part_numbers_in_any_spelling() -> None:
    """ "Pts. 1-5", "Parts I-V" and "Pt. II" name the pieces the same way; other parts differ."""
    shine = {
        "name": "Shine On You Crazy Diamond (Pts. 1-5)",
        "artists": [{"name": "Pink Floyd"}],
        "album": {"name": "Wish You Were Here"},
        "duration_ms": 810000,
    }
    same = slsk(
        "@@u\\Pink Floyd\\1975 - Wish You Were Here\\01 Shine On You Crazy Diamond (Parts I-V).flac",
        810,
    )
    assert score(shine, same) >= DEFAULT_CONFIDENCE_THRESHOLD
    other = slsk(
        "@@u\\Pink Floyd\\1975 - Wish You Were Here\\05 Shine On You Crazy Diamond (Parts VI-IX).flac",
        810,
    )
    assert score(shine, other) < DEFAULT_CONFIDENCE_THRESHOLD
    assert parse_title("Bohemian Rhapsody (Pt. II)").base == "bohemian rhapsody part 2"
