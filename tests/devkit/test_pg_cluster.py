"""The throwaway PostgreSQL cluster works, and row locks behave as the job queue expects."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import OperationalError

from tests.pg_cluster import PostgresCluster


@pytest.fixture(scope="module")
def pg():
    with PostgresCluster() as cluster:
        yield cluster


def test_default_database_is_reachable(pg: PostgresCluster) -> None:
    assert pg.url == f"postgresql+psycopg://postgres@127.0.0.1:{pg.port}/golive"
    engine = sa.create_engine(pg.url)
    try:
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT current_database()")).scalar_one() == "golive"
            assert conn.execute(sa.text("SHOW server_encoding")).scalar_one() == "UTF8"
            assert int(conn.execute(sa.text("SHOW max_connections")).scalar_one()) == 200
    finally:
        engine.dispose()


def test_new_database_is_isolated(pg: PostgresCluster) -> None:
    url = pg.new_database("isolated_one")
    assert url.endswith("/isolated_one")
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE TABLE only_here (id int)"))
    finally:
        engine.dispose()
    main = sa.create_engine(pg.url)
    try:
        with main.connect() as conn:
            assert sa.inspect(conn).has_table("only_here") is False
    finally:
        main.dispose()
    with pytest.raises(ValueError):
        pg.new_database("bad; name")


def test_for_update_skip_locked_skips_rows_locked_elsewhere(pg: PostgresCluster) -> None:
    engine = sa.create_engine(pg.new_database("skip_locked"), pool_size=2)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE TABLE jobs (id int PRIMARY KEY, state text NOT NULL)"))
            conn.execute(sa.text("INSERT INTO jobs (id, state) VALUES (1, 'new'), (2, 'new'), (3, 'new')"))

        claim_one = sa.text(
            "SELECT id FROM jobs WHERE state = 'new' ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED"
        )
        claim_all = sa.text("SELECT id FROM jobs WHERE state = 'new' ORDER BY id FOR UPDATE SKIP LOCKED")

        with engine.connect() as a, engine.connect() as b:
            # Never hang the test suite if locking misbehaves.
            for conn in (a, b):
                conn.execute(sa.text("SET lock_timeout = '3s'"))
                conn.commit()

            tx_a = a.begin()
            assert a.execute(claim_one).scalar_one() == 1  # A holds the lock on row 1

            tx_b = b.begin()
            # B skips A's row instead of waiting for it ...
            assert b.execute(claim_one).scalar_one() == 2
            # ... and sees only the rows nobody has locked.
            assert b.execute(claim_all).scalars().all() == [2, 3]
            tx_b.rollback()

            # Without SKIP LOCKED the same row really is locked.
            tx_b = b.begin()
            with pytest.raises(OperationalError, match="could not obtain lock"):
                b.execute(sa.text("SELECT id FROM jobs WHERE id = 1 FOR UPDATE NOWAIT"))
            tx_b.rollback()

            # Once A finishes (claiming row 1), B picks up the next free row.
            a.execute(sa.text("UPDATE jobs SET state = 'done' WHERE id = 1"))
            tx_a.commit()
            with b.begin():
                assert b.execute(claim_all).scalars().all() == [2, 3]
            with b.begin():
                assert b.execute(claim_one).scalar_one() == 2
    finally:
        engine.dispose()


def test_stop_removes_everything() -> None:
    cluster = PostgresCluster()
    with cluster:
        base = cluster.base_dir
        assert base is not None and (base / "data" / "postmaster.pid").exists()
    assert not base.exists()
    assert cluster.base_dir is None
    cluster.stop()  # idempotent
