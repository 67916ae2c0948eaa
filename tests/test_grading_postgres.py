"""Does grading work with a PostgreSQL gradebook (AUTOGRADER_DB_URL, any SQLAlchemy URL)?

The test starts its own PostgreSQL server from Debian's `postgresql` package (initdb and
postgres from /usr/lib/postgresql/*/bin; `.ci/run` installs it) in a temporary folder,
listening on a unix socket only, grades two submissions into it and exports them. Skipped,
with the reason, where PostgreSQL or the psycopg driver is missing.
"""
import csv
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from autograder import course, examples
from autograder.export import export
from autograder.grade import Options, grade
from autograder.sandbox.protocol import Limits

pytestmark = pytest.mark.slow  # grades a class end to end (minutes)

L00 = "00_backprop"


def _bindir():
    """Folder of PostgreSQL's server programs, or None."""
    candidates = [shutil.which("initdb")] + sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK) and os.access(Path(candidate).parent / "postgres", os.X_OK):
            return Path(candidate).resolve().parent
    return None


@pytest.fixture(scope="module")
def postgres_url():
    """A fresh PostgreSQL server and database; yields its SQLAlchemy URL."""
    bindir = _bindir()
    if bindir is None:
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql)")
    pytest.importorskip("psycopg", reason="the psycopg driver is not installed (pip install -e .)")
    folder = Path(tempfile.mkdtemp(prefix="autograder-pg-"))
    data, socket_dir = folder / "data", folder / "socket"
    socket_dir.mkdir()
    run_as = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        try:
            account = pwd.getpwnam("postgres")
        except KeyError:
            account = pwd.getpwnam("nobody")
        for path in (folder, socket_dir):
            os.chown(path, account.pw_uid, account.pw_gid)
        run_as = [shutil.which("setpriv"), f"--reuid={account.pw_uid}", f"--regid={account.pw_gid}", "--clear-groups"]
    subprocess.run(run_as + [str(bindir / "initdb"), "-D", str(data), "-U", "grader", "--auth=trust", "-E", "UTF8"],
                   check=True, capture_output=True)
    server = subprocess.Popen(run_as + [str(bindir / "postgres"), "-D", str(data), "-k", str(socket_dir),
                                        "-c", "listen_addresses=", "-c", "fsync=off"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        import psycopg
        for _ in range(200):
            try:
                with psycopg.connect(host=str(socket_dir), user="grader", dbname="postgres", autocommit=True) as conn:
                    conn.execute("CREATE DATABASE gradebook")
                break
            except psycopg.OperationalError:
                if server.poll() is not None:
                    pytest.fail(f"postgres did not start: {server.stderr.read().decode()[-2000:]}")
                time.sleep(0.1)
        yield f"postgresql+psycopg://grader@/gradebook?host={socket_dir}"
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(folder, ignore_errors=True)


def test_grading_into_postgresql(postgres_url, tmp_path, monkeypatch):
    """Do grades, statuses and the export work the same on a PostgreSQL gradebook?"""
    monkeypatch.setenv("AUTOGRADER_DB_URL", postgres_url)
    monkeypatch.setenv("AUTOGRADER_WORKDIR", str(tmp_path / "work"))
    subs = examples.build(tmp_path / "submissions", [L00])
    shutil.rmtree(subs / "mistakes")
    work = course.workdir()
    statuses = grade(subs, [L00], work, Options(limits=Limits(cell_timeout=60), quiet=True))
    assert {s: e[L00]["status"] for s, e in statuses.items()} == {"correct": "graded", "untouched": "graded"}
    with open(export(work, [L00])) as f:
        table = {r["student"]: r for r in csv.DictReader(f)}
    assert float(table["correct"]["total"]) == 11 and float(table["untouched"]["total"]) == 0
    assert not (work / "gradebook.db").exists()
    import psycopg
    from sqlalchemy.engine import make_url
    url = make_url(postgres_url)
    with psycopg.connect(host=url.query["host"], user=url.username, dbname=url.database) as conn:
        (count,) = conn.execute("SELECT count(*) FROM submitted_assignment").fetchone()
    assert count == 2
