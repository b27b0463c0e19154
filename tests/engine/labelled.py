"""A labelled matching set generated from real-world patterns, independent of the shared sample.

Each song yields cases in the categories the engine is judged on; positives and decoys are
built with the transformations users meet in Plex libraries and on Soulseek.
"""

from __future__ import annotations

import random
from typing import Any

# (title, artists, album, duration_s, isrc)
SONGS: list[tuple[str, list[str], str, int, str]] = [
    ("Karma Police", ["Radiohead"], "OK Computer", 264, "GBAYE9700123"),
    ("Paranoid Android", ["Radiohead"], "OK Computer", 387, "GBAYE9700124"),
    ("Hey Ya!", ["OutKast"], "Speakerboxxx/The Love Below", 235, "USAR10300924"),
    ("Bohemian Rhapsody", ["Queen"], "A Night at the Opera", 354, "GBUM71029604"),
    ("Smells Like Teen Spirit", ["Nirvana"], "Nevermind", 301, "USGF19942501"),
    ("Dancing Queen", ["ABBA"], "Arrival", 231, "SEAYD7601020"),
    ("Rolling in the Deep", ["Adele"], "21", 228, "GBBKS1000335"),
    ("Blinding Lights", ["The Weeknd"], "After Hours", 200, "USUG11904206"),
    ("Lose Yourself", ["Eminem"], "8 Mile", 326, "USIR10211559"),
    ("Hallelujah", ["Jeff Buckley"], "Grace", 413, "USSM19400329"),
    ("Wonderwall", ["Oasis"], "(What's the Story) Morning Glory?", 258, "GBBQY9500020"),
    ("Africa", ["Toto"], "Toto IV", 295, "USSM18200113"),
    ("Crazy in Love", ["Beyoncé", "JAY-Z"], "Dangerously in Love", 236, "USSM10301587"),
    ("Umbrella", ["Rihanna", "JAY-Z"], "Good Girl Gone Bad", 275, "USUM70741299"),
    (
        "Get Lucky",
        ["Daft Punk", "Pharrell Williams", "Nile Rodgers"],
        "Random Access Memories",
        369,
        "USQX91300108",
    ),
    ("Seven Nation Army", ["The White Stripes"], "Elephant", 232, "USVT10300001"),
    ("Clocks", ["Coldplay"], "A Rush of Blood to the Head", 307, "GBAYE0200771"),
    ("Jolene", ["Dolly Parton"], "Jolene", 162, "USRC17300135"),
    ("Heroes", ["David Bowie"], "Heroes", 371, "USJT19900072"),
    ("Zombie", ["The Cranberries"], "No Need to Argue", 306, "IEAAC9400023"),
    ("Stan", ["Eminem", "Dido"], "The Marshall Mathers LP", 404, "USIR10000449"),
    ("Señorita", ["Shawn Mendes", "Camila Cabello"], "Señorita", 191, "USUM71911283"),
    ("Déjà Vu", ["Olivia Rodrigo"], "SOUR", 215, "USUG12101839"),
    ("Ça plane pour moi", ["Plastic Bertrand"], "An 1", 182, "BEA017700001"),
    ("Björk's Army", ["Sólstafir"], "Köld", 244, "ISA011200101"),
    ("Mr. Brightside", ["The Killers"], "Hot Fuss", 222, "USIR20400274"),
    ("Don't Stop Me Now", ["Queen"], "Jazz", 209, "GBUM71029605"),
    ("Part of Me", ["Katy Perry"], "Teenage Dream", 216, "USCA21200034"),
    ("Harder, Better, Faster, Stronger", ["Daft Punk"], "Discovery", 224, "GBDUW0000053"),
    ("Love Will Tear Us Apart", ["Joy Division"], "Substance", 206, "GBAAP8000001"),
    ("Teardrop", ["Massive Attack"], "Mezzanine", 330, "GBAAA9800017"),
    ("Hurt", ["Johnny Cash"], "American IV: The Man Comes Around", 218, "USUM70209451"),
    ("Kids", ["MGMT"], "Oracular Spectacular", 302, "USSM10706003"),
    ("Take On Me", ["a-ha"], "Hunting High and Low", 225, "GBAYE8500087"),
    ("Dreams", ["Fleetwood Mac"], "Rumours", 257, "USWB10400048"),
    ("Purple Rain", ["Prince"], "Purple Rain", 521, "USWB19902945"),
    ("The Less I Know the Better", ["Tame Impala"], "Currents", 216, "AUUM71500183"),
    ("Midnight City", ["M83"], "Hurry Up, We're Dreaming", 243, "FR6V81141001"),
    ("One More Time", ["Daft Punk"], "Discovery", 320, "GBDUW0000059"),
    ("Since U Been Gone", ["Kelly Clarkson"], "Breakaway", 188, "USRC10400771"),
]

OTHER_ARTISTS = ["Taylor Swift", "Metallica", "The Beatles", "Nina Simone", "Bon Iver", "Sia"]
VERSION_DECOYS = [
    ("Live", "live"),
    ("Live at Wembley", "live"),
    ("Acoustic", "acoustic"),
    ("Instrumental", "instrumental"),
    ("Karaoke Version", "karaoke"),
    ("Demo", "demo"),
    ("Extended Mix", "extended"),
    ("Club Remix", "remix"),
    ("Sped Up", "sped_up"),
    ("Slowed + Reverb", "slowed"),
    ("Radio Edit", "radio_edit"),
]
NEUTRAL_SUFFIXES = ["Remastered 2011", "2015 Remaster", "Mono", "Single Version", "Album Version"]
SOULSEEK_USERS = ["vinylhead", "lossless_lover", "@@music_share", "kevin88", "dj_mix"]


def spotify_track(song: tuple[str, list[str], str, int, str], rng: random.Random) -> dict[str, Any]:
    title, artists, album, duration, isrc = song
    return {
        "id": f"sp{abs(hash(title)) % 10**8:08d}",
        "name": title,
        "artists": [{"name": a} for a in artists],
        "album": {"name": album},
        "duration_ms": duration * 1000 + rng.randint(0, 999),
        "external_ids": {"isrc": isrc},
    }


def library(
    title: str, artist: str, album: str, duration_s: float | None, isrc: str | None = None
) -> dict[str, Any]:
    return {
        "kind": "library",
        "title": title,
        "artist": artist,
        "album": album,
        "duration_ms": int(duration_s * 1000) if duration_s is not None else None,
        "isrc": isrc,
    }


def soulseek(path: str, length: int | None, ext: str = "mp3") -> dict[str, Any]:
    flac = ext == "flac"
    return {
        "kind": "soulseek",
        "username": "peer",
        "filename": path,
        "size": (length or 200) * (110_000 if flac else 40_000),
        "extension": ext,
        "bitRate": None if flac else 320,
        "bitDepth": 16 if flac else None,
        "sampleRate": 44100 if flac else None,
        "length": length,
        "isLocked": False,
    }


def variants(text: str, rng: random.Random) -> str:
    """Spelling noise that does not change the song: case, accents, '&', 'The'."""
    choice = rng.randint(0, 3)
    if choice == 0:
        return text.upper()
    if choice == 1:
        return text.lower()
    if choice == 2:
        return (
            text.replace("é", "e")
            .replace("ç", "c")
            .replace("ó", "o")
            .replace("ö", "o")
            .replace("'", "")
        )
    return text


def build_cases(seed: int = 7) -> list[dict[str, Any]]:
    """Several hundred labelled cases over every category."""
    rng = random.Random(seed)
    cases: list[dict[str, Any]] = []

    def add(
        category: str, track: dict[str, Any], candidates: list[dict[str, Any]], expected: list[int]
    ) -> None:
        order = list(range(len(candidates)))
        rng.shuffle(order)
        cases.append(
            {
                "id": f"gen-{len(cases):04d}",
                "category": category,
                "track": track,
                "candidates": [candidates[i] for i in order],
                "expected": sorted(order.index(i) for i in expected),
            }
        )

    for song in SONGS:
        title, artists, album, duration, isrc = song
        album = album.replace("/", " ")  # a folder name cannot hold a slash
        track = spotify_track(song, rng)
        main = artists[0]
        other = rng.choice([a for a in OTHER_ARTISTS if a != main])
        year = rng.randint(1970, 2022)
        neighbour = rng.choice([s for s in SONGS if s[1][0] != main or s[0] != title])

        # exact: library copy among neighbours; soulseek album folder
        add(
            "exact",
            track,
            [
                library(title, main, album, duration + rng.uniform(-1.5, 1.5)),
                library(neighbour[0], main, album, neighbour[3]),
            ],
            [0],
        )
        add(
            "exact",
            track,
            [
                soulseek(
                    f"@@{rng.choice(SOULSEEK_USERS)}\\Music\\{main} - {album} ({year}) [FLAC]\\0{rng.randint(1, 9)} - {title}.flac",
                    duration,
                    "flac",
                ),
                soulseek(
                    f"@@{rng.choice(SOULSEEK_USERS)}\\Music\\{main} - {album} ({year}) [FLAC]\\0{rng.randint(1, 9)} - {neighbour[0]}.flac",
                    neighbour[3],
                    "flac",
                ),
            ],
            [0],
        )
        # normalization: case/accent noise, '&' vs 'and', "X, The"
        artist_variant = variants(main, rng)
        if main.startswith("The "):
            artist_variant = f"{main[4:]}, The"
        add(
            "normalization",
            track,
            [
                library(
                    variants(title, rng),
                    artist_variant.replace(" & ", " and "),
                    album,
                    duration + 1,
                ),
            ],
            [0],
        )
        # featuring: features folded into the title or the artist credit
        if len(artists) > 1:
            add(
                "featuring",
                track,
                [
                    library(f"{title} (feat. {', '.join(artists[1:])})", main, album, duration),
                    soulseek(
                        f"Music\\Singles\\{main} ft. {' & '.join(artists[1:])} - {title}.mp3",
                        duration + 1,
                    ),
                    # Credited to the second artist Spotify lists, at the same length: the same
                    # recording tagged by its duet partner (as "Gary Jules - Mad World" is the
                    # Michael Andrews & Gary Jules track).
                    soulseek(f"Music\\Singles\\{artists[1]} - {title}.mp3", duration, "mp3"),
                    soulseek(f"Music\\Singles\\{artists[1]} - {title}.mp3", duration + 40, "mp3"),
                ],
                [0, 1, 2],
            )
        # version_suffix: neutral suffixes match, radio edit vs album does not
        suffix = rng.choice(NEUTRAL_SUFFIXES)
        add(
            "version_suffix",
            track,
            [
                library(f"{title} - {suffix}", main, f"{album} (Deluxe)", duration),
                soulseek(f"Shared\\{main} - {title} (Radio Edit).mp3", duration - 2),
            ],
            [0],
        )
        # different_version: each version decoy is wrong, even at the same length
        label, _ = rng.choice(VERSION_DECOYS)
        label2, _ = rng.choice([v for v in VERSION_DECOYS if v[0] != label])
        add(
            "different_version",
            track,
            [
                library(f"{title} ({label})", main, album, duration),
                soulseek(f"@@x\\{main}\\{main} - {title} ({label2}).mp3", duration),
            ],
            [],
        )
        live_track = dict(
            track, name=f"{title} - Live at Wembley", duration_ms=(duration + 25) * 1000
        )
        add(
            "different_version",
            live_track,
            [
                library(title, main, album, duration),
                soulseek(
                    f"@@x\\{main} - Live at Wembley ({year})\\0{rng.randint(1, 9)} - {title}.flac",
                    duration + 25,
                    "flac",
                ),
            ],
            [1],
        )
        # cover_or_namesake
        add(
            "cover_or_namesake",
            track,
            [
                library(title, other, f"{other} Sings", duration + rng.randint(-2, 2)),
                soulseek(f"@@covers\\{other} - {title} ({main} cover).mp3", duration),
                soulseek(f"@@ok\\{main} - {title}.mp3", duration),
            ],
            [2],
        )
        # similar_title: one letter or number apart
        add(
            "similar_title",
            track,
            [
                library(f"{title} 2", main, album, duration),
                library(f"{title}s", main, album, duration),
                library(
                    f"{title} Reprise",
                    main,
                    album,
                    duration - 100 if duration > 150 else duration + 90,
                ),
            ],
            [],
        )
        # isrc: agreement despite different text, conflict despite same text
        add(
            "isrc",
            track,
            [
                library(f"{title} (From the Album {album})", main, "Greatest Hits", duration, isrc),
            ],
            [0],
        )
        add(
            "isrc",
            track,
            [
                library(
                    title,
                    main,
                    "Greatest Hits",
                    duration + 11,
                    f"{isrc[:-2]}{(int(isrc[-2:]) + 1) % 100:02d}",
                ),
            ],
            [],
        )
        # duration
        add(
            "duration",
            track,
            [
                library(title, main, "Greatest Hits", duration + 2.5),
                library(title, main, "Singles", duration - 30),
            ],
            [0],
        )
        add(
            "duration",
            track,
            [
                library(title, main, album, None),
            ],
            [0],
        )
        # soulseek_path: scene names, swapped order, no extension, artist only in folders
        scene_artist = main.lower().replace(" ", "_")
        scene_title = title.lower().replace(" ", "_").replace("'", "").replace(",", "")
        add(
            "soulseek_path",
            track,
            [
                soulseek(
                    f"@@scene\\{scene_artist}-{album.lower().replace(' ', '_')}-web-{year}-grp\\0{rng.randint(1, 9)}-{scene_artist}-{scene_title}.mp3",
                    duration,
                ),
                soulseek(
                    f"@@x\\incoming\\{title} - {main} (www.freemp3.example).mp3", duration + 1
                ),
                soulseek(f"@@x\\{main}\\{year} - {album}\\CD1\\03 {title}", duration, ""),
                soulseek(f"@@x\\{other}\\{year} - Covers\\03 {title}.mp3", duration),
            ],
            [0, 1, 2],
        )
    # transliteration: non-Latin tracks against romanised files
    for name, artist, roman_title, roman_artist, length, isrc in [
        ("Что такое осень", "ДДТ", "Chto Takoe Osen", "DDT", 298, "RUA119283580"),
        ("Группа крови", "Кино", "Gruppa Krovi", "Kino", 286, "RUA118800001"),
        ("Δεν θέλω", "Άννα Βίσση", "Den thelo", "Anna Vissi", 240, "GRA119900001"),
        ("강남스타일", "싸이", "Gangnamseutail", "PSY", 219, "KRA381200001"),
    ]:
        track = {
            "id": f"tr{abs(hash(name)) % 10**6}",
            "name": name,
            "artists": [{"name": artist}],
            "album": {"name": name},
            "duration_ms": length * 1000 + 300,
            "external_ids": {"isrc": isrc},
        }
        add(
            "transliteration",
            track,
            [
                soulseek(f"world\\{roman_artist} - {roman_title}.mp3", length),
                soulseek(f"world\\{roman_artist} - {roman_title} (Live).mp3", length + 30),
            ],
            [0],
        )
    return cases
