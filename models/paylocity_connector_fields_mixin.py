# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from odoo import api, models
from odoo.exceptions import AccessError


class PaylocityConnectorFieldsMixin(models.AbstractModel):
    """Fields only the connector's own code writes: links and counters its guards rely on (one entry per pay run
    and number, which entry an event produced). That code runs as superuser; a client's create or write, whatever
    its context, never does, so any other create or write setting one of them is refused with an ``AccessError``
    naming the fields, before anything is written. Copies do not carry them (``copy=False``)."""

    _name = 'paylocity.connector.fields.mixin'
    _description = 'Paylocity fields written by the connector only'

    _connector_fields = frozenset()

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._check_connector_fields(vals)
        return super().create(vals_list)

    def write(self, vals):
        self._check_connector_fields(vals)
        return super().write(vals)

    def _check_connector_fields(self, vals):
        names = self._connector_fields.intersection(vals)
        if names and not self.env.su:
            raise AccessError(self.env._(
                "%(model)s: only the Paylocity connector writes %(fields)s.",
                fields=', '.join(sorted(self._fields[name]._description_string(self.env) for name in names)),
                model=self.env['ir.model']._get(self._name).name or self._description))
