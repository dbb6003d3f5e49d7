# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from odoo import fields, models
from odoo.exceptions import UserError


class PaylocityPayRunRepost(models.TransientModel):
    """The explicit, confirmed action that makes a new entry for a pay run whose entry was deleted, reversed or
    cancelled in Odoo (the connector never does it on its own)."""
    _name = 'paylocity.pay.run.repost'
    _description = 'Re-post a Paylocity pay run'

    run_id = fields.Many2one('paylocity.pay.run', required=True, ondelete='cascade', readonly=True)
    entry_status = fields.Selection(related='run_id.entry_status')
    previous_move_id = fields.Many2one(related='run_id.move_id', string='Current entry')
    reason = fields.Text(required=True, help="Recorded on the pay run's chatter with your name.")
    confirm = fields.Boolean("I confirm a new journal entry must be made for this pay run")

    def action_repost(self):
        self.ensure_one()
        self.check_access('write')
        self.run_id._check_accountant()
        if not self.confirm:
            raise UserError(self.env._("Tick the confirmation first: a new entry will be posted."))
        move = self.run_id._repost(self.reason)
        if not move:
            return {'type': 'ir.actions.act_window', 'res_model': 'paylocity.pay.run', 'res_id': self.run_id.id,
                    'view_mode': 'form'}
        return {'type': 'ir.actions.act_window', 'res_model': 'account.move', 'res_id': move.id, 'view_mode': 'form'}
