#!/usr/bin/env python3
"""Reads from a streaming replica (`DATABASE_READ_URL`, issue 13): lists, searches, exports and the
change feed come from the replica, reads by id and writes from the database.

    python3 tests/multi/replica.py --binary target/debug/upr-tc

Makes a PostgreSQL cluster of its own (initdb) and a streaming replica of it (pg_basebackup)
in a temporary folder, on free ports, starts the service on both, and shows where each read
goes by pausing the replica's replay: a recommendation written meanwhile is read by id at
once, but the list, the search and the feed show it only once the replica replays again.

Skipped (exit 0, saying why) when the PostgreSQL server programs are not here or a cluster
cannot be started (CI may run where it cannot). Needs nothing but the standard library.
"""
import argparse
import glob
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from two_instances import free_port, recommendation, request, wait_ready  # noqa: E402


def skip(reason):
    print(f"skipped: {reason}")
    sys.exit(0)


def server_programs():
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0)
    if found:
        return os.path.dirname(found[-1])
    try:
        out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, check=True)
        bindir = out.stdout.strip()
        if os.path.exists(os.path.join(bindir, "initdb")):
            return bindir
    except (OSError, subprocess.CalledProcessError):
        pass
    return None


class Clusters:
    """A primary and its replica, run as the `postgres` user when this runs as root."""

    def __init__(self, bindir, folder):
        self.bindir, self.folder = bindir, folder
        self.as_owner = []
        if os.geteuid() == 0:
            if shutil.which("runuser") is None:
                skip("running as root without runuser to start PostgreSQL as another user")
            self.as_owner = ["runuser", "-u", "postgres", "--"]
            shutil.chown(folder, "postgres", "postgres")
        self.started = []

    def run(self, program, *args):
        cmd = self.as_owner + [os.path.join(self.bindir, program), *args]
        return subprocess.run(cmd, capture_output=True, text=True)

    def start(self, data, port, log):
        opts = f"-p {port} -k {self.folder} -c listen_addresses=127.0.0.1"
        r = self.run("pg_ctl", "-D", data, "-o", opts, "-l", log, "-w", "-t", "60", "start")
        if r.returncode != 0:
            with open(log, errors="replace") as f:
                raise RuntimeError(f"cannot start {data}: {r.stderr}{f.read()[-2000:]}")
        self.started.append(data)

    def stop(self):
        for data in reversed(self.started):
            self.run("pg_ctl", "-D", data, "-m", "fast", "-w", "stop")


def psql(port, database, sql):
    out = subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-d",
                          database, "-v", "ON_ERROR_STOP=1", "-Atqc", sql],
                         capture_output=True, text=True, check=True)
    return out.stdout.strip()


def until(what, check, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"not within {seconds} s: {what}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--binary", required=True)
    args = parser.parse_args()
    bindir = server_programs()
    if bindir is None:
        skip("no PostgreSQL server programs (initdb, pg_ctl, pg_basebackup) here")
    if shutil.which("psql") is None:
        skip("no psql here")

    folder = tempfile.mkdtemp(prefix="upr-tc-replica-")
    clusters = Clusters(bindir, folder)
    service = None
    try:
        primary, replica = os.path.join(folder, "primary"), os.path.join(folder, "replica")
        p1, p2 = free_port(), free_port()
        # trust: initdb then also lets local replication connections in.
        r = clusters.run("initdb", "-D", primary, "-U", "postgres", "--auth=trust")
        if r.returncode != 0:
            skip(f"initdb failed: {r.stderr.strip()[-500:]}")
        try:
            clusters.start(primary, p1, os.path.join(folder, "primary.log"))
        except RuntimeError as e:
            skip(str(e)[-500:])
        r = clusters.run("pg_basebackup", "-h", "127.0.0.1", "-p", str(p1), "-U", "postgres",
                         "-D", replica, "-R", "-X", "stream")
        if r.returncode != 0:
            skip(f"pg_basebackup failed: {r.stderr.strip()[-500:]}")
        clusters.start(replica, p2, os.path.join(folder, "replica.log"))
        assert psql(p2, "postgres", "SELECT pg_is_in_recovery()") == "t"
        psql(p1, "postgres", "CREATE DATABASE upr")
        until("the replica has the database",
              lambda: psql(p2, "postgres", "SELECT count(*) FROM pg_database "
                                           "WHERE datname = 'upr'") == "1")
        print(f"a primary on {p1} and its streaming replica on {p2}")

        env = dict(os.environ,
                   DATABASE_URL=f"postgres://postgres@127.0.0.1:{p1}/upr",
                   DATABASE_READ_URL=f"postgres://postgres@127.0.0.1:{p2}/upr",
                   UPR_TC_JWT_SECRET=secrets.token_hex(32),
                   UPR_TC_RATE_LIMITS="off",
                   UPR_TC_LOG_FORMAT="json")
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        log = tempfile.TemporaryFile()
        service = subprocess.Popen([args.binary, "serve", "--bind", f"127.0.0.1:{port}"],
                                   env=env, stdout=log, stderr=subprocess.STDOUT)
        wait_ready(base, service, log)
        token = subprocess.run([args.binary, "token", "--role", "admin", "--subject", "replica"],
                               env=env, check=True, capture_output=True, text=True).stdout.strip()

        def listed(path):
            status, _, page = request(base, "GET", path)
            assert status == 200, (path, status, page)
            return {i["id"] for i in page["items"]}

        def fed():
            status, _, page = request(base, "GET", "/api/v1/changes?limit=1000")
            assert status == 200, page
            return {c["id"] for c in page["items"]}

        status, _, first = request(base, "POST", "/api/v1/recommendations", token,
                                   recommendation("Replicated while the replica replays"))
        assert status == 201, first
        until("the list shows what was written",
              lambda: first["id"] in listed("/api/v1/recommendations"))

        psql(p2, "postgres", "SELECT pg_wal_replay_pause()")
        status, _, second = request(base, "POST", "/api/v1/recommendations", token,
                                    recommendation("Written while the replica waits"))
        assert status == 201, second
        status, _, read = request(base, "GET", f"/api/v1/recommendations/{second['id']}")
        assert status == 200 and read["id"] == second["id"], (status, read)
        time.sleep(1)
        assert second["id"] not in listed("/api/v1/recommendations"), "the list is the replica's"
        assert second["id"] not in listed("/api/v1/recommendations?q=waits"), "so is search"
        assert second["id"] not in fed(), "and the feed"
        print("replay paused: a new item is read by id, not yet in the list, search or feed")

        psql(p2, "postgres", "SELECT pg_wal_replay_resume()")
        until("the list shows the item once the replica replays",
              lambda: second["id"] in listed("/api/v1/recommendations"))
        assert second["id"] in listed("/api/v1/recommendations?q=waits")
        assert {first["id"], second["id"]} <= fed()
        status, _, ready = request(base, "GET", "/health/ready")
        assert status == 200, ready
        print("replay resumed: the list, search and feed catch up")
    finally:
        if service is not None:
            service.terminate()
            try:
                service.wait(timeout=30)
            except subprocess.TimeoutExpired:
                service.kill()
        clusters.stop()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
