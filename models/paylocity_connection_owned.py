# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from odoo import fields, models


class PaylocityConnectionOwned(models.AbstractModel):
    """A record of one connection: deleted with it, and in its company (for record rules and company checks)."""

    _name = 'paylocity.connection.owned.mixin'
    _description = 'Paylocity record of one connection'
    _check_company_auto = True

    connection_id = fields.Many2one(
        'paylocity.connection', string='Connection', required=True, ondelete='cascade', index=True)
    company_id = fields.Many2one(related='connection_id.company_id', store=True, index=True)
