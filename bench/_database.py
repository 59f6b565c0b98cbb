"""Each benchmark gets its own PostgreSQL database beside the one DATABASE_URL names, so the test database
and the other benchmarks' data are never touched."""

from __future__ import annotations

import os
from urllib.parse import urlsplit, urlunsplit

# The worker refuses the demo secret key and a loopback public URL (as in production); benchmarks run it as
# production would, with stand-in values.
PRODUCTION_LIKE = {"MOTCUA_SECRET_KEY": "bench-" + "k" * 50, "MOTCUA_PUBLIC_URL": "https://motcua.example.gov.vn"}


def production_like_env() -> None:
    """Set the settings production start-up requires, unless the caller set them."""
    for name, value in PRODUCTION_LIKE.items():
        os.environ.setdefault(name, value)


def bench_url(base: str, name: str) -> str:
    """``base`` (any database on the server) with the database name replaced by ``name``."""
    return urlunsplit(urlsplit(base)._replace(path=f"/{name}"))


def ensure_database(base: str, name: str, fresh: bool) -> None:
    """Create ``name`` on the server of ``base`` if missing; with ``fresh``, drop it first."""
    import psycopg

    with psycopg.connect(base, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if exists and fresh:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(base: str, name: str) -> None:
    """Drop ``name`` on the server of ``base``, closing whatever is still connected to it."""
    import psycopg

    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
