# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from odoo import fields, models

OUTCOMES = [
    ('running', 'Running'),
    ('done', 'Done'),
    ('retrying', 'Will retry'),
    ('failed', 'Failed'),
    ('unsupported', 'No handler'),
    ('abandoned', 'Interrupted'),
]


class PaylocityEventAttempt(models.Model):
    """One processing attempt of a Paylocity event: the audit trail of who ran what, when, with which outcome."""

    _name = 'paylocity.event.attempt'
    _description = 'Paylocity event processing attempt'
    _order = 'started_at desc, id desc'
    _rec_name = 'event_id'

    event_id = fields.Many2one('paylocity.event', required=True, index=True, ondelete='cascade', readonly=True)
    connection_id = fields.Many2one(related='event_id.connection_id', store=True)
    company_id = fields.Many2one(related='event_id.company_id', store=True, index=True)
    event_type = fields.Selection(related='event_id.event_type', store=True)
    origin = fields.Selection(
        [('first', 'First run'), ('retry', 'Retry'), ('replay', 'Replay')],
        required=True, default='first', readonly=True)
    user_id = fields.Many2one(
        'res.users', string='Run by', readonly=True,
        help="The user whose request led to this run: the replaying administrator, or the scheduler's user.")
    started_at = fields.Datetime(required=True, readonly=True, default=fields.Datetime.now)
    finished_at = fields.Datetime(readonly=True)
    # Measured in the worker: Odoo datetimes keep whole seconds only.
    duration_ms = fields.Integer('Duration (ms)', readonly=True)
    outcome = fields.Selection(OUTCOMES, required=True, default='running', readonly=True, index=True)
    message = fields.Text(readonly=True, help="Result or error, without traceback or personal data.")
