"""Start the Spotify, Plex and slskd simulators on one generated world and say how to reach them.

python -m tests.simulators --data-dir DIR [--host 127.0.0.1] [--spotify-port N] [--plex-port N]
                           [--slskd-port N] [--seed N] [--scale tiny|small|default] [--speed F]
                           [--world generated|demo]
                           [--fault "slskd:POST /api/v0/searches status=429 retry_after=2 times=3"]

Writes DIR/simulators.json (URLs, credentials, folders) once every simulator listens; runs until
SIGINT or SIGTERM, then stops the servers, removes that file and exits 0.

``--world generated`` (the default) serves ``World.generate(seed, scale)``; ``--world demo`` serves
the auto-sync test world of ``tests/autosync_world.py`` (58 Spotify tracks, 29 in Plex, 20 of the
rest on Soulseek as real audio files, some only in low quality, some nowhere; ``--scale`` is
ignored), which ``scripts/develop`` uses so that an auto-sync visibly downloads and imports.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
from pathlib import Path
import signal
import sys
import time
from typing import Any

from .faults import FaultRule
from .plex import PlexSimulator
from .slskd import SlskdSimulator
from .spotify import SpotifySimulator
from .world import SCALES, World

WORLDS = ("generated", "demo")

SIMULATORS = ("spotify", "plex", "slskd")


def parse_faults(specs: list[str]) -> list[tuple[str, FaultRule]]:
    """``"sim:[METHOD] PATH key=value ..."`` -> (simulator, rule); ValueError when malformed."""
    faults = []
    for spec in specs:
        name, sep, rule = spec.partition(":")
        if not sep or name not in SIMULATORS:
            raise ValueError(f"a fault starts with spotify:, plex: or slskd: ({spec!r})")
        faults.append((name, FaultRule.parse(rule)))
    return faults


def describe(info: dict[str, Any]) -> str:
    """The human-readable version of simulators.json."""
    spotify, plex, slskd, beets = info["spotify"], info["plex"], info["slskd"], info["beets"]
    world = info["world"]
    return "\n".join(
        [
            "Simulators running (Ctrl-C or SIGTERM stops them):",
            f"  Spotify  API {spotify['api_url']}   accounts {spotify['accounts_url']}",
            f"           client id {spotify['client_id']}   client secret {spotify['client_secret']}",
            f"  Plex     {plex['url']}   token {plex['token']}",
            f"           library folder {plex['library_dir']}",
            f"  slskd    {slskd['url']}   API key {slskd['api_key']}",
            f"           downloads folder {slskd['downloads_dir']}",
            f"  beets    library {beets['library']}   music directory {beets['directory']}",
            f"  world    seed {world['seed']}: {world['tracks']:,} tracks, "
            f"{world['playlists']} playlists, {world['wanted']:,} wanted, "
            f"{world['missing']:,} missing from Plex, {world['shared_files']:,} files on "
            f"{world['peers']} Soulseek peers",
            f"  (also in {info['file']})",
        ]
    )


def _demo_world(
    spotify: SpotifySimulator, plex: PlexSimulator, slskd: SlskdSimulator, seed: int
) -> dict[str, int]:
    """Fill the simulators with the auto-sync world; its sizes, keyed like ``World.summary``."""
    from tests.autosync_world import OWNED, build_world  # only for --world demo

    world = build_world(spotify, plex, plex.music_section_key, slskd, seed=seed)
    counts = world.counts()
    return {
        "tracks": len(world.tracks),
        "playlists": 1,
        "saved": len(world.saved),
        "wanted": len(world.tracks),
        "missing": len(world.tracks) - counts[OWNED],
        "plex_tracks": counts[OWNED],
        "peers": len(world.peers),
        "shared_files": sum(len(peer.files) for peer in world.peers),
        **{f"expected_{outcome}": n for outcome, n in sorted(counts.items())},
    }


async def serve(args: argparse.Namespace, faults: list[tuple[str, FaultRule]]) -> None:
    """Run until a stop signal arrives."""
    data_dir: Path = args.data_dir.resolve()
    downloads, music, beets_dir = (
        data_dir / "slskd-downloads",
        data_dir / "music",
        data_dir / "beets",
    )
    for folder in (downloads, music, beets_dir):
        folder.mkdir(parents=True, exist_ok=True)
    info_file = data_dir / "simulators.json"
    info_file.unlink(missing_ok=True)

    started = time.perf_counter()
    spotify = SpotifySimulator()
    plex = PlexSimulator(library_dir=music)
    if args.world == "demo":
        slskd = SlskdSimulator(downloads, time_scale=args.speed)
        summary = _demo_world(spotify, plex, slskd, args.seed)
    else:
        world = World.generate(args.seed, args.scale)
        world.load_spotify(spotify)
        world.load_plex(plex)
        slskd = SlskdSimulator(downloads, peers=world.soulseek_peers(), time_scale=args.speed)
        summary = world.summary()
    generated = time.perf_counter() - started
    sims: dict[str, Any] = {"spotify": spotify, "plex": plex, "slskd": slskd}
    for name, rule in faults:
        sims[name].faults.add(rule)

    # Spotify keeps its tokens across restarts (so does a configuration that holds them).
    tokens_file = data_dir / "spotify-tokens.json"
    if tokens_file.exists():
        spotify.restore_tokens(json.loads(tokens_file.read_text()))

    def save_tokens() -> None:
        tokens_file.write_text(json.dumps(spotify.saved_tokens()))

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        spotify_url = await spotify.start(args.host, args.spotify_port)
        plex_url = await plex.start(args.host, args.plex_port)
        slskd_url = await slskd.start(args.host, args.slskd_port)
        info = {
            "pid": os.getpid(),
            "file": str(info_file),
            "spotify": {
                "url": spotify_url,
                "api_url": f"{spotify_url}/v1",
                "accounts_url": spotify_url,
                "authorize_url": f"{spotify_url}/authorize",
                "token_url": f"{spotify_url}/api/token",
                "client_id": spotify.client_id,
                "client_secret": spotify.client_secret,
                "user_id": spotify.user.id,
            },
            "plex": {
                "url": plex_url,
                "token": plex.token,
                "machine_identifier": plex.machine_identifier,
                "music_section": str(plex.music_section_key),
                "library_dir": str(music),
            },
            "slskd": {"url": slskd_url, "api_key": slskd.api_key, "downloads_dir": str(downloads)},
            "beets": {"library": str(beets_dir / "library.db"), "directory": str(music)},
            "world": {
                "seed": args.seed,
                "scale": args.scale,
                "kind": args.world,
                "generated_seconds": round(generated, 3),
                **summary,
            },
        }
        # Written whole, then renamed: a reader never sees half a file.
        partial = info_file.with_suffix(".json.partial")
        partial.write_text(json.dumps(info, indent=2, ensure_ascii=False))
        partial.replace(info_file)
        print(describe(info), flush=True)
        while True:
            try:
                await asyncio.wait_for(stop.wait(), 10)
            except TimeoutError:
                save_tokens()
            else:
                break
    finally:
        save_tokens()
        for sim in (slskd, plex, spotify):
            await sim.stop()
        info_file.unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit code."""
    parser = argparse.ArgumentParser(
        prog="python -m tests.simulators", description=(__doc__ or "").splitlines()[0]
    )
    parser.add_argument("--data-dir", type=Path, required=True, help="downloads, music, beets")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--spotify-port", type=int, default=0, help="0: any free port")
    parser.add_argument("--plex-port", type=int, default=0, help="0: any free port")
    parser.add_argument("--slskd-port", type=int, default=0, help="0: any free port")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--scale", choices=list(SCALES), default="small")
    parser.add_argument(
        "--world",
        choices=list(WORLDS),
        default="generated",
        help="generated: World.generate(seed, scale); demo: the auto-sync world (58 tracks)",
    )
    parser.add_argument(
        "--speed", type=float, default=1.0, help="slskd time scale (0.1 = ten times faster)"
    )
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="SIM:SPEC",
        help='e.g. "plex:GET /library status=503 times=2" (see tests/simulators/faults.py)',
    )
    args = parser.parse_args(argv)
    try:
        faults = parse_faults(args.fault)
    except ValueError as err:
        parser.error(str(err))
    if args.speed <= 0:
        parser.error("--speed must be positive")
    try:
        asyncio.run(serve(args, faults))
    except OSError as err:  # e.g. a port in use
        print(f"error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # a second Ctrl-C while stopping
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
