"""Django's PostgreSQL backend, with a health check that costs a system call instead of a query.

With ``CONN_HEALTH_CHECKS`` Django runs ``SELECT 1`` before the first query of every request, so that
a connection the server closed (a PostgreSQL restart, a failover, an idle timeout) is replaced instead
of failing the request. On the paid-lookup path (``/sms/mo``: one read and one insert) that round trip
was a quarter of the CPU the request cost.

A connection the server has closed is readable: PostgreSQL sends an error ("terminating connection
due to administrator command") and then the end of the stream, and nothing else arrives on an idle
connection unless we asked for it (no LISTEN here). So an idle connection with nothing to read is
taken as usable without asking the server; one with something waiting, or in any other state, gets
Django's ``SELECT 1`` as before. A server that vanished without closing the socket (a pulled cable)
goes unnoticed by both checks alike until TCP gives up; the statement then fails as it would have.
"""

from __future__ import annotations

import select

from django.db.backends.postgresql import base
from psycopg.pq import TransactionStatus


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self) -> bool:
        conn = self.connection
        if conn is None or conn.closed or conn.broken:
            return False
        if conn.info.transaction_status == TransactionStatus.IDLE and not _readable(conn.fileno()):
            return True
        return super().is_usable()


def _readable(fd: int) -> bool:
    poller = select.poll()
    poller.register(fd, select.POLLIN | select.POLLPRI)
    return bool(poller.poll(0))
