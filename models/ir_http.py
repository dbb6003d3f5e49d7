# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""Routes declared with ``raw_body=True`` read their body themselves: Odoo never parses it as a form.

Odoo's ``type='http'`` dispatcher reads ``request.params`` from the form before the route runs, and for a
form-encoded or multipart body that means parsing it (up to 10 MB in memory, 128 MB in all) whoever sent it, before
the route can check anything. Werkzeug lets a request name the parser it uses (``form_data_parser_class``); for
these routes it is one that leaves the stream unread and the form empty.
"""
from werkzeug.formparser import FormDataParser

from odoo import models
from odoo.http import request


class UnparsedForm(FormDataParser):
    """Parses nothing: the stream is left to the route, the form and files are empty."""

    def parse(self, stream, mimetype, content_length, options=None):
        return stream, self.cls(), self.cls()


class IrHttp(models.AbstractModel):
    _inherit = 'ir.http'

    @classmethod
    def _pre_dispatch(cls, rule, args):
        if rule.endpoint.routing.get('raw_body'):
            request.httprequest._HTTPRequest__wrapped.form_data_parser_class = UnparsedForm
        super()._pre_dispatch(rule, args)
