"""What the database holder reads, and how: the catalog, every table, heap pages, WAL, dumps.

Nothing here knows the application's schema. Tables, columns, keys and references come from
the catalog; rows are read whole; PostgreSQL's pages and WAL are decoded only as far as the
server's own tools and file formats allow (pageinspect, pg_waldump, the WAL page layout).
"""

from __future__ import annotations

import json
import re
import subprocess
import uuid
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, inspect, text
from sqlalchemy.engine import make_url

# Transaction ids below 3 are "invalid", "bootstrap" and "frozen": no transaction of ours.
FIRST_NORMAL_XID = 3

# t_infomask bits (src/include/access/htup_details.h).
HEAP_XMAX_KEYSHR_LOCK = 0x0010
HEAP_XMAX_EXCL_LOCK = 0x0040
HEAP_XMAX_LOCK_ONLY = 0x0080
HEAP_LOCK_MASK = HEAP_XMAX_KEYSHR_LOCK | HEAP_XMAX_EXCL_LOCK
HEAP_XMIN_FROZEN = 0x0300
HEAP_XMAX_INVALID = 0x0800
HEAP_XMAX_IS_MULTI = 0x1000

UUID_BYTES = 16

# The WAL's page layout (src/include/access/xlog_internal.h): every 8 kB page starts with a
# short header, the first page of a segment with a long one.
WAL_SHORT_HEADER = 24
WAL_LONG_HEADER = 40


@dataclass(frozen=True)
class Table:
    """One table as the catalog describes it."""

    name: str
    columns: tuple[str, ...]
    key: tuple[str, ...]
    date_columns: tuple[str, ...]
    # Referenced table -> the columns of this table that point at it.
    references: dict[str, tuple[str, ...]]


Catalog = dict[str, Table]


def read_catalog(engine: Engine) -> Catalog:
    """Every table of the schema, with its columns, primary key and foreign keys."""
    inspector = inspect(engine)
    every_columns = inspector.get_multi_columns()
    keys = inspector.get_multi_pk_constraint()
    foreign_keys = inspector.get_multi_foreign_keys()
    catalog = {}
    for (schema, name), columns in every_columns.items():
        references: dict[str, tuple[str, ...]] = {}
        for foreign in foreign_keys[(schema, name)]:
            target = foreign["referred_table"]
            references[target] = references.get(target, ()) + tuple(foreign["constrained_columns"])
        catalog[name] = Table(
            name=name,
            columns=tuple(column["name"] for column in columns),
            key=tuple(keys[(schema, name)]["constrained_columns"] or ()),
            date_columns=tuple(
                column["name"]
                for column in columns
                if type(column["type"]).__name__.upper() in ("DATE", "DATETIME", "TIMESTAMP")
            ),
            references=references,
        )
    return catalog


# --------------------------------------------------------------------------- live rows


@dataclass(frozen=True)
class Row:
    """A row as a query returns it, with what the server tells about its physical version."""

    values: dict[str, Any]
    content: str
    # PostgreSQL: the ctid (page, item); SQLite: the rowid.
    position: tuple[int, ...]
    xmin: int | None = None
    xmax: int | None = None


# Table name -> row identity (its primary key, else the whole row) -> row.
Snapshot = dict[str, dict[tuple, Row]]


def identity(table: Table, values: dict[str, Any]) -> tuple:
    if table.key:
        return tuple(str(values[column]) for column in table.key)
    return tuple(sorted((key, str(value)) for key, value in values.items()))


def _jsonable(value: Any) -> Any:
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    return value if isinstance(value, int | float | str | type(None)) else str(value)


def snapshot(connection: Connection, catalog: Catalog) -> Snapshot:
    """Every row of every table with its ctid, xmin and xmax (PostgreSQL: one statement, so one
    consistent view) or its rowid (SQLite)."""
    taken: Snapshot = {name: {} for name in catalog}
    if connection.dialect.name == "postgresql":
        # One statement for all tables; the names come from the catalog, never from outside.
        query = " UNION ALL ".join(
            f"SELECT '{table.name}', ctid::text, xmin::text, xmax::text, "  # noqa: S608
            f'row_to_json(t)::text FROM "{table.name}" t'
            for table in catalog.values()
        )
        for name, ctid, xmin, xmax, content in connection.exec_driver_sql(query):
            values = json.loads(content)
            taken[name][identity(catalog[name], values)] = Row(
                values=values,
                content=content,
                position=tuple(int(part) for part in re.findall(r"\d+", ctid)),
                xmin=_xid(int(xmin)),
                xmax=_xid(int(xmax)),
            )
        return taken
    for table in catalog.values():
        result = connection.exec_driver_sql(f'SELECT rowid AS "rowid_", * FROM "{table.name}"')  # noqa: S608
        for record in result.mappings():
            values = {key: _jsonable(value) for key, value in record.items() if key != "rowid_"}
            taken[table.name][identity(table, values)] = Row(
                values=values,
                content=json.dumps(values, sort_keys=True),
                position=(record["rowid_"],),
            )
    return taken


def _xid(value: int) -> int | None:
    return value if value >= FIRST_NORMAL_XID else None


# ----------------------------------------------------------------------- heap pages

# Every table of the schema, and the TOAST table of each (named after its table).
RELATIONS = """
    SELECT c.oid, c.relname AS name FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind = 'r' AND n.nspname = 'public'
    UNION ALL
    SELECT c.reltoastrelid, c.relname || ' (toast)' FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind = 'r' AND n.nspname = 'public' AND c.reltoastrelid <> 0
"""


@dataclass(frozen=True)
class HeapTuple:
    """One tuple of a heap page, live or dead, as pageinspect shows it."""

    table: str
    position: tuple[int, int]
    xmin: int | None
    xmax: int | None
    data: bytes
    # Column name -> the attribute's raw bytes (tuple_data_split), None when null.
    fields: dict[str, bytes | None] = field(default_factory=dict)


def tuple_xmin(xmin: int, infomask: int) -> int | None:
    """The inserting transaction, unless the tuple is frozen."""
    if infomask & HEAP_XMIN_FROZEN == HEAP_XMIN_FROZEN:
        return None
    return _xid(xmin)


def tuple_xmax(xmax: int, infomask: int) -> int | None:
    """The deleting or updating transaction; None for 0, aborted, lock-only or multixact."""
    if infomask & (HEAP_XMAX_INVALID | HEAP_XMAX_IS_MULTI | HEAP_XMAX_LOCK_ONLY):
        return None
    if infomask & (HEAP_XMAX_IS_MULTI | HEAP_LOCK_MASK) == HEAP_XMAX_EXCL_LOCK:
        return None  # a pre-9.3 style exclusive lock: lock-only as well
    return _xid(xmax)


def heap_tuples(connection: Connection) -> list[HeapTuple]:
    """Every tuple on every page of every table of the schema and of its TOAST tables."""
    columns: dict[int, dict[int, str]] = defaultdict(dict)
    for relation, number, name in connection.execute(
        text(
            f"SELECT a.attrelid, a.attnum, a.attname FROM ({RELATIONS}) r "  # noqa: S608
            "JOIN pg_attribute a ON a.attrelid = r.oid WHERE a.attnum > 0 AND NOT a.attisdropped"
        )
    ):
        columns[relation][number] = name
    relations = connection.execute(
        text(
            "SELECT oid, name, oid::regclass::text, "  # noqa: S608
            "pg_relation_size(oid) / current_setting('block_size')::int "
            f"FROM ({RELATIONS}) r"
        )
    ).all()
    found = []
    for relation, name, qualified, pages in relations:
        if not pages:
            continue
        items = connection.execute(
            text(
                "SELECT block, lp, t_xmin::text::bigint, t_xmax::text::bigint, t_infomask, "
                "t_data, tuple_data_split(:oid, t_data, t_infomask, t_infomask2, t_bits) "
                "FROM generate_series(0, :pages - 1) AS block, "
                "heap_page_items(get_raw_page(:relation, block)) WHERE t_data IS NOT NULL"
            ),
            {"oid": relation, "relation": qualified, "pages": pages},
        ).all()
        attributes = columns[relation]
        for block, lp, xmin, xmax, infomask, data, split in items:
            found.append(
                HeapTuple(
                    table=name,
                    position=(block, lp),
                    xmin=tuple_xmin(xmin, infomask),
                    xmax=tuple_xmax(xmax, infomask),
                    data=bytes(data),
                    fields={
                        attributes[number]: None if raw is None else bytes(raw)
                        for number, raw in enumerate(split or (), start=1)
                        if number in attributes
                    },
                )
            )
    return found


def decode_field(raw: bytes | None) -> int | str | None:
    """A fixed-width attribute's value: int2/int4/int8 (little-endian, as on x86 and ARM) or a
    uuid; None for anything else (the raw bytes are searched as text instead)."""
    if raw is None:
        return None
    if len(raw) in (2, 4, 8):
        return int.from_bytes(raw, "little", signed=True)
    if len(raw) == UUID_BYTES:
        return str(uuid.UUID(bytes=raw))
    return None


# ------------------------------------------------------------------------------ WAL


@dataclass(frozen=True)
class WalPosition:
    """Where the WAL of this server lives and how it is cut into segments."""

    directory: Path
    segment_size: int
    timeline: int
    database_oid: int

    @classmethod
    def of(cls, connection: Connection) -> WalPosition:
        data_directory = connection.execute(text("SHOW data_directory")).scalar_one()
        segment = connection.execute(
            text("SELECT setting::bigint FROM pg_settings WHERE name = 'wal_segment_size'")
        ).scalar_one()
        timeline = connection.execute(
            text("SELECT timeline_id FROM pg_control_checkpoint()")
        ).scalar_one()
        database = connection.execute(
            text("SELECT oid FROM pg_database WHERE datname = current_database()")
        ).scalar_one()
        return cls(Path(data_directory) / "pg_wal", segment, timeline, database)

    def segment_name(self, lsn: int) -> str:
        number = lsn // self.segment_size
        per_id = 0x1_0000_0000 // self.segment_size
        return f"{self.timeline:08X}{number // per_id:08X}{number % per_id:08X}"


def current_lsn(connection: Connection) -> int:
    return parse_lsn(connection.execute(text("SELECT pg_current_wal_lsn()::text")).scalar_one())


def parse_lsn(value: str) -> int:
    high, low = value.split("/")
    return (int(high, 16) << 32) | int(low, 16)


def format_lsn(lsn: int) -> str:
    return f"{lsn >> 32:X}/{lsn & 0xFFFFFFFF:X}"


@dataclass(frozen=True)
class WalRecord:
    """One heap record of the WAL: which transaction wrote which tuple position, and its bytes."""

    lsn: int
    xid: int
    kind: str  # INSERT, UPDATE, HOT_UPDATE, DELETE, LOCK, ...
    filenode: int
    block: int
    # An update's old tuple, when on another page than the new one (blkref #1).
    old_block: int | None
    offset: int | None
    new_offset: int | None
    data: bytes


_RECORD = re.compile(
    r"rmgr: (?P<rmgr>\w+)\s+len \(rec/tot\):\s*(?P<rec>\d+)/\s*(?P<tot>\d+), "
    r"tx:\s*(?P<xid>\d+), lsn: (?P<lsn>[0-9A-F]+/[0-9A-F]+), prev [0-9A-F/]+, desc: (?P<desc>.*)"
)
_BLOCK = re.compile(r"blkref #(\d+): rel (\d+)/(\d+)/(\d+)(?: fork \w+)? blk (\d+)")


class WalFiles:
    """The raw bytes of records, read from the segment files with their page headers removed."""

    def __init__(self, where: WalPosition, page_size: int = 8192) -> None:
        self.where = where
        self.page_size = page_size
        self._segments: dict[str, bytes] = {}

    def _segment(self, lsn: int) -> bytes:
        name = self.where.segment_name(lsn)
        if name not in self._segments:
            self._segments[name] = (self.where.directory / name).read_bytes()
        return self._segments[name]

    def read(self, lsn: int, length: int) -> bytes:
        out = bytearray()
        position = lsn
        while len(out) < length:
            in_segment = position % self.where.segment_size
            in_page = in_segment % self.page_size
            if in_page == 0:
                position += WAL_LONG_HEADER if in_segment == 0 else WAL_SHORT_HEADER
                continue
            take = min(length - len(out), self.page_size - in_page)
            out += self._segment(position)[in_segment : in_segment + take]
            position += take
        return bytes(out)


def wal_records(pg_waldump: Path, where: WalPosition, start: int, end: int) -> list[WalRecord]:
    """The heap records of this database between two WAL locations, in order."""
    listing = subprocess.run(
        [
            str(pg_waldump),
            f"--path={where.directory}",
            f"--start={format_lsn(start)}",
            f"--end={format_lsn(end)}",
            "--rmgr=Heap",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    files = WalFiles(where)
    records = []
    for line in listing.splitlines():
        match = _RECORD.match(line)
        if not match:
            continue
        blocks = [tuple(map(int, found[1:])) for found in _BLOCK.findall(match["desc"])]
        ours = [block for block in blocks if block[1] == where.database_oid]
        if not ours:
            continue
        description = match["desc"]
        kind = description.split(" ", 1)[0].split("+", 1)[0]
        offset = re.match(r"\S+ off (\d+)", description)
        new_offset = re.search(r"new off (\d+)", description)
        lsn = parse_lsn(match["lsn"])
        records.append(
            WalRecord(
                lsn=lsn,
                xid=int(match["xid"]),
                kind=kind,
                filenode=ours[0][2],
                block=ours[0][3],
                old_block=ours[1][3] if len(ours) > 1 else None,
                offset=int(offset[1]) if offset else None,
                new_offset=int(new_offset[1]) if new_offset else None,
                data=files.read(lsn, int(match["tot"])),
            )
        )
    return records


def filenodes(connection: Connection) -> dict[int, str]:
    """Relation file node -> table name, for every table of the schema and its TOAST table."""
    rows = connection.execute(
        text(f"SELECT pg_relation_filenode(oid), name FROM ({RELATIONS}) r")  # noqa: S608
    ).all()
    return {node: name for node, name in rows if node}


# ----------------------------------------------------------------------------- dumps


def libpq_url(url: str) -> str:
    """The SQLAlchemy URL as libpq (pg_dump) reads it."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def pg_dump(pg_dump_binary: Path, url: str, catalog: Catalog) -> Snapshot:
    """A plain ``pg_dump --data-only``, parsed back into rows (COPY text format)."""
    dump = subprocess.run(
        [str(pg_dump_binary), "--data-only", "--no-owner", f"--dbname={libpq_url(url)}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return parse_dump(dump, catalog)


_COPY = re.compile(r"^COPY public\.(\"?)(?P<table>[^\s\"]+)\1 \((?P<columns>[^)]*)\) FROM stdin;$")
_ESCAPES = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", "\\": "\\"}


def _copy_value(raw: str) -> str | None:
    if raw == r"\N":
        return None
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m[1], m[1]), raw)


def parse_dump(dump: str, catalog: Catalog) -> Snapshot:
    taken: Snapshot = {name: {} for name in catalog}
    lines: Iterator[str] = iter(dump.splitlines())
    for line in lines:
        match = _COPY.match(line)
        if not match:
            continue
        table = catalog[match["table"]]
        columns = [column.strip().strip('"') for column in match["columns"].split(",")]
        for number, row in enumerate(lines):
            if row == r"\.":
                break
            values = dict(zip(columns, map(_copy_value, row.split("\t")), strict=True))
            taken[table.name][identity(table, values)] = Row(values, row, (number,))
    return taken
