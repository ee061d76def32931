"""Engine factory and the unit of work.

SQLite (the embedded default) runs in WAL mode with a busy timeout; write transactions start with
``BEGIN IMMEDIATE`` so two writers queue instead of failing on a lock upgrade. PostgreSQL is the scale-out
path: several replicas share one database.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Mapper, configure_mappers
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

    # SQLite allows one writer. Writers that find the database locked back off in sleeps of up to 100 ms
    # and newcomers can overtake them, so under load a few requests wait far longer than the rest. Inside
    # one process, write transactions therefore take turns on a lock (first come, first served); SQLite's
    # busy timeout still arbitrates between processes.
    writers = threading.Lock()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # pysqlite's own transaction handling is off (isolation_level=None); we emit BEGIN ourselves.
        if conn.get_execution_options().get("readonly"):
            conn.exec_driver_sql("BEGIN")
            return
        if not writers.acquire(timeout=30):
            raise TimeoutError("waited 30 s for another write transaction in this process")
        conn.info["holds_writer_lock"] = True
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            _release(conn)
            raise

    def _release(conn: Any) -> None:
        if conn.info.pop("holds_writer_lock", False):
            writers.release()

    # These hooks run just before the COMMIT/ROLLBACK is sent; a writer let in that instant waits a
    # millisecond in SQLite's busy handler, which is the ordinary path between processes anyway.
    @event.listens_for(engine, "commit")
    def _on_commit(conn: Any) -> None:
        _release(conn)

    @event.listens_for(engine, "rollback")
    def _on_rollback(conn: Any) -> None:
        _release(conn)


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


T = TypeVar("T")


def defaults_of(cls: type[Any]) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """For a Core INSERT into the table of model `cls`: a function that completes a row's `values` with the
    model's field defaults (constants shared as they are, factories such as the JSON lists called for each
    row). A primary key the database generates is left out."""
    generated = {c.name for c in cls.__table__.primary_key.columns if c.autoincrement in (True, "auto")}
    constants: dict[str, Any] = {}
    factories: list[tuple[str, Callable[[], Any]]] = []
    for name, f in cls.model_fields.items():
        if f.default_factory is not None:
            factories.append((name, f.default_factory))  # type: ignore[arg-type]
        elif not f.is_required() and not (name in generated and f.default is None):
            constants[name] = f.default

    def complete(values: dict[str, Any]) -> dict[str, Any]:
        row = {name: make() for name, make in factories}
        row.update(constants)
        row.update(values)
        return row

    return complete


def as_loaded(cls: type[T], values: dict[str, Any]) -> T:
    """An instance of the mapped class `cls` holding `values`, built the way a query builds one from a row
    (no ``__init__``, no change history), for a row just written with a Core INSERT. Several times cheaper
    than the model's constructor, which runs every field through pydantic and the ORM's change tracking."""
    mapper: Mapper[Any] = inspect(cls)  # type: ignore[assignment]
    if not mapper.configured:  # a query or a constructor would have configured the mappers by now
        configure_mappers()
    obj: T = mapper.class_manager.new_instance()
    obj.__dict__.update(values)
    return obj
