# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""Journal entries made from Paylocity pay runs: the link back, and what happens when an accountant deletes one."""
from markupsafe import Markup

from odoo import fields, models

# The link to the pay run, the entry number, a correction's fingerprint and the accrual mark: the never-twice
# guards read them (one entry per run and number, one correction per difference, accruals apart from the run's
# entry), so only the connector's own code (superuser) writes them; copies and reversals do not carry them.
# ``paylocity_fingerprint`` and ``paylocity_accrual`` are declared in account_move_correction.py and
# paylocity_pay_run_accrual.py.
LINK_FIELDS = frozenset({'paylocity_pay_run_id', 'paylocity_generation', 'paylocity_fingerprint', 'paylocity_accrual'})


class AccountMove(models.Model):
    _name = 'account.move'
    _inherit = ['account.move', 'paylocity.connector.fields.mixin']
    _connector_fields = LINK_FIELDS

    paylocity_pay_run_id = fields.Many2one(
        'paylocity.pay.run', string='Paylocity pay run', readonly=True, copy=False, index='btree_not_null',
        ondelete='restrict', help="The Paylocity pay run this entry was made from.")
    paylocity_generation = fields.Integer(
        'Paylocity entry number', readonly=True, copy=False,
        help="1 for a pay run's entry; 2 and up only for re-posts an accountant confirmed.")

    # The database refuses a second entry for the same pay run and generation, whatever any transaction saw.
    _paylocity_pay_run_uniq = models.UniqueIndex(
        '(paylocity_pay_run_id, paylocity_generation) WHERE paylocity_pay_run_id IS NOT NULL',
        "This Paylocity pay run already has this entry.")

    def _reverse_moves(self, default_values_list=None, cancel=False):
        reversals = super()._reverse_moves(default_values_list=default_values_list, cancel=cancel)
        for move in self.sudo().filtered(lambda m: m.paylocity_pay_run_id.move_id == m):
            move.paylocity_pay_run_id.message_post(body=Markup('<p>%s</p>') % self.env._(
                "Entry %(move)s was reversed by %(user)s. No new entry is made unless a re-post is confirmed.",
                move=move.display_name, user=self.env.user.name), subtype_xmlid='mail.mt_note')
        return reversals

    def unlink(self):
        runs = self.sudo().paylocity_pay_run_id.filtered(lambda run: run.move_id in self)
        notes = [(run, run.move_id.display_name) for run in runs]
        result = super().unlink()
        for run, name in notes:
            # Only an accountant's confirmed re-post makes a new entry (see paylocity.pay.run).
            run.sudo().write({'move_id': False})
            run.sudo().message_post(body=Markup('<p>%s</p>') % self.env._(
                "Entry %(move)s was deleted by %(user)s. No new entry is made unless a re-post is confirmed.",
                move=name, user=self.env.user.name), subtype_xmlid='mail.mt_note')
        return result
