# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""The queue's indexes (``<table>_due_idx`` and ``<table>_claimed_idx``) replace the event queue's partial index and
the pay runs' plain index on ``next_try_at``; Odoo does not drop an index a model no longer declares, so they go
here. The queue's new columns (pay runs' claim and attempt count) start empty and zero, which is what they mean for
a run nobody holds; events keep theirs (an event claimed before the upgrade is taken back once its lease ends)."""


def migrate(cr, version):
    if not version:
        return
    cr.execute("DROP INDEX IF EXISTS paylocity_event_pending_idx")
    cr.execute("DROP INDEX IF EXISTS paylocity_pay_run__next_try_at_index")
