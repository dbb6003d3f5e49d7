# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
import threading
import time
import uuid

from odoo import sql_db
from odoo.tests import TransactionCase, tagged

from ..models.paylocity_rate_window import DbRateWindow, DbRateWindows
from ..paylocity.ratelimit import RateLimiter, credential_key
from ..sandbox.ratelimit import busiest_window



@tagged('post_install', '-at_install')
class TestSharedRateWindow(TransactionCase):
    """The rate-limit window in PostgreSQL, on real separate connections and threads, as workers share it."""

    def setUp(self):
        super().setUp()
        self.keys = []
        self.addCleanup(self._drop_windows)

    def _key(self):
        key = credential_key('weblink', 'https://test.invalid/%s' % uuid.uuid4().hex, 'client')
        self.keys.append(key)
        return key

    def _drop_windows(self):
        if not self.keys:
            return
        with sql_db.db_connect(self.env.cr.dbname).cursor() as cr:
            cr.execute('DELETE FROM paylocity_rate_window WHERE key IN %s', (tuple(self.keys),))

    def _limiter(self, key, rate=10, **kwargs):
        # A limiter of its own, as another worker process would have, over the database's window.
        return RateLimiter(rate, store=DbRateWindow(self.env.cr.dbname, key), **kwargs)

    def _reserve_together(self, limiters, per_thread, threads_per_limiter=4):
        booked, lock = [], threading.Lock()
        barrier = threading.Barrier(len(limiters) * threads_per_limiter)

        def worker(limiter):
            barrier.wait()
            for _ in range(per_thread):
                start = limiter.reserve()
                with lock:
                    booked.append(start)

        threads = [threading.Thread(target=worker, args=(limiter,))
                   for limiter in limiters for _ in range(threads_per_limiter)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return booked

    def test_two_workers_on_one_credential_never_exceed_the_limit_together(self):
        key = self._key()
        booked = self._reserve_together([self._limiter(key), self._limiter(key)], per_thread=10)
        self.assertEqual(len(booked), 80)
        self.assertLessEqual(busiest_window(booked, 1.0), 10)
        # and the window is really shared: 80 calls at 10 per 1.05 s span at least seven windows
        self.assertGreaterEqual(max(booked) - min(booked), 7 * 1.0)

    def test_different_credentials_do_not_share_a_window(self):
        first, second = self._limiter(self._key()), self._limiter(self._key())
        now = time.monotonic()
        booked = [first.reserve() for _ in range(10)] + [second.reserve() for _ in range(10)]
        # both credentials get a full window at once: nobody waits for the other's calls
        self.assertLess(max(booked) - now, 0.5)

    def test_a_pause_is_shared_by_every_worker_and_capped(self):
        key = self._key()
        told, other = self._limiter(key), self._limiter(key)
        told.reserve()
        self.assertEqual(told.hold(86400), 60.0)      # Retry-After: 86400 from Paylocity
        with sql_db.db_connect(self.env.cr.dbname).cursor() as cr:
            cr.execute("SELECT not_before - extract(epoch FROM clock_timestamp()) FROM paylocity_rate_window "
                       "WHERE key = %s", (key,))
            [[remaining]] = cr.fetchall()
        self.assertTrue(59 < remaining <= 60, remaining)
        # another worker, which never saw the 429, waits for the pause too, and not longer
        wait = other.reserve() - time.monotonic()
        self.assertTrue(58 < wait <= 60.5, wait)

    def test_the_connection_client_paces_in_the_database(self):
        company = self.env['res.company'].create({'name': 'Rate window test company'})
        connection = self.env['paylocity.connection'].create({
            'name': 'Rate window test', 'paylocity_company_code': 'RATEWIN', 'environment': 'test',
            'company_id': company.id})
        connection._set_credentials('weblink', 'rate-window-client', 'secret')
        client = connection._get_client()
        limiter = client.limiters['weblink']
        self.assertIsInstance(limiter._store, DbRateWindow)
        self.keys.append(limiter._store._key)
        self.assertEqual(limiter._store._key, credential_key('weblink', connection._get_hosts().weblink_base,
                                                             'rate-window-client'))
        # a client of the same pair in this process uses the same limiter (and so the same reservations)
        self.assertIs(connection._get_client().limiters['weblink'], limiter)
        self.assertEqual(DbRateWindows(self.env.cr.dbname).name, 'postgresql:%s' % self.env.cr.dbname)
