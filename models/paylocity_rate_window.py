# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
import json
import logging

import psycopg2

from odoo import fields, models, sql_db

from ..paylocity.errors import RateLimited
from ..paylocity.ratelimit import book

_logger = logging.getLogger(__name__)


class PaylocityRateWindow(models.Model):
    """Paylocity's per-credential rate-limit window, shared by every thread, worker and server of the database.

    One row per credential, named by a hash of the API family, host and client id (never the secret). Server
    side only: no group can read it through the ORM; only ``DbRateWindow`` touches it.
    """
    _name = 'paylocity.rate.window'
    _description = 'Paylocity rate-limit window'
    _log_access = False

    key = fields.Char(required=True, help="Hash of the API family, host and client id")
    starts = fields.Text(help="Start times (database clock, Unix seconds) of the last calls booked, oldest first")
    not_before = fields.Float(help="No call starts before this time (a 429's pause), Unix seconds")

    _key_uniq = models.Constraint('UNIQUE (key)', "One rate-limit window per credential.")


class DbRateWindows:
    """The client's provider of rate-limit windows (``rate_windows``), backed by ``paylocity_rate_window`` rows."""

    def __init__(self, dbname):
        self.dbname = dbname
        self.name = 'postgresql:%s' % dbname     # limiters of one database share their windows

    def window(self, key):
        return DbRateWindow(self.dbname, key)


class DbRateWindow:
    """One credential's window, kept in PostgreSQL.

    Each visit is its own short transaction on a connection of its own (never the business transaction, which
    may run for minutes or roll back): lock the row, book with the core's rule, write, commit. The database's
    clock is the only clock, so servers whose clocks disagree still share one window. The row is a pacing
    aid, not a record: its commit need not wait for the disk.
    """

    def __init__(self, dbname, key):
        self._dbname = dbname
        self._key = key

    def book(self, count, capacity, window):
        try:
            with sql_db.db_connect(self._dbname).cursor() as cr:
                # Read committed, so a row another worker just updated is waited for and then read, instead
                # of failing to serialize.
                cr.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED; SET LOCAL synchronous_commit TO off")
                row = self._lock(cr)
                if row is None:
                    cr.execute("""
                        INSERT INTO paylocity_rate_window (key, starts, not_before) VALUES (%s, '[]', 0)
                        ON CONFLICT (key) DO NOTHING
                    """, (self._key,))
                    row = self._lock(cr)
                row_id, starts, not_before, now = row
                log, reserved = book(json.loads(starts or '[]'), not_before or 0.0, now, count, capacity, window)
                cr.execute("UPDATE paylocity_rate_window SET starts = %s WHERE id = %s", (json.dumps(log), row_id))
                return now, reserved
        except psycopg2.Error as exc:
            raise self._unavailable(exc) from None

    def _lock(self, cr):
        """Lock the row, then read it and the clock (after the lock is ours, so waiting never dates a slot)."""
        cr.execute("""
            SELECT id FROM paylocity_rate_window WHERE key = %s FOR UPDATE;
            SELECT id, starts, not_before, extract(epoch FROM clock_timestamp())::float8
              FROM paylocity_rate_window WHERE key = %s
        """, (self._key, self._key))
        return cr.fetchone()

    def hold(self, seconds):
        try:
            with sql_db.db_connect(self._dbname).cursor() as cr:
                cr.execute("""
                    SET LOCAL synchronous_commit TO off;
                    INSERT INTO paylocity_rate_window (key, starts, not_before)
                    VALUES (%s, '[]', extract(epoch FROM clock_timestamp()) + %s)
                    ON CONFLICT (key) DO UPDATE SET not_before = GREATEST(
                        paylocity_rate_window.not_before, EXCLUDED.not_before)
                """, (self._key, float(seconds)))
        except psycopg2.Error as exc:
            raise self._unavailable(exc) from None

    @staticmethod
    def _unavailable(exc):
        _logger.warning("Paylocity rate-limit window unavailable (%s)", type(exc).__name__)
        return RateLimited("The shared Paylocity rate limit could not be read from the database (%s); nothing was "
                           "sent, the job retries later." % type(exc).__name__, status=None, retry_after=5)
