"""Where an atlas keeps its rows: one Parquet table that DuckDB (and the app) query with SQL.

While it is built, each finished unit is appended as one JSON line to its chunk's part file
(a killed run loses at most the units in flight); a finished chunk becomes a Parquet part; the
finished atlas is compacted into `atlas.parquet`. `read_rows` sees all three, so a resumed run
skips every unit already described.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

ATLAS_FILE = "atlas.parquet"
PARTS = "parts"
META_FILE = "meta.json"
PROGRESS_FILE = "progress.json"

#: Columns every row has (scores add one column per registered metric).
COLUMNS = ("address", "model", "layer", "index", "kind", "description", "label", "confidence",
           "scores", "data", "top_exemplars", "run_dir", "wall_s", "policy", "corpus")


def parts_dir(out: Path) -> Path:
    path = Path(out) / PARTS
    path.mkdir(parents=True, exist_ok=True)
    return path


def append_row(out: Path, chunk_key: str, row: dict[str, Any]) -> None:
    """Append one unit's row to its chunk's JSONL part (flushed and fsynced)."""
    path = parts_dir(out) / f"{chunk_key}.jsonl"
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(row, default=str) + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def seal_chunk(out: Path, chunk_key: str) -> None:
    """Turn a finished chunk's JSONL part into a Parquet part (atomically)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    source = parts_dir(out) / f"{chunk_key}.jsonl"
    rows = _jsonl(source)
    if not rows:
        return
    target = parts_dir(out) / f"{chunk_key}.parquet"
    tmp = target.with_suffix(".tmp")
    pq.write_table(pa.Table.from_pylist(_dedupe(rows)), tmp)
    os.replace(tmp, target)
    source.unlink(missing_ok=True)


def _jsonl(path: Path) -> list[dict[str, Any]]:
    rows = []
    if not path.exists():
        return rows
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:  # a line torn by a kill mid-write
            continue
    return rows


def _dedupe(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per unit (the last written wins: a retried chunk rewrites its units)."""
    by_unit = {row["address"]: row for row in rows}
    return sorted(by_unit.values(), key=lambda r: (r["layer"], r["index"]))


def read_rows(out: Path) -> list[dict[str, Any]]:
    """Every unit row written so far: the compacted atlas, Parquet parts and JSONL parts."""
    import pyarrow.parquet as pq

    out = Path(out)
    rows: list[dict[str, Any]] = []
    if (out / ATLAS_FILE).exists():
        rows += pq.read_table(out / ATLAS_FILE).to_pylist()
    part_dir = out / PARTS
    if part_dir.is_dir():
        for path in sorted(part_dir.glob("*.parquet")):
            rows += pq.read_table(path).to_pylist()
        for path in sorted(part_dir.glob("*.jsonl")):
            rows += _jsonl(path)
    return _dedupe(rows)


def compact(out: Path) -> Path:
    """Write every row into `atlas.parquet` (atomically) and remove the parts."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    out = Path(out)
    rows = read_rows(out)
    target = out / ATLAS_FILE
    tmp = target.with_suffix(".tmp")
    pq.write_table(pa.Table.from_pylist(rows), tmp)
    os.replace(tmp, target)
    part_dir = out / PARTS
    if part_dir.is_dir():
        for path in part_dir.iterdir():
            path.unlink()
        part_dir.rmdir()
    return target


def write_json(path: Path, data: dict[str, Any]) -> None:
    tmp = Path(path).with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=1, default=str))
    os.replace(tmp, path)


def write_progress(out: Path, done: int, total: int, started: float, new_units: int) -> dict:
    """Units done, units per minute and the estimated time left, for people and the app."""
    elapsed = max(time.time() - started, 1e-6)
    rate = new_units / elapsed * 60
    left = total - done
    progress = {"units_total": total, "units_done": done,
                "units_per_minute": round(rate, 2),
                "eta_s": round(left / rate * 60, 1) if rate > 0 else None,
                "updated": time.time()}
    write_json(Path(out) / PROGRESS_FILE, progress)
    return progress


def query(out: Path, sql: str) -> list[dict[str, Any]]:
    """Run SQL over the atlas (as table `atlas`) with DuckDB; rows as dicts."""
    import duckdb

    out = Path(out)
    connection = duckdb.connect()
    try:
        files = [str(out / ATLAS_FILE)] if (out / ATLAS_FILE).exists() else []
        files += [str(p) for p in sorted((out / PARTS).glob("*.parquet"))] if (
            out / PARTS).is_dir() else []
        if not files:
            raise FileNotFoundError(f"{out} holds no atlas rows yet")
        listing = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
        connection.execute(f"CREATE VIEW atlas AS SELECT * FROM read_parquet([{listing}], "
                           "union_by_name = true)")
        result = connection.execute(sql)
        names = [d[0] for d in result.description]
        return [dict(zip(names, row, strict=True)) for row in result.fetchall()]
    finally:
        connection.close()
