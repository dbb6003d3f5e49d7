# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
import psycopg2.errors

from odoo import SUPERUSER_ID, api, fields
from odoo.tests import TransactionCase, tagged

CRON = 'paylocity_connector.ir_cron_paylocity_event_process'


@tagged('post_install', '-at_install')
class TestEventWakeUp(TransactionCase):
    """Intake wakes the processing cron once per burst, never leaving an event without a run that sees it.
    Real separate transactions: one as a delivery, one as the cron starting a run (it deletes the wake-ups)."""

    def setUp(self):
        super().setUp()
        self.cron_id = self.env.ref(CRON).id
        with self.registry.cursor() as cr:
            # as ``_trigger`` makes it (through the ORM, which notifies the cron workers)
            cr.execute("INSERT INTO ir_cron_trigger (cron_id, call_at, create_date) VALUES (%s, now() AT TIME ZONE "
                       "'UTC' - interval '1 second', now() AT TIME ZONE 'UTC' - interval '1 second') RETURNING id",
                       (self.cron_id,))
            self.pending_id = cr.fetchone()[0]
        self.addCleanup(self._drop_triggers)
        self.delivery = self.registry.cursor()
        self.addCleanup(self.delivery.close)
        self.run = self.registry.cursor()
        self.addCleanup(self.run.close)

    def _drop_triggers(self):
        with self.registry.cursor() as cr:
            cr.execute("DELETE FROM ir_cron_trigger WHERE cron_id = %s AND id >= %s", (self.cron_id, self.pending_id))

    def _wake(self):
        env = api.Environment(self.delivery, SUPERUSER_ID, {})
        env['paylocity.event']._wake_for_delivery()
        env.flush_all()
        self.delivery.execute("SELECT count(*) FROM ir_cron_trigger WHERE cron_id = %s AND id > %s",
                              (self.cron_id, self.pending_id))
        return self.delivery.fetchone()[0]

    def test_a_pending_wake_up_is_shared_and_the_run_waits_for_the_delivery(self):
        self.assertEqual(self._wake(), 0, "a wake-up no run has started on is pending: none added")
        # A run starting now deletes the pending wake-ups: it has to wait until the delivery is committed,
        # so it sees the delivery's event.
        self.run.execute("SET lock_timeout = '300ms'")
        with self.assertRaises(psycopg2.errors.LockNotAvailable):
            self.run.execute("DELETE FROM ir_cron_trigger WHERE cron_id = %s AND call_at <= %s",
                             (self.cron_id, fields.Datetime.now()), log_exceptions=False)
        self.run.rollback()
        self.delivery.commit()
        self.run.execute("DELETE FROM ir_cron_trigger WHERE cron_id = %s AND call_at <= %s",
                         (self.cron_id, fields.Datetime.now()))
        self.assertGreaterEqual(self.run.rowcount, 1)

    def test_a_wake_up_a_run_is_already_consuming_is_not_relied_on(self):
        # The run has started (deleted the wake-ups, not committed yet): it may already have looked for events.
        self.run.execute("DELETE FROM ir_cron_trigger WHERE cron_id = %s AND call_at <= %s",
                         (self.cron_id, fields.Datetime.now()))
        self.assertEqual(self._wake(), 1, "the delivery makes a wake-up of its own")

    def test_the_row_a_stopped_run_adds_for_itself_is_not_relied_on(self):
        # A run that stopped after its rounds reschedules itself with a row of its own, without notifying
        # anyone: a delivery must still wake the workers.
        self.run.execute("UPDATE ir_cron_trigger SET create_date = NULL WHERE id = %s", (self.pending_id,))
        self.run.commit()
        self.assertEqual(self._wake(), 1)
