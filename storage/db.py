"""Engine factory and the unit of work.

SQLite (the embedded default) runs in WAL mode with a busy timeout; write transactions start with
``BEGIN IMMEDIATE`` so two writers queue instead of failing on a lock upgrade. PostgreSQL is the scale-out
path: several replicas share one database.

A database that refuses writes (a full disk, a read-only file or server) is told apart from a bug in one
place (`is_write_refusal`), and each engine keeps a small write-health state that /healthz reads
(`writes_accepted`).
"""

from __future__ import annotations

import contextvars
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
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
    else:
        engine = create_engine(url, pool_size=pool_size, max_overflow=pool_size * 2, pool_pre_ping=True)
    _watch_writes(engine)
    return engine


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
    engine: Engine,
    *,
    readonly: bool = False,
    after_commit: Callable[[], None] | None = None,
    before_commit: Callable[[Session], None] | None = None,
) -> Iterator[Session]:
    """One transaction: commits once at the end, rolls back on any error.

    `before_commit` runs inside the transaction just before it commits (e.g. to hand the unit's events to
    the integrations, which queue their deliveries in it); `after_commit` runs only when the commit
    succeeded (e.g. to wake the outbox sender).
    Never hold one across a Slack call.
    """
    bind = engine.execution_options(readonly=True) if readonly else engine
    wrote = _wrote.set(False)
    try:
        with Session(bind, expire_on_commit=False) as session:
            try:
                yield session
                if not readonly:
                    if before_commit is not None:
                        before_commit(session)
                    session.commit()
                    if _wrote.get():
                        write_health(engine).accepted()
                # A read-only unit ends without commit: closing the session returns the connection (its
                # transaction is rolled back there) and leaves loaded rows usable, detached, not expired.
            except BaseException:
                session.rollback()
                raise
    finally:
        _wrote.reset(wrote)
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


# ---- a database that refuses writes -----------------------------------------------------------------

# SQLite's primary result codes (extended codes keep them in the low byte) and messages, and PostgreSQL's
# SQLSTATEs, that mean "this database does not take writes now" rather than a bug in the statement.
_SQLITE_CODES = {8: "SQLITE_READONLY", 10: "SQLITE_IOERR", 13: "SQLITE_FULL"}
_SQLITE_MESSAGES = ("database or disk is full", "attempt to write a readonly database", "disk i/o error")
_SQLSTATES = {"53100": "disk_full", "25006": "read_only_sql_transaction"}


def is_write_refusal(exc: BaseException | None) -> bool:
    """True when `exc`, or an error that caused it, is the database refusing a write: a full disk, a
    read-only database file or server, an I/O error. False for everything else (a bug, a constraint, a
    lost connection)."""
    return write_refusal(exc) is not None


def write_refusal(exc: BaseException | None) -> str | None:
    """The database's own words, on one line, when `exc` is a write refusal (see `is_write_refusal`)."""
    for _ in range(5):  # an error raised while handling one, or from one
        if exc is None:
            return None
        if isinstance(exc, DBAPIError) and _refuses(exc.orig):
            first = (str(exc.orig).strip().splitlines() or [""])[0]
            return f"{type(exc.orig).__name__}: {first[:200]}"
        exc = exc.__cause__ or exc.__context__
    return None


def _refuses(orig: BaseException | None) -> bool:
    code = getattr(orig, "sqlite_errorcode", None)
    if isinstance(code, int) and code & 0xFF in _SQLITE_CODES:
        return True
    if (getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)) in _SQLSTATES:
        return True
    message = str(orig).lower()
    return any(m in message for m in _SQLITE_MESSAGES)


class WriteHealth:
    """When this engine last had a write refused (`refused`), until a unit of work that changed rows
    commits (`accepted`). A commit that changed nothing proves nothing: SQLite commits an empty
    transaction on a full disk (and the outbox sender makes one each time it looks for work). With no
    write since, a refusal stops counting after HOLD seconds, so a quiet bot does not stay unhealthy."""

    HOLD = 60.0

    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self.clock = clock
        self.refused_at: float | None = None

    def refused(self) -> None:
        self.refused_at = self.clock()

    def accepted(self) -> None:
        self.refused_at = None

    def ok(self) -> bool:
        refused_at = self.refused_at
        return refused_at is None or self.clock() - refused_at > self.HOLD


_health: weakref.WeakKeyDictionary[Engine, WriteHealth] = weakref.WeakKeyDictionary()
_health_lock = threading.Lock()
# Whether the current unit of work changed a row (set by the engine's statement hook, read at commit).
_wrote: contextvars.ContextVar[bool] = contextvars.ContextVar("unit_wrote", default=False)


def write_health(engine: Engine) -> WriteHealth:
    health = _health.get(engine)
    if health is None:
        with _health_lock:
            health = _health.setdefault(engine, WriteHealth())
    return health


def writes_accepted(engine: Engine) -> bool:
    """False while the database refuses writes, as far as this process has seen (see `WriteHealth`)."""
    return write_health(engine).ok()


def _watch_writes(engine: Engine) -> None:
    health = write_health(engine)

    @event.listens_for(engine, "handle_error")
    def _on_error(ctx: Any) -> None:  # every failed statement, commit or rollback on this engine
        if is_write_refusal(ctx.sqlalchemy_exception or ctx.original_exception):
            health.refused()

    @event.listens_for(engine, "after_cursor_execute")
    def _on_statement(
        conn: Any, cursor: Any, statement: str, params: Any, context: Any, executemany: bool
    ) -> None:
        if context is not None and (context.isinsert or context.isupdate or context.isdelete):
            if cursor.rowcount != 0:  # -1: the driver does not know, so assume it did
                _wrote.set(True)


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
