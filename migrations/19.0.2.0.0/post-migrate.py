# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""The event queue's own index gave way to the job queue's (``paylocity_event_due_idx``, and the claim index);
Odoo does not drop an index a model no longer declares, so the old one goes here. The queue's new columns
(pay runs' claim and attempt count) start empty and zero, which is what they mean for a run nobody holds."""


def migrate(cr, version):
    if not version:
        return
    cr.execute("DROP INDEX IF EXISTS paylocity_event_pending_idx")
