"""`scheda backup` and `scheda restore` as a user runs them: real processes on a data dir of
their own, on the database the suite runs on (SQLite, or PostgreSQL when SCHEDA_DATABASE_URL
names one: then a database of its own beside the test database)."""

import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest

ROOT = Path(__file__).resolve().parents[3]
POSTGRESQL = urlparse(os.environ.get("SCHEDA_DATABASE_URL", "")).scheme in ("postgres", "postgresql", "pgsql")

# Ada with her contract, Grace without a file.
MAKE_DATA = """
from scheda.records.services import Author, Source, create_record
from scheda.activities.services import attach_file
author = Author(Source.API)
ada = create_record('contacts', {'email': 'ada@example.com', 'firstname': 'Ada'}, author)
create_record('contacts', {'email': 'grace@example.com', 'firstname': 'Grace'}, author)
attach_file(ada, 'contract.pdf', b'%PDF-1.4 the signed contract', author)
"""

# The contacts' e-mails, and every attachment's name and content as read from its file.
READ_STATE = """
import json
from scheda.records.models import Record
from scheda.activities.models import Attachment
emails = sorted(r.properties.get('email') for r in Record.objects.filter(object_type__name='contacts', archived=False))
files = sorted((a.name, a.file.open('rb').read().decode()) for a in Attachment.objects.all())
print(json.dumps({'emails': emails, 'files': files}))
"""

# Ada and her file deleted for good, a new contact made: what a restore must undo.
CHANGE_DATA = """
from scheda.records.models import Record
from scheda.records.services import Author, Source, create_record, delete_records_permanently
author = Author(Source.API)
ada = Record.objects.get(properties__email='ada@example.com')
delete_records_permanently([ada.pk], author)
create_record('contacts', {'email': 'mallory@example.com'}, author)
"""

# Writes a contact at a time until the stop file appears; says when it has begun.
KEEP_WRITING = """
import os
from scheda.records.services import Author, Source, create_record
author = Author(Source.API)
n = 0
while not os.path.exists(os.environ['BACKUP_TEST_STOP']):
    create_record('contacts', {'email': f'writer{n}@example.com', 'firstname': 'Busy'}, author)
    n += 1
    if n == 20:
        print('writing', flush=True)
print(n, flush=True)
"""

# Reads once and keeps its connection open, as a server's thread does between requests, until
# its standard input closes.
HOLD_OPEN = """
import sys
from scheda.records.models import Record
Record.objects.count()
print('open', flush=True)
sys.stdin.read()
"""

BEFORE = {"emails": ["ada@example.com", "grace@example.com"], "files": [["contract.pdf", "%PDF-1.4 the signed contract"]]}


class Site:
    """One Scheda installation: a data dir, and a database URL on PostgreSQL."""

    def __init__(self, data_dir: Path, database_url: str = ""):
        self.data_dir, self.database_url = data_dir, database_url

    def environment(self, **extra: str) -> dict[str, str]:
        environment = {k: v for k, v in os.environ.items() if not k.startswith("SCHEDA_")}
        environment["SCHEDA_DATA_DIR"] = str(self.data_dir)
        if self.database_url:
            environment["SCHEDA_DATABASE_URL"] = self.database_url
        return {**environment, **extra}

    def run(self, *args: str, **extra: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "scheda.cli", *args], cwd=ROOT, env=self.environment(**extra),
                              capture_output=True, text=True, timeout=300)

    def shell(self, code: str) -> str:
        result = self.run("shell", "--no-imports", "-c", code)
        assert result.returncode == 0, result.stderr
        return result.stdout

    def state(self) -> dict:
        return json.loads(self.shell(READ_STATE))


def fresh_postgresql_database(suffix: str, template: str = "") -> str:
    import psycopg

    url = urlparse(os.environ["SCHEDA_DATABASE_URL"])
    name = f"{url.path.lstrip('/')}_{suffix}"
    with psycopg.connect(os.environ["SCHEDA_DATABASE_URL"], autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{urlparse(template).path.lstrip("/")}"' if template else ""))
    return url._replace(path=f"/{name}").geturl()


def drop_postgresql_database(url: str) -> None:
    import psycopg

    with psycopg.connect(os.environ["SCHEDA_DATABASE_URL"], autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{urlparse(url).path.lstrip("/")}" WITH (FORCE)')


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Iterator[Site]:
    """A migrated installation holding BEFORE, which each test copies (migrating is the slow part)."""
    url = ""
    if POSTGRESQL:
        if shutil.which("pg_dump") is None or shutil.which("pg_restore") is None:
            if os.environ.get("CI") == "true":
                pytest.fail("pg_dump and pg_restore are needed for the PostgreSQL backup tests in CI")
            pytest.skip("pg_dump or pg_restore is not installed (apt-get install postgresql-client): "
                        "PostgreSQL backups are not tested")
        url = fresh_postgresql_database("cli_template")
    installation = Site(tmp_path_factory.mktemp("installed") / "data", url)
    migrated = installation.run("migrate", "--verbosity", "0")
    assert migrated.returncode == 0, migrated.stderr
    installation.shell(MAKE_DATA)
    assert installation.state() == BEFORE
    yield installation
    if url:
        drop_postgresql_database(url)


@pytest.fixture
def site(installed, tmp_path, request) -> Iterator[Site]:
    """A copy of the installation for one test: its data dir, and on PostgreSQL its database."""
    shutil.copytree(installed.data_dir, tmp_path / "data")
    if not installed.database_url:
        yield Site(tmp_path / "data")
        return
    url = fresh_postgresql_database(f"cli_{request.node.name.removeprefix('test_')[:30]}", installed.database_url)
    yield Site(tmp_path / "data", url)
    drop_postgresql_database(url)


def test_restore_brings_back_deleted_records_and_their_files(site, tmp_path):
    archive = tmp_path / "scheda.tar.gz"
    made = site.run("backup", str(archive))
    assert made.returncode == 0, made.stderr
    assert "files" in made.stdout and archive.is_file()
    site.shell(CHANGE_DATA)
    changed = site.state()
    assert changed == {"emails": ["grace@example.com", "mallory@example.com"], "files": []}
    assert not any((site.data_dir / "files").rglob("*.pdf"))  # the file went with its record

    restored = site.run("restore", str(archive))
    assert restored.returncode == 0, restored.stderr
    assert "the check passed" in restored.stdout
    assert site.state() == BEFORE


def test_manifest_lists_every_member_with_its_checksum(site, tmp_path):
    archive = tmp_path / "scheda.tar.gz"
    assert site.run("backup", str(archive)).returncode == 0
    with tarfile.open(archive) as tar:
        names = tar.getnames()
        manifest = json.loads(tar.extractfile("manifest.json").read())
    assert manifest["database"] == ("postgresql" if POSTGRESQL else "sqlite")
    assert manifest["counts"]["files"] == 1 and manifest["counts"]["attachments"] == 1
    assert manifest["counts"]["records"] >= 2 and manifest["counts"]["users"] == 0
    assert sorted(manifest["members"]) == sorted(n for n in names if n != "manifest.json")
    assert any(n.startswith("files/attachments/") and n.endswith(".pdf") for n in names)
    assert all(len(member["sha256"]) == 64 for member in manifest["members"].values())


def test_backup_refuses_to_overwrite_unless_forced(site, tmp_path):
    archive = tmp_path / "scheda.tar.gz"
    archive.write_bytes(b"an older backup")
    refused = site.run("backup", str(archive))
    assert refused.returncode == 1
    assert refused.stderr.strip().splitlines() == [f"CommandError: {archive} already exists: use --force to replace it"]
    assert archive.read_bytes() == b"an older backup"
    forced = site.run("backup", str(archive), "--force")
    assert forced.returncode == 0, forced.stderr
    assert tarfile.is_tarfile(archive)


def test_backup_into_a_path_that_cannot_be_written_is_one_line(site, tmp_path):
    (tmp_path / "a-file").write_text("")
    result = site.run("backup", str(tmp_path / "a-file" / "scheda.tar.gz"))
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"CommandError: cannot write {tmp_path / 'a-file' / 'scheda.tar.gz'}: {tmp_path / 'a-file'} is not a folder"]


def test_damaged_or_cut_archive_is_refused_and_nothing_changes(site, tmp_path):
    archive = tmp_path / "scheda.tar.gz"
    assert site.run("backup", str(archive)).returncode == 0
    site.shell(CHANGE_DATA)
    changed = site.state()
    good = archive.read_bytes()
    flipped = bytearray(good)
    for i in range(len(good) // 2, len(good) // 2 + 4):
        flipped[i] ^= 0xFF
    near_the_end = bytearray(good)
    near_the_end[-8] ^= 0x01  # gzip's own CRC, after every member: read only if the stream is read to its end
    for name, damaged in (("flipped", flipped), ("near-the-end", near_the_end), ("cut", good[: len(good) * 2 // 3])):
        path = tmp_path / f"{name}.tar.gz"
        path.write_bytes(bytes(damaged))
        result = site.run("restore", str(path))
        assert result.returncode == 1, name
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and "is damaged or not a Scheda backup" in lines[0], (name, lines)
        assert lines[0].endswith("nothing was restored")
        assert site.state() == changed, name


def test_archive_whose_member_does_not_match_its_checksum_is_refused(site, tmp_path):
    archive = tmp_path / "scheda.tar.gz"
    assert site.run("backup", str(archive)).returncode == 0
    # A well-formed archive whose contract was swapped after the manifest was written.
    forged = tmp_path / "forged.tar.gz"
    with tarfile.open(archive) as source, tarfile.open(forged, "w:gz") as target:
        for member in source:
            data = source.extractfile(member).read()
            if member.name.endswith(".pdf"):
                data = b"%PDF-1.4 a different contract"
                member.size = len(data)
            target.addfile(member, io.BytesIO(data))
    result = site.run("restore", str(forged))
    assert result.returncode == 1
    assert "fail their checksum" in result.stderr and ".pdf" in result.stderr
    assert site.state() == BEFORE


def test_archive_of_the_other_database_is_refused(site, tmp_path):
    other, member = ("sqlite", "database.sqlite3") if POSTGRESQL else ("postgresql", "database.pgdump")
    archive = tmp_path / "other.tar.gz"
    dump = b"a database of the other kind"
    manifest = {"format": "scheda-backup", "format_version": 1, "database": other, "created_at": "2026-11-27T09:00:00+00:00",
                "counts": {}, "members": {member: {"size": len(dump), "sha256": hashlib.sha256(dump).hexdigest()}}}
    with tarfile.open(archive, "w:gz") as tar:
        for name, data in ((member, dump), ("manifest.json", json.dumps(manifest).encode())):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    result = site.run("restore", str(archive))
    assert result.returncode == 1
    made, here = ("SQLite", "PostgreSQL") if POSTGRESQL else ("PostgreSQL", "SQLite")
    assert f"is a backup of a {made} database and this Scheda uses {here}" in result.stderr
    assert site.state() == BEFORE


def test_backup_while_another_process_writes_restores_consistent(site, tmp_path):
    stop = tmp_path / "stop"
    writer = subprocess.Popen([sys.executable, "-m", "scheda.cli", "shell", "--no-imports", "-c", KEEP_WRITING],
                              cwd=ROOT, env=site.environment(BACKUP_TEST_STOP=str(stop)), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert writer.stdout.readline().strip() == "writing", writer.stderr.read() if writer.poll() is not None else ""
        archives = []
        for n in range(2):
            archive = tmp_path / f"busy-{n}.tar.gz"
            made = site.run("backup", str(archive))
            assert made.returncode == 0, made.stderr
            archives.append(archive)
            time.sleep(0.3)
    finally:
        stop.touch()
        out, err = writer.communicate(timeout=120)
    assert writer.returncode == 0, err
    written = int(out.split()[-1])
    for archive in archives:
        with tarfile.open(archive) as tar:
            counts = json.loads(tar.extractfile("manifest.json").read())["counts"]
        # Restore checks integrity (SQLite's integrity_check and foreign keys) and that the
        # counts of the snapshot match the manifest's, which a torn copy would not.
        restored = site.run("restore", str(archive))
        assert restored.returncode == 0, restored.stderr
        assert "the check passed" in restored.stdout
        assert 2 + 20 <= counts["records"] <= 2 + written  # a moment while the writer wrote
        emails = site.state()["emails"]
        assert "ada@example.com" in emails and len([e for e in emails if e.startswith("writer")]) >= 20


@pytest.mark.skipif(POSTGRESQL, reason="SQLite's file is replaced under its connections; pg_restore waits for PostgreSQL's locks")
def test_restore_refuses_while_another_process_has_the_database_open(site, tmp_path):
    archive = tmp_path / "scheda.tar.gz"
    assert site.run("backup", str(archive)).returncode == 0
    site.shell(CHANGE_DATA)
    changed = site.state()
    holder = subprocess.Popen([sys.executable, "-m", "scheda.cli", "shell", "--no-imports", "-c", HOLD_OPEN], cwd=ROOT,
                              env=site.environment(), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "open", holder.stderr.read() if holder.poll() is not None else ""
        refused = site.run("restore", str(archive))
        assert refused.returncode == 1
        assert refused.stderr.strip().splitlines() == [
            f"CommandError: the database {site.data_dir / 'scheda.sqlite3'} is open in another process (a running server?): "
            "stop it, then restore (nothing was restored)"]
        assert site.state() == changed  # its files too
    finally:
        holder.communicate(timeout=60)
    restored = site.run("restore", str(archive))
    assert restored.returncode == 0, restored.stderr
    assert site.state() == BEFORE


@pytest.mark.skipif(not POSTGRESQL, reason="pg_dump is used only on PostgreSQL")
def test_missing_pg_dump_is_one_line(site, tmp_path):
    result = site.run("backup", str(tmp_path / "scheda.tar.gz"), PATH=str(tmp_path / "empty"))
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "CommandError: pg_dump is not installed: install the PostgreSQL client tools of your server's version "
        "(Debian/Ubuntu: apt-get install postgresql-client)"]
