# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from odoo import api, models, modules


class PaylocityJobMixin(models.AbstractModel):
    """What the connector's background jobs (event processing, pay-run fetching, employee reconciliation)
    share: tunable system parameters, and committing progress as they go — except inside tests, where the
    transaction belongs to the test."""

    _name = 'paylocity.job.mixin'
    _description = 'Paylocity background job helpers'

    # ``paylocity_connector.<name>`` system parameters this model reads, with their defaults.
    _paylocity_parameters = {}

    @api.model
    def _param(self, name):
        """An integer system parameter, or its default when unset or unreadable."""
        default = self._paylocity_parameters[name]
        value = self.env['ir.config_parameter'].sudo().get_param('paylocity_connector.%s' % name)
        try:
            return int(value) if value not in (None, False, '') else default
        except ValueError:
            return default

    @api.model
    def _can_commit(self):
        return not modules.module.current_test

    @api.model
    def _commit_step(self, processed=0, remaining=None):
        """Commit (reporting cron progress) and return the seconds the cron may still run; in tests only
        flush, and there is no time limit."""
        if self._can_commit():
            return self.env['ir.cron']._commit_progress(processed, remaining=remaining)
        self.env.flush_all()
        return float('inf')
