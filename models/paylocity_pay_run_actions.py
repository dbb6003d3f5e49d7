# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""The accountant's buttons on a pay run: post, retry, fetch again, accept differences, cancel, reopen, re-post."""
from markupsafe import Markup

from odoo import models
from odoo.exceptions import UserError

from ..const import ACCOUNTANT_GROUP
from .access import check_caller
from .paylocity_pay_run import ENTRY_STATUSES, GONE_STATUSES, TODO


class PaylocityPayRun(models.Model):
    _inherit = 'paylocity.pay.run'

    def _check_accountant(self):
        """What makes, re-makes or drops an entry is for accounting managers of the run's company (a Paylocity
        administrator configures the connection, and does not post)."""
        check_caller(self, 'write', (ACCOUNTANT_GROUP,),
                     self.env._("Only accounting managers can post, fetch again, cancel or re-post pay runs."))

    def action_post(self):
        """Post now: build from the stored statements and post if everything is mapped and agrees (a run still
        fetching is queued instead)."""
        self._check_accountant()
        queued = self.env['paylocity.pay.run']
        for run in self.sudo():
            run._lock_or_raise()
            if run.state == 'new':
                queued |= run._request_processing()
            elif run.state in ('fetched', 'needs_mapping', 'needs_review', 'ready', 'failed') and run.fetched_at:
                run.with_context(paylocity_post_now=True)._build_and_post()
            elif run.state == 'failed':
                run._set_state('new', {'fetch_attempts': 0})
                queued |= run._request_processing()
        if queued:
            return self._notify(self.env._("The statements are still being fetched; the run posts when complete."),
                                'info')
        return True

    def action_retry(self):
        """Fetch again what failed (stored answers are kept) and carry on."""
        self._check_accountant()
        for run in self.sudo().filtered(lambda r: r.state in ('failed', 'new')):
            run._lock_or_raise()
            run._set_state('fetched' if run.fetched_at else 'new', {'fetch_attempts': 0, 'last_error': False})
            run._request_processing()
        return True

    def action_refetch(self):
        """Forget the stored statements and ask Paylocity again (only while the run has no live entry)."""
        self._check_accountant()
        for run in self.sudo():
            run._lock_or_raise()
            if run.post_count and run._entry_status() not in GONE_STATUSES:
                raise UserError(self.env._("Pay run %(run)s has an entry: it is not fetched again.", run=run.name))
            run.employee_ids.unlink()
            run.unmapped_ids.unlink()
            run._set_state('new', {'employees_listed': False, 'fetch_total': 0, 'fetch_done': 0,
                       'fetch_errors': 0, 'paid_count': 0, 'fetched_at': False, 'fetch_attempts': 0,
                       'last_error': False, 'accepted_differences': False})
            run._note(self.env._("Statements discarded by %(user)s; fetching again.", user=self.env.user.name))
            run._request_processing()
        return True

    def action_accept_differences(self):
        """The accountant accepts the listed differences with Paylocity's totals: the run may post as built."""
        self._check_accountant()
        for run in self.sudo().filtered(lambda r: r.state == 'needs_review'):
            run._lock_or_raise()
            result = run._build()
            differences = run._describe_differences(result)
            if not result.employees:
                raise UserError(self.env._("Pay run %(run)s has no statement: there is nothing to post.",
                                           run=run.name))
            run.write({'accepted_differences': '\n'.join(differences)})
            # The differences name employees and amounts: on the run (pay data readers), not in its chatter.
            run._note(self.env._("Differences accepted by %(user)s (listed under Notes).", user=self.env.user.name))
            run.with_context(paylocity_post_now=True)._build_and_post()
        return True

    def action_cancel(self):
        """Never post this run (e.g. entered by hand before the connector)."""
        self._check_accountant()
        for run in self.sudo():
            run._lock_or_raise()
            if run._live_moves():   # its entry, an earlier one or a correction still books
                raise UserError(self.env._("Pay run %(run)s has an entry: delete or reverse it in Accounting first.",
                                           run=run.name))
            run._set_state('cancelled', {'next_try_at': False})
            run.activity_unlink([TODO])
            run._note(self.env._("Cancelled by %(user)s.", user=self.env.user.name))
        return True

    def action_reset(self):
        """Bring a cancelled run back."""
        self._check_accountant()
        for run in self.sudo().filtered(lambda r: r.state == 'cancelled'):
            run._lock_or_raise()
            run._set_state('fetched' if run.fetched_at else 'new')
            run._note(self.env._("Reopened by %(user)s.", user=self.env.user.name))
            run._request_processing()
        return True

    def action_open_repost_wizard(self):
        self.ensure_one()
        self._check_accountant()
        return {
            'type': 'ir.actions.act_window',
            'name': self.env._("Re-post pay run"),
            'res_model': 'paylocity.pay.run.repost',
            'view_mode': 'form',
            'target': 'new',
            'context': {'default_run_id': self.id},
        }

    def _repost(self, reason):
        """An accountant confirmed a new entry for a run whose entry was deleted, reversed or cancelled."""
        self.ensure_one()
        self._check_accountant()
        run = self.sudo()
        run._lock_or_raise()
        status = run._entry_status()
        if status not in GONE_STATUSES:
            raise UserError(self.env._("Pay run %(run)s still has its entry (%(status)s): nothing to re-post.",
                                       run=run.name, status=dict(ENTRY_STATUSES)[status]))
        blocker = run._repost_blocker()
        if blocker:
            raise UserError(blocker)
        run._set_state('fetched', {'repost_confirmed': True})
        run._note(Markup('<p>%s</p><p>%s</p>') % (
            self.env._("Re-post confirmed by %(user)s (previous entry %(status)s).", user=self.env.user.name,
                       status=dict(ENTRY_STATUSES)[status]), reason or ''))
        run.with_context(paylocity_post_now=True)._build_and_post()
        return run.move_id

    def action_view_entry(self):
        self.ensure_one()
        check_caller(self)
        return {'type': 'ir.actions.act_window', 'res_model': 'account.move', 'res_id': self.move_id.id,
                'view_mode': 'form'}

    def action_view_entries(self):
        self.ensure_one()
        check_caller(self)
        return {'type': 'ir.actions.act_window', 'name': self.env._("Entries"), 'res_model': 'account.move',
                'domain': [('paylocity_pay_run_id', '=', self.id)], 'view_mode': 'list,form'}

    def action_create_draft_rules(self):
        """Draft mappings for the codes this run found unmapped."""
        self.ensure_one()
        check_caller(self)
        self.env['paylocity.gl.rule']._check_mapping_rights()
        rules = self.env['paylocity.gl.rule']._create_draft_rules(self.connection_id, runs=self,
                                                                  include_imported=False)
        return self._notify(self.env._("%(count)s draft mapping(s) created: fill in their accounts.",
                                       count=len(rules)), 'success' if rules else 'info')

    def _notify(self, message, kind):
        return {'type': 'ir.actions.client', 'tag': 'display_notification',
                'params': {'message': message, 'type': kind,
                           'next': {'type': 'ir.actions.client', 'tag': 'soft_reload'}}}
