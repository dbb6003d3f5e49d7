# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""What each entry of a pay run is (original, re-post, correction), why it was made, the totals it books, and the
date Odoo's lock dates moved it from; a correction is made once per difference (unique fingerprint per run)."""
from markupsafe import Markup

from odoo import api, fields, models

ENTRY_KINDS = [('original', 'Original'), ('repost', 'Re-post'), ('correction', 'Correction')]


class AccountMove(models.Model):
    _inherit = 'account.move'

    paylocity_entry_kind = fields.Selection(
        ENTRY_KINDS, string='Paylocity entry', compute='_compute_paylocity_entry_kind', store=True)
    paylocity_fingerprint = fields.Char(
        'Paylocity difference', readonly=True, copy=False,
        help="Digest of the differences with Paylocity this correcting entry books: one entry per difference.")
    paylocity_reason = fields.Text('Why the connector made it', readonly=True, copy=False)
    paylocity_moved_from = fields.Date(
        'Date before the lock', readonly=True, copy=False,
        help="The date the entry would have had: it fell in a period closed by the company's lock dates.")
    paylocity_gross = fields.Monetary('Payroll gross', readonly=True, copy=False, currency_field='company_currency_id')
    paylocity_deductions = fields.Monetary('Payroll deductions', readonly=True, copy=False,
                                           currency_field='company_currency_id')
    paylocity_employee_taxes = fields.Monetary('Payroll employee taxes', readonly=True, copy=False,
                                               currency_field='company_currency_id')
    paylocity_net = fields.Monetary('Payroll net', readonly=True, copy=False, currency_field='company_currency_id')
    paylocity_employer_cost = fields.Monetary('Payroll employer cost', readonly=True, copy=False,
                                              currency_field='company_currency_id')

    _paylocity_fingerprint_uniq = models.UniqueIndex(
        '(paylocity_pay_run_id, paylocity_fingerprint) WHERE paylocity_fingerprint IS NOT NULL',
        "This difference with Paylocity already has its correcting entry.")

    @api.depends('paylocity_pay_run_id', 'paylocity_generation', 'paylocity_fingerprint')
    def _compute_paylocity_entry_kind(self):
        for move in self:
            if not move.paylocity_pay_run_id:
                move.paylocity_entry_kind = False
            elif move.paylocity_fingerprint:
                move.paylocity_entry_kind = 'correction'
            else:
                move.paylocity_entry_kind = 'repost' if move.paylocity_generation > 1 else 'original'

    def _post(self, soft=True):
        dates = {move.id: move.date for move in self}
        posted = super()._post(soft=soft)
        for move in posted.sudo().filtered('paylocity_pay_run_id'):
            run = move.paylocity_pay_run_id
            before = dates.get(move.id)
            if before and move.date != before and not move.paylocity_moved_from:
                move.paylocity_moved_from = before
                run._note(self.env._(
                    "Entry %(move)s is dated %(date)s: %(before)s is in a period closed by the lock dates.",
                    move=move.display_name, date=move.date, before=before))
            if move.paylocity_fingerprint:
                run.activity_ids.filtered(lambda a: a.summary == run.env._("Review the Paylocity correction")) \
                    .action_feedback(feedback=self.env._("Correction %(move)s posted.", move=move.display_name))
        return posted

    def unlink(self):
        """A deleted correction gives its difference back: the statements it replaced are the run's again, so the
        next verification finds the difference and makes a new correction."""
        corrections = self.sudo().filtered(lambda m: m.paylocity_fingerprint and m.paylocity_pay_run_id)
        notes = [(move.paylocity_pay_run_id, move.display_name, move.id) for move in corrections]
        for model in ('paylocity.pay.run.statement', 'paylocity.pay.run.line'):
            self.env[model].sudo().with_context(active_test=False).search(
                [('superseded_by_move_id', 'in', corrections.ids)]).write({'active': True})
        result = super().unlink()
        for run, name, _move_id in notes:
            run.sudo().write({'verified_at': False})
            run.sudo().message_post(body=Markup('<p>%s</p>') % self.env._(
                "Correction %(move)s was deleted by %(user)s: its difference with Paylocity is open again and the "
                "next verification makes a new correction.", move=name, user=self.env.user.name),
                subtype_xmlid='mail.mt_note')
        return result
