"""Alembic environment: the metadata is SQLModel's; SQLite uses batch mode for ALTERs.

Two ways in. storage/migrate.py (the bot, `remediate db ...`, the tests) hands over an open connection in
``config.attributes["connection"]``. The `alembic` command from the project root (alembic.ini) does not:
then the database is ``-x url=...``, else DATABASE_URL from the environment or .env, as the bot reads it.
"""

from __future__ import annotations

from logging.config import fileConfig

from alembic import context
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import Connection, create_engine, pool
from sqlmodel import SQLModel

import storage.models  # noqa: F401 - registers the tables on SQLModel.metadata

config = context.config
target_metadata = SQLModel.metadata

if config.config_file_name is not None and config.attributes.get("connection") is None:
    fileConfig(config.config_file_name, disable_existing_loggers=False)


class _Database(BaseSettings):
    """DATABASE_URL alone, read as bot.config.Settings reads it (same default, same .env), so that a
    migration needs none of the Slack secrets. storage never imports the bot, hence this small copy."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", env_ignore_empty=True
    )
    database_url: str = "sqlite:///remediate.db"


def database_url() -> str:
    """`-x url=...`, else the configured sqlalchemy.url (storage/migrate.py sets it), else DATABASE_URL."""
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option("sqlalchemy.url")
    if not url:
        url = _Database().database_url
    if url.startswith(("postgres://", "postgresql://")):
        # As Settings does: SQLAlchemy needs the driver named, and psycopg 3 is the one installed.
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def run_migrations_offline() -> None:
    url = database_url()
    context.configure(
        url=url,
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=url.startswith("sqlite"),
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = create_engine(database_url(), poolclass=pool.NullPool)
    try:
        with engine.connect() as conn:
            _run(conn)
    finally:
        engine.dispose()


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
