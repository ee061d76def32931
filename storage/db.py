"""Engine factory and the unit of work.

SQLite (the embedded default) runs in WAL mode with a busy timeout; write transactions start with
``BEGIN IMMEDIATE`` so two writers queue instead of failing on a lock upgrade. PostgreSQL is the scale-out
path: several replicas share one database.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlmodel import Session


def make_engine(url: str, *, pool_size: int = 10) -> Engine:
    """An engine for `url` with the settings each backend needs."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30, "isolation_level": None},
            pool_size=pool_size,
            max_overflow=pool_size * 2,
            pool_pre_ping=False,
        )
        _sqlite_pragmas(engine)
        return engine
    return create_engine(url, pool_size=pool_size, max_overflow=pool_size * 2, pool_pre_ping=True)


def _sqlite_pragmas(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # pysqlite's own transaction handling is off (isolation_level=None); we emit BEGIN ourselves.
        conn.exec_driver_sql(
            "BEGIN IMMEDIATE" if not conn.get_execution_options().get("readonly") else "BEGIN"
        )


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


@contextmanager
def unit_of_work(
    engine: Engine, *, readonly: bool = False, after_commit: Callable[[], None] | None = None
) -> Iterator[Session]:
    """One transaction: commits once at the end, rolls back on any error.

    `after_commit` runs only when the commit succeeded (e.g. to wake the outbox sender).
    Never hold one across a Slack call.
    """
    bind = engine.execution_options(readonly=True) if readonly else engine
    with Session(bind, expire_on_commit=False) as session:
        try:
            yield session
            if not readonly:
                session.commit()
            # A read-only unit ends without commit: closing the session returns the connection (its
            # transaction is rolled back there) and leaves loaded rows usable, detached, not expired.
        except BaseException:
            session.rollback()
            raise
    if after_commit is not None and not readonly:
        after_commit()


def ping(engine: Engine) -> bool:
    """True when the database answers a trivial query."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except Exception:
        return False
