"""Start the Spotify, Plex and slskd simulators together and print how to reach them.

python -m tests.simulators --data-dir DIR [--host 127.0.0.1] [--spotify-port N] [--plex-port N]
                           [--slskd-port N] [--seed N] [--scale small|default] [--speed F]
                           [--fault "plex:GET /library status=503 times=2" ...]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
from pathlib import Path
import signal
from typing import Any

from .plex import PlexSimulator
from .slskd import SlskdSimulator
from .spotify import SpotifySimulator
from .world import World

SCALES = {"small": 0.05, "default": 1.0}


async def serve(args: argparse.Namespace) -> None:
    data_dir: Path = args.data_dir.resolve()
    downloads = data_dir / "slskd-downloads"
    music = data_dir / "music"
    beets_dir = data_dir / "beets"
    for folder in (downloads, music, beets_dir):
        folder.mkdir(parents=True, exist_ok=True)

    world = World.generate(args.seed, SCALES[args.scale])
    spotify = SpotifySimulator()
    world.load_spotify(spotify)
    plex = PlexSimulator(library_dir=music)
    plex.add_tracks(plex.music_section_key, world.plex_tracks(root=str(music)))
    slskd = SlskdSimulator(downloads, peers=world.soulseek_peers(), time_scale=args.speed)
    sims: dict[str, Any] = {"spotify": spotify, "plex": plex, "slskd": slskd}
    for spec in args.fault:
        name, _, rule = spec.partition(":")
        if name not in sims:
            raise SystemExit(f"--fault must start with spotify:, plex: or slskd: ({spec!r})")
        sims[name].faults.add(rule)

    spotify_url = await spotify.start(args.host, args.spotify_port)
    plex_url = await plex.start(args.host, args.plex_port)
    slskd_url = await slskd.start(args.host, args.slskd_port)
    info = {
        "spotify": {
            "api_url": f"{spotify_url}/v1",
            "accounts_url": spotify_url,
            "client_id": spotify.client_id,
            "client_secret": spotify.client_secret,
        },
        "plex": {"url": plex_url, "token": plex.token, "library_dir": str(music)},
        "slskd": {"url": slskd_url, "api_key": slskd.api_key, "downloads_dir": str(downloads)},
        "beets": {"library": str(beets_dir / "library.db"), "directory": str(music)},
    }
    (data_dir / "simulators.json").write_text(json.dumps(info, indent=2))
    print("Simulators running:")
    print(f"  Spotify  API {info['spotify']['api_url']}  accounts {spotify_url}")
    print(f"           client id {spotify.client_id}  client secret {spotify.client_secret}")
    print(f"  Plex     {plex_url}  token {plex.token}")
    print(f"  slskd    {slskd_url}  API key {slskd.api_key}  downloads folder {downloads}")
    print(f"  beets    library {info['beets']['library']}  music directory {music}")
    print(
        f"  world: {len(world.tracks):,} tracks, {len(world.playlists)} playlists, "
        f"{len(world.wanted):,} wanted, {len(world.missing):,} missing from Plex"
    )
    print(f"  (also in {data_dir / 'simulators.json'})", flush=True)

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        for sim in (spotify, plex, slskd):
            await sim.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--spotify-port", type=int, default=0)
    parser.add_argument("--plex-port", type=int, default=0)
    parser.add_argument("--slskd-port", type=int, default=0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--scale", choices=sorted(SCALES), default="small")
    parser.add_argument(
        "--speed", type=float, default=1.0, help="slskd time scale (0.1 = 10x faster)"
    )
    parser.add_argument(
        "--fault", action="append", default=[], help="SIM:[METHOD] PATH key=value ..."
    )
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args))


if __name__ == "__main__":
    main()
