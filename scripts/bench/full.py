"""The default run: the build of each size of territory, then, over the offline Gironde build, the
commune map, the serving rows and `itdd publish`."""

from __future__ import annotations

import statistics
import tempfile
from pathlib import Path

from bench import ROOT
from bench.builds import (
    NATIONAL_SIZE_DB,
    SYNTHETIC_BUILDS,
    measure_builds,
    measure_national_scale,
    measure_peers,
    measure_placebos,
    measure_territories,
    print_national_scale,
    print_territories,
    run_measured,
)
from bench.maps import measure_naive_path, measure_patch_path, print_map_comparison
from bench.publish import measure_publish, print_publish, territory_count
from bench.serving import measure_pages, measure_serve_memory, measure_serving, print_serving


def full_benchmark(args) -> None:
    """Every size of territory (`--territories-only` stops there), then the Gironde figures."""
    serving = territory_benchmark(args.switches, args.scale == "national")
    if args.territories_only:
        return
    gironde_benchmark(args.runs, args.switches, serving)


def territory_benchmark(switches: int, national: bool) -> dict[str, dict]:
    """The builds of each size of territory, printed; returns the serving rows at R75 and, with
    `national`, at national size."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        territories = measure_territories(folder)
        national_peers = measure_peers(folder / f"{SYNTHETIC_BUILDS[-1][0]}.duckdb")
        national_scale = measure_national_scale(folder) if national else None
        serving = {"R75 (~10x)": measure_serving(folder / "R75.duckdb", switches)}
        if national_scale:
            serving["national"] = measure_serving(folder / NATIONAL_SIZE_DB, switches)
    print_territories(territories, national_peers)
    if national_scale:
        print_national_scale(*national_scale, *territories[-1][3:])
    print(
        f"a policy's effect (synthetic control + 10 placebos, SYNTHETIC panel): {measure_placebos() * 1000:.0f} ms each"
    )
    return serving


def gironde_benchmark(runs: int, switches: int, serving: dict[str, dict]) -> None:
    """The offline Gironde build, its map against the naive one, the serving rows beside `serving`'s
    sizes, and `itdd publish`."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        db = folder / "b0.duckdb"
        times, peak = measure_builds(folder, runs)
        patch = measure_patch_path(db, switches)
        naive = measure_naive_path(db, switches)
        gironde = {
            **patch,
            "naive_bytes": naive["switch_bytes"],
            "naive_p50": naive["p50"],
            **measure_pages(db),
            "serve_mib": measure_serve_memory(db),
        }
        db_bytes = db.stat().st_size
        published = measure_publish(db, folder / "site", runs)
        territories = territory_count(db)
        mirror = ROOT.parent / "shared" / "opendata"
        mirrored = (
            run_measured(["build", "--mirror", str(mirror), "--db", str(folder / "m.duckdb")])
            if mirror.is_dir()
            else None
        )
    print_gironde_build(times, peak, runs, db_bytes, mirrored)
    print_map_comparison(patch, naive, switches)
    print_serving({"Gironde": gironde, **serving})
    print_publish(published, territories)


def print_gironde_build(
    times: list[float], peak: float, runs: int, db_bytes: int, mirrored: tuple[float, float] | None
) -> None:
    print(f"build --offline     median {statistics.median(times):.2f} s over {runs} runs (min {min(times):.2f} s)")
    print(f"build peak memory   {peak:.0f} MiB (RSS of the build process)")
    print(f"database size       {db_bytes / 1e6:.1f} MB")
    if mirrored:
        print(f"build --mirror      {mirrored[0]:.2f} s, peak {mirrored[1]:.0f} MiB (../shared/opendata)")
