"""`scheda backup PATH` and `scheda restore PATH`.

An archive is one gzip-compressed tar file holding
- `database.sqlite3` (SQLite's online backup of the live database) or `database.pgdump`
  (`pg_dump --format=custom`),
- `files/...`, every uploaded file under MEDIA_ROOT,
- `manifest.json`, last: the format, Scheda's version, the database vendor, when, the counts of
  records, attachments, users and files, and the size and SHA-256 of every other member.

A restore reads the whole archive into staging folders and checks every checksum before it
touches anything; then it swaps the files folder, replaces the database and checks the result.
"""

from __future__ import annotations

import fcntl
import gzip
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import zlib
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import IO, Any

from django.conf import settings
from django.db import connection, connections, transaction
from django.utils import timezone

import scheda

FORMAT = "scheda-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DATABASE_MEMBER = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
VENDOR_NAME = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
FILES = "files"
CHUNK = 1024 * 1024


class BackupError(Exception):
    """A backup or restore that cannot go on: the message is one line for the person running it."""


def counted_tables() -> dict[str, str]:
    """The tables whose row counts the manifest keeps and a restore compares."""
    from scheda.accounts.models import User
    from scheda.activities.models import Attachment
    from scheda.records.models import Record

    return {"records": Record._meta.db_table, "attachments": Attachment._meta.db_table,
            "users": User._meta.db_table}


def _count_rows(cursor: Any) -> dict[str, int]:
    counts = {}
    for name, table in counted_tables().items():
        cursor.execute(f'SELECT count(*) FROM "{table}"')
        counts[name] = cursor.fetchone()[0]
    return counts


def media_root() -> Path:
    return Path(settings.MEDIA_ROOT)


def _media_files(root: Path) -> Iterator[tuple[Path, str]]:
    """Every regular file under the files folder, with its name inside it (symbolic links are
    not followed: uploads are never links)."""
    if not root.is_dir():
        return
    for folder, dirs, names in os.walk(root):
        dirs.sort()
        for name in sorted(names):
            file = Path(folder) / name
            if file.is_file() and not file.is_symlink():
                yield file, file.relative_to(root).as_posix()


def _pg_environment() -> dict[str, str]:
    """pg_dump and pg_restore connect with Django's settings; the password goes in PGPASSWORD,
    never on the command line."""
    db = connection.settings_dict
    env = dict(os.environ)
    for key, variable in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"), ("PASSWORD", "PGPASSWORD")):
        if db.get(key):
            env[variable] = str(db[key])
    for option, variable in (("sslmode", "PGSSLMODE"), ("sslrootcert", "PGSSLROOTCERT"),
                             ("sslcert", "PGSSLCERT"), ("sslkey", "PGSSLKEY")):
        if db.get("OPTIONS", {}).get(option):
            env[variable] = str(db["OPTIONS"][option])
    return env


def _program(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} is not installed: install the PostgreSQL client tools of your server's version "
                          f"(Debian/Ubuntu: apt-get install postgresql-client)")
    return found


def _first_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[0] if lines else "no message"


def _vendor() -> str:
    if connection.vendor not in DATABASE_MEMBER:
        raise BackupError(f"backups are made of SQLite and PostgreSQL databases, not {connection.vendor}")
    return connection.vendor


# Backup ----------------------------------------------------------------------------------------


def _sqlite_copy(target: Path) -> dict[str, int]:
    """SQLite's online backup: one step copies every page under one read transaction, so the copy
    is the database as of one moment while the server goes on writing (WAL lets it)."""
    name = Path(connection.settings_dict["NAME"]).resolve()
    if not name.is_file():
        raise BackupError(f"there is no database at {name}: nothing to back up")
    source = sqlite3.connect(f"{name.as_uri()}?mode=ro", uri=True, timeout=20)
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        return _count_rows(copy.cursor())
    finally:
        copy.close()
        source.close()


def _pg_dump(target: Path) -> dict[str, int]:
    """pg_dump reads the snapshot of a transaction that also counts the rows, so the counts in
    the manifest are those of the dump even while the server writes."""
    pg_dump = _program("pg_dump")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
        counts = _count_rows(cursor)
        # Uncompressed inside: the archive is gzip-compressed as a whole.
        done = subprocess.run([pg_dump, "--format=custom", "--compress=0", f"--snapshot={snapshot}", "--no-password",
                               "--file", str(target), "--dbname", connection.settings_dict["NAME"]],
                              env=_pg_environment(), capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError(f"pg_dump failed: {_first_line(done.stderr)}")
    return counts


class _Hashing:
    """A file read through, its SHA-256 taken on the way."""

    def __init__(self, file: IO[bytes]):
        self.file, self.sha256 = file, hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.file.read(size)
        self.sha256.update(data)
        return data


def _add(archive: tarfile.TarFile, source: Path, name: str, members: dict[str, dict]) -> None:
    with open(source, "rb") as file:
        info = tarfile.TarInfo(name)
        info.size = os.fstat(file.fileno()).st_size
        info.mtime = int(os.fstat(file.fileno()).st_mtime)
        info.mode = 0o600
        reader = _Hashing(file)
        archive.addfile(info, reader)  # type: ignore[arg-type]
    members[name] = {"size": info.size, "sha256": reader.sha256.hexdigest()}


def backup(path: Path, *, force: bool = False) -> dict[str, Any]:
    """Write the archive at `path` (refused if it exists, unless `force`); returns its manifest.
    The archive is written beside `path` and moved there at the end, so a failed backup leaves
    no half archive behind."""
    path = Path(path).expanduser().absolute()
    if path.is_dir():
        raise BackupError(f"{path} is a folder: name the archive file to write, e.g. {path / 'scheda-backup.tar.gz'}")
    if path.exists() and not force:
        raise BackupError(f"{path} already exists: use --force to replace it")
    vendor = _vendor()
    if vendor == "postgresql":
        _program("pg_dump")
    if not path.parent.is_dir():
        raise BackupError(f"cannot write {path}: {path.parent} is not a folder")
    try:
        work = Path(tempfile.mkdtemp(prefix=".scheda-backup-", dir=path.parent))
    except OSError as exc:
        raise BackupError(f"cannot write {path}: {exc.strerror or exc}") from None
    try:
        dump = work / DATABASE_MEMBER[vendor]
        # The database first, then the files: a file is written before its attachment row
        # commits, so every attachment in the copy has its file unless it was deleted meanwhile.
        counts = _sqlite_copy(dump) if vendor == "sqlite" else _pg_dump(dump)
        members: dict[str, dict] = {}
        partial = work / "archive.tar.gz"
        with tarfile.open(partial, "w:gz", compresslevel=6) as archive:
            _add(archive, dump, dump.name, members)
            dump.unlink()
            files = 0
            for file, name in _media_files(media_root()):
                try:
                    _add(archive, file, f"{FILES}/{name}", members)
                except FileNotFoundError:
                    continue  # deleted since it was listed: it belongs to no record of the copy
                files += 1
            manifest = {
                "format": FORMAT, "format_version": FORMAT_VERSION, "scheda_version": scheda.__version__,
                "database": vendor, "created_at": timezone.now().isoformat(timespec="seconds"),
                "counts": {**counts, "files": files}, "members": members,
            }
            data = json.dumps(manifest, indent=2).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mtime, info.mode = len(data), int(timezone.now().timestamp()), 0o600
            archive.addfile(info, io.BytesIO(data))
        os.chmod(partial, 0o600)  # the archive holds every record and password hash
        os.replace(partial, path)
    except OSError as exc:
        raise BackupError(f"cannot write {path}: {exc.strerror or exc}") from None
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return manifest


# Restore ---------------------------------------------------------------------------------------


def _member_path(name: str) -> PurePosixPath | None:
    """The path inside files/ of an archive member, or None if the name is not a safe one."""
    parts = PurePosixPath(name).parts
    if len(parts) < 2 or parts[0] != FILES or any(part in ("", ".", "..") for part in parts) or name.startswith("/"):
        return None
    return PurePosixPath(*parts[1:])


def _unpack(path: Path, database: Path, files: Path) -> dict[str, Any]:
    """Read the whole archive: the database member into `database` (its name then says which
    vendor), uploaded files under `files`; check every member against the manifest. Raises
    BackupError for anything missing, extra, damaged or unsafe."""
    damaged = f"{path} is damaged or not a Scheda backup"
    seen: dict[str, dict] = {}
    manifest = None
    try:
        # Read as a stream to the very end, so the gzip checksum of the whole file is checked too.
        with gzip.open(path, "rb") as stream, tarfile.open(fileobj=stream, mode="r|") as archive:
            for member in archive:
                if member.name in seen or (member.name == MANIFEST and manifest is not None):
                    raise BackupError(f"{damaged} (it holds {member.name} twice): nothing was restored")
                if not member.isfile():
                    raise BackupError(f"{damaged} ({member.name} is not a plain file): nothing was restored")
                source = archive.extractfile(member)
                assert source is not None
                if member.name == MANIFEST:
                    try:
                        manifest = json.loads(source.read(10 * CHUNK))
                    except ValueError:
                        raise BackupError(f"{damaged} (its manifest is not JSON): nothing was restored") from None
                    continue
                if member.name in DATABASE_MEMBER.values():
                    target = database.with_name(member.name)
                else:
                    inside = _member_path(member.name)
                    if inside is None:
                        raise BackupError(f"{damaged} (unexpected member {member.name}): nothing was restored")
                    target = files / inside
                    target.parent.mkdir(parents=True, exist_ok=True)
                digest = hashlib.sha256()
                with open(target, "wb") as out:
                    while chunk := source.read(CHUNK):
                        digest.update(chunk)
                        out.write(chunk)
                seen[member.name] = {"size": member.size, "sha256": digest.hexdigest()}
            while stream.read(CHUNK):
                pass
    except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise BackupError(f"{damaged} ({_first_line(str(exc)) or type(exc).__name__}): nothing was restored") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{damaged} (its manifest is missing: cut short or damaged): nothing was restored")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(f"{path} is a backup of format {manifest.get('format_version')}, this Scheda reads format "
                          f"{FORMAT_VERSION}: nothing was restored")
    listed = manifest.get("members") or {}
    missing = sorted(set(listed) - set(seen))
    extra = sorted(set(seen) - set(listed))
    wrong = sorted(name for name in set(listed) & set(seen) if listed[name] != seen[name])
    if missing or extra or wrong:
        what = (f"{len(wrong)} member(s) fail their checksum, e.g. {wrong[0]}" if wrong else
                f"{len(missing)} member(s) missing, e.g. {missing[0]}" if missing else
                f"{len(extra)} member(s) not in its manifest, e.g. {extra[0]}")
        raise BackupError(f"{damaged} ({what}): nothing was restored")
    if DATABASE_MEMBER.get(manifest.get("database", "")) not in seen:
        raise BackupError(f"{damaged} (no database in it): nothing was restored")
    return manifest


def _check_vendor(manifest: dict[str, Any], vendor: str, path: Path) -> None:
    made = manifest["database"]
    if made != vendor:
        raise BackupError(
            f"{path} is a backup of a {VENDOR_NAME.get(made, made)} database and this Scheda uses {VENDOR_NAME[vendor]}: "
            f"restore it into a Scheda configured for {VENDOR_NAME.get(made, made)} (nothing was restored)")


def _replace_sqlite(staged: Path) -> None:
    """Move the restored file over the database; the server must be stopped. Its -wal and -shm
    go too: an old write-ahead log replayed onto the restored file would corrupt it."""
    live = Path(connection.settings_dict["NAME"])
    connections.close_all()
    if _open_elsewhere(live):
        # A server keeps its connections open between requests: it would go on writing into the
        # file this one replaces, and lose what it wrote.
        raise BackupError(f"the database {live} is open in another process (a running server?): "
                          "stop it, then restore (nothing was restored)")
    for suffix in ("-wal", "-shm", "-journal"):
        Path(f"{live}{suffix}").unlink(missing_ok=True)
    os.replace(staged, live)


def _open_elsewhere(live: Path) -> bool:
    """Whether another process has the SQLite database open. Each connection to a database in
    WAL mode holds a read lock on byte 128 of its -shm file for as long as it is open (the "DMS"
    lock of SQLite's os_unix.c), so a write lock on that byte is refused while one is."""
    try:
        shm = os.open(f"{live}-shm", os.O_RDWR)
    except FileNotFoundError:
        return False  # the last connection to close removes it
    try:
        fcntl.lockf(shm, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, 128)
    except OSError:
        return True
    finally:
        os.close(shm)  # and with it this process's lock
    return False


def _replace_postgresql(staged: Path) -> None:
    """pg_restore in one transaction: if any statement fails, the database is as it was."""
    pg_restore = _program("pg_restore")
    connections.close_all()
    done = subprocess.run([pg_restore, "--clean", "--if-exists", "--no-owner", "--single-transaction", "--no-password",
                           "--dbname", connection.settings_dict["NAME"], str(staged)],
                          env=_pg_environment(), capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError(f"pg_restore failed, the database is unchanged: {_first_line(done.stderr)}")


def restore(path: Path) -> dict[str, Any]:
    """Replace the database and the uploaded files with the archive's; returns its manifest.
    Nothing is changed unless the whole archive checks out against its manifest."""
    path = Path(path).expanduser().absolute()
    if not path.is_file():
        raise BackupError(f"there is no archive at {path}")
    vendor = _vendor()
    if vendor == "postgresql":
        _program("pg_restore")
    media = media_root()
    media.parent.mkdir(parents=True, exist_ok=True)
    # Staging folders on the same file systems as what they replace, so the swaps are renames.
    database_folder = Path(connection.settings_dict["NAME"]).parent if vendor == "sqlite" else media.parent
    database_folder.mkdir(parents=True, exist_ok=True)
    try:
        staging = Path(tempfile.mkdtemp(prefix=".scheda-restore-", dir=media.parent))
        staging_database = Path(tempfile.mkdtemp(prefix=".scheda-restore-", dir=database_folder))
    except OSError as exc:
        raise BackupError(f"cannot restore: {exc.strerror or exc}") from None
    before = media.parent / f"{staging.name}-files-before"
    try:
        new_files = staging / FILES
        new_files.mkdir()
        manifest = _unpack(path, staging_database / "database", new_files)
        _check_vendor(manifest, vendor, path)
        staged = staging_database / DATABASE_MEMBER[vendor]
        if media.exists():
            os.rename(media, before)
        os.rename(new_files, media)
        try:
            _replace_sqlite(staged) if vendor == "sqlite" else _replace_postgresql(staged)
        except BaseException:
            # The database stayed as it was: so do the files.
            os.rename(media, new_files)
            if before.exists():
                os.rename(before, media)
            raise
    except OSError as exc:
        raise BackupError(f"cannot restore: {exc.strerror or exc} ({getattr(exc, 'filename', '')})") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        shutil.rmtree(staging_database, ignore_errors=True)
        shutil.rmtree(before, ignore_errors=True)
    return manifest


def check(manifest: dict[str, Any]) -> list[str]:
    """The restored copy's problems, none if it is sound: SQLite's integrity and foreign key
    checks, migrations not applied, and counts that differ from the manifest's."""
    from django.db.migrations.executor import MigrationExecutor

    problems = []
    connections.close_all()
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA integrity_check")
            result = [row[0] for row in cursor.fetchall()]
            if result != ["ok"]:
                problems.append(f"SQLite's integrity check says: {result[0]}")
            cursor.execute("PRAGMA foreign_key_check")
            broken = cursor.fetchall()
            if broken:
                problems.append(f"{len(broken)} row(s) point to rows that do not exist, e.g. in {broken[0][0]}")
        counts = _count_rows(cursor)
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        problems.append(f"{len(plan)} migration(s) are not applied: run `scheda migrate`")
    counts["files"] = sum(1 for _ in _media_files(media_root()))
    for name, expected in manifest.get("counts", {}).items():
        if counts.get(name) != expected:
            problems.append(f"{counts.get(name)} {name} where the backup had {expected}")
    return problems
