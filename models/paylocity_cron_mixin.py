# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
import logging

from markupsafe import Markup

from odoo import fields, models

from ..const import ADMIN_GROUP

_logger = logging.getLogger(__name__)


class PaylocityCronMixin(models.AbstractModel):
    """The one isolation and commit path of the connection-level crons (polls, pushes, reference data, mapping
    checks, secret expiry): each connection's part runs through ``_run_cron_job``, so one connection's failure
    (any exception) is rolled back, counted and recorded on it, and the other connections proceed. After
    ``cron_alert_failures`` failures in a row the connection's chatter says so and its responsible gets an
    activity; the next success resets the count."""

    _name = 'paylocity.cron.mixin'
    _inherit = ['paylocity.background.mixin']
    _description = 'Paylocity connection-level cron runs'
    _paylocity_parameters = {'cron_alert_failures': 3}

    cron_failures = fields.Json(
        'Background job failures', readonly=True, copy=False, groups=ADMIN_GROUP,
        help="Per connection-level job: failures in a row, the last error and when it happened.")

    def _run_cron_job(self, job, work, message_field=None):
        """Return ``work()`` run for this record as one isolated, committed unit of the cron ``job`` (a short
        name), or None after a failure, which is recorded (and, with ``message_field``, shown there)."""
        self.ensure_one()
        try:
            result = self._run_isolated(work)
        except Exception as exc:  # noqa: BLE001 - recorded for the administrator, the other records go on
            self._cron_job_failed(job, exc, message_field)
            result = None
        else:
            self._cron_job_succeeded(job)
        self._commit_step()
        return result

    def _cron_job_failed(self, job, exc, message_field=None):
        record = self.sudo()
        error = self._error_text(exc)
        _logger.warning("%s %s: %s failed (%s)", self._name, self.id, job, type(exc).__name__)
        failures = dict(record.cron_failures or {})
        count = failures.get(job, {}).get('count', 0) + 1
        failures[job] = {'count': count, 'error': error, 'at': fields.Datetime.to_string(fields.Datetime.now())}
        vals = {'cron_failures': failures}
        if message_field:
            vals[message_field] = self.env._("Failed: %(error)s", error=error)
        record.write(vals)
        if count == self._param('cron_alert_failures'):
            record._cron_alert(job, count, error)

    def _cron_job_succeeded(self, job):
        record = self.sudo()
        if (record.cron_failures or {}).get(job):
            failures = dict(record.cron_failures)
            del failures[job]
            record.write({'cron_failures': failures or False})

    def _cron_alert(self, job, count, error):
        job = job.replace('_', ' ')
        summary = self.env._("Paylocity background job failing: %(job)s", job=job)
        self.message_post(body=Markup('<p>%s</p><p>%s</p>') % (self.env._(
            "The %(job)s job failed %(count)s times in a row for this connection; it keeps being tried on its "
            "schedule.", job=job, count=count), error), subtype_xmlid='mail.mt_note')
        if not self.activity_ids.filtered(lambda a: a.summary == summary):
            self.activity_schedule(
                'mail.mail_activity_data_warning', summary=summary,
                note=self.env._("Fix the cause shown in the connection's chatter; the job runs again on its own."),
                user_id=self._responsible_user().id)

    def _responsible_user(self):
        """Who receives this connection's activities: its responsible, else its creator, else the administrator."""
        self.ensure_one()
        return self.user_id or self.create_uid or self.env.ref('base.user_admin')
