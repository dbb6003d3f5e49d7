# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""The health overview: each connection's figures at a glance (the Paylocity app's first screen).

The figures are computed, never stored: they are always current and cost nothing when nobody looks. They are
counted as superuser over the connections the user can already see, so whoever sees a connection sees its
health even without access to every record behind it; the buttons that open those records follow the records'
own access rights.
"""
from odoo import api, fields, models


EVENT_FAILED = ('failed',)
EVENT_RETRYING = ('retrying',)
RUN_STATE_COUNTERS = {
    'needs_mapping': 'run_needs_mapping_count',
    'needs_review': 'run_needs_review_count',
    'failed': 'run_failed_count',
}
# Runs whose books differ from Paylocity: a difference the verification found and has not corrected yet, or an
# entry Odoo no longer holds as Paylocity paid it (reversed, cancelled or deleted in Odoo).
RUN_ENTRY_GONE = ('reversed', 'cancelled', 'deleted')
RUN_OUT_OF_AGREEMENT = ['|', ('agreement', '=', 'differs'), ('entry_status', 'in', RUN_ENTRY_GONE)]


class PaylocityConnection(models.Model):
    _inherit = 'paylocity.connection'

    last_webhook_at = fields.Datetime(
        'Last webhook', compute='_compute_overview',
        help="When the last webhook Paylocity sent was accepted (refused deliveries are not counted).")
    event_failed_count = fields.Integer('Failed events', compute='_compute_overview')
    event_retrying_count = fields.Integer('Retrying events', compute='_compute_overview')
    run_needs_mapping_count = fields.Integer('Runs needing mapping', compute='_compute_overview')
    run_needs_review_count = fields.Integer('Runs needing review', compute='_compute_overview')
    run_failed_count = fields.Integer('Failed runs', compute='_compute_overview')
    run_out_of_agreement_count = fields.Integer(
        'Runs out of agreement', compute='_compute_overview',
        help="Posted pay runs with a difference from Paylocity not yet corrected, or whose journal entry was "
             "reversed, cancelled or deleted in Odoo.")
    weblink_secret_days = fields.Integer('WebLink secret expires in (days)', compute='_compute_overview')
    nextgen_secret_days = fields.Integer('NextGen secret expires in (days)', compute='_compute_overview')
    weblink_expiry_known = fields.Boolean(compute='_compute_overview')
    nextgen_expiry_known = fields.Boolean(compute='_compute_overview')
    secret_expiry_known = fields.Boolean(compute='_compute_overview')
    secret_expiry_warning = fields.Boolean(
        compute='_compute_overview', help="A client secret expires within the connection's warning period.")
    needs_attention = fields.Boolean(compute='_compute_overview')

    @api.depends_context('uid')
    def _compute_overview(self):
        # self holds only connections the user can read; count behind them as superuser.
        connections = self.sudo()
        ids = [cid for cid in self.ids if cid]   # new records (onchange) have no figures yet
        Event = self.env['paylocity.event'].sudo()
        Run = self.env['paylocity.pay.run'].sudo()
        last_webhook = {connection.id: at for connection, at in Event._read_group(
            [('connection_id', 'in', ids), ('source', '=', 'webhook'), ('state', '!=', 'rejected')],
            ['connection_id'], ['received_at:max'])}
        events = {(connection.id, state): count for connection, state, count in Event._read_group(
            [('connection_id', 'in', ids), ('state', 'in', EVENT_FAILED + EVENT_RETRYING)],
            ['connection_id', 'state'], ['__count'])}
        runs = {(connection.id, state): count for connection, state, count in Run._read_group(
            [('connection_id', 'in', ids), ('state', 'in', tuple(RUN_STATE_COUNTERS))],
            ['connection_id', 'state'], ['__count'])}
        out_of_agreement = {connection.id: count for connection, count in Run._read_group(
            [('connection_id', 'in', ids)] + RUN_OUT_OF_AGREEMENT,
            ['connection_id'], ['__count'])}
        today = fields.Date.context_today(self)
        for connection, stored in zip(self, connections):
            key = connection._origin.id
            connection.last_webhook_at = last_webhook.get(key, False)
            connection.event_failed_count = events.get((key, 'failed'), 0)
            connection.event_retrying_count = events.get((key, 'retrying'), 0)
            for state, field_name in RUN_STATE_COUNTERS.items():
                connection[field_name] = runs.get((key, state), 0)
            connection.run_out_of_agreement_count = out_of_agreement.get(key, 0)
            days = {}
            for family in ('weblink', 'nextgen'):
                expiry = stored['%s_secret_expiry' % family]
                days[family] = (expiry - today).days if expiry else 0
                connection['%s_secret_days' % family] = days[family]
                connection['%s_expiry_known' % family] = bool(expiry)
            known = [days[f] for f in days if stored['%s_secret_expiry' % f]]
            connection.secret_expiry_known = bool(known)
            connection.secret_expiry_warning = bool(known) and min(known) <= stored.secret_warning_days
            connection.needs_attention = bool(
                connection.event_failed_count or connection.run_needs_mapping_count
                or connection.run_needs_review_count or connection.run_failed_count
                or connection.run_out_of_agreement_count or connection.secret_expiry_warning
                or stored.last_test_state in ('failed', 'partial'))

    # === WHAT EACH FIGURE OPENS === #
    def _overview_action(self, xmlid, name, domain):
        return self._records_action(xmlid, domain, name)

    def action_overview_webhooks(self):
        return self._overview_action('paylocity_connector.action_paylocity_event', self.env._("Webhooks"),
                                     [('source', '=', 'webhook')])

    def action_overview_failed_events(self):
        return self._overview_action('paylocity_connector.action_paylocity_event', self.env._("Failed events"),
                                     [('state', 'in', EVENT_FAILED)])

    def action_overview_retrying_events(self):
        return self._overview_action('paylocity_connector.action_paylocity_event', self.env._("Retrying events"),
                                     [('state', 'in', EVENT_RETRYING)])

    def _overview_runs(self, name, domain):
        return self._overview_action('paylocity_connector.action_paylocity_pay_run', name, domain)

    def action_overview_runs_needs_mapping(self):
        return self._overview_runs(self.env._("Runs needing mapping"), [('state', '=', 'needs_mapping')])

    def action_overview_runs_needs_review(self):
        return self._overview_runs(self.env._("Runs needing review"), [('state', '=', 'needs_review')])

    def action_overview_runs_failed(self):
        return self._overview_runs(self.env._("Failed runs"), [('state', '=', 'failed')])

    def action_overview_runs_out_of_agreement(self):
        return self._overview_runs(self.env._("Runs out of agreement"), RUN_OUT_OF_AGREEMENT)

    def action_overview_employees(self):
        return self.action_view_bindings()

    def action_overview_pay_runs(self):
        return self.action_view_pay_runs()
