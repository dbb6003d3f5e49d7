# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""Payroll options of a connection: where and how pay runs post, who is fetched, the payroll poll."""
import datetime
import logging

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..const import ACCOUNTANT_GROUP, ADMIN_GROUP, WEBLINK
from ..paylocity import payroll
from ..paylocity.errors import PaylocityError
from ..paylocity.webhooks import PAYROLL_PROCESSED, dedup_key
from .access import check_caller

PAYLOCITY_CURRENCY = 'USD'   # Paylocity is US payroll: every amount it reports is in US dollars

_logger = logging.getLogger(__name__)

# Where and how a pay run's entry is made: accounting managers only (with the cash, bank matching and accrual
# options, paylocity_connection_cash._check_cash_rights).
POSTING_FIELDS = frozenset({'payroll_net_pay_account_id', 'journal_id', 'payroll_posting', 'payroll_detail_level',
                            'payroll_date_source'})


class PaylocityConnection(models.Model):
    _inherit = 'paylocity.connection'

    # === POSTING === #
    payroll_enabled = fields.Boolean(
        'Post payroll entries', default=True, tracking=True,
        help="Turn each processed Paylocity pay run into one journal entry. When off, pay runs are neither "
             "discovered nor fetched.")
    payroll_net_pay_account_id = fields.Many2one(
        'account.account', string='Net pay account', check_company=True, tracking=True, ondelete='restrict',
        help="Credited with each pay run's net pay (what the employees receive); the bank payment of the net pay "
             "is later reconciled against it.")
    payroll_posting = fields.Selection(
        [('post', 'Post the entry'), ('draft', 'Create the entry in draft'),
         ('manual', 'Wait for the Post button')],
        string='Posting', default='post', required=True, tracking=True,
        help="What happens when a pay run is complete, mapped and agrees with Paylocity's totals.")
    payroll_detail_level = fields.Selection(
        [('aggregate', 'Summarized by account, analytic account and partner'),
         ('employee', 'One set of lines per employee')],
        string='Entry detail', default='aggregate', required=True, tracking=True)
    payroll_date_source = fields.Selection(
        [('check', 'Check date'), ('period_end', 'Pay period end date'), ('process', 'Processing date')],
        string='Entry date', default='check', required=True, tracking=True,
        help="Accounting date of the entry. The processing date is known only for runs announced by webhook; "
             "others use the check date.")
    payroll_user_id = fields.Many2one(
        'res.users', string='Accountant', tracking=True, domain=[('share', '=', False)],
        help="Receives the activities about pay runs held for mapping or review and mappings that went bad. "
             "The connection's responsible when empty.")

    # === FETCH AND POLL === #
    payroll_start_date = fields.Date(
        'Post pay runs from', default=fields.Date.context_today, tracking=True,
        help="Pay runs with an earlier check date are never fetched or posted (their entries were made before "
             "the connector).")
    payroll_lookback_days = fields.Integer(
        'Terminated employees within (days)', default=45, tracking=True,
        help="A pay run is fetched for active employees, those on leave, and employees terminated at most this "
             "many days before its check date (their final check).")
    payroll_poll_days = fields.Integer(
        'Poll check dates within (days)', default=14,
        help="The daily poll looks for pay runs with a check date from this many days ago onwards that were "
             "never announced by webhook.")
    payroll_poll_last_at = fields.Datetime('Last payroll poll', readonly=True, copy=False)
    gl_rule_check_at = fields.Datetime('Mappings last checked', readonly=True, copy=False)

    # === LINKS === #
    gl_rule_ids = fields.One2many('paylocity.gl.rule', 'connection_id', string='Mappings')
    gl_rule_count = fields.Integer('Mapping count', compute='_compute_payroll_counts')
    pay_run_ids = fields.One2many('paylocity.pay.run', 'connection_id', string='Pay runs')
    pay_run_count = fields.Integer('Pay run count', compute='_compute_payroll_counts')

    _payroll_lookback_days_positive = models.Constraint(
        'CHECK (payroll_lookback_days >= 0)', "The look-back for terminated employees cannot be negative.")
    _payroll_poll_days_positive = models.Constraint(
        'CHECK (payroll_poll_days >= 0)', "The payroll poll window cannot be negative.")

    def _compute_payroll_counts(self):
        self._fill_counts({'gl_rule_count': 'paylocity.gl.rule', 'pay_run_count': 'paylocity.pay.run'})

    def _accounting_option_fields(self):
        return set(POSTING_FIELDS)

    def _payroll_accountant(self):
        """Who receives payroll activities: the accountant, else the responsible, else the administrator."""
        self.ensure_one()
        return self.payroll_user_id or self.user_id or self.create_uid or self.env.ref('base.user_admin')

    def _payroll_alert(self, summary, body):
        """A chatter note and (once per subject while open) an activity for the accountant."""
        self.ensure_one()
        connection = self.sudo()
        connection.message_post(body=body, subtype_xmlid='mail.mt_note')
        if not connection.activity_ids.filtered(lambda a: a.summary == summary):
            connection.activity_schedule('mail.mail_activity_data_warning', summary=summary, note=body,
                                         user_id=connection._payroll_accountant().id)

    def _payroll_setup_problems(self):
        """What keeps this connection's pay runs from posting, whatever the mappings (sentences)."""
        self.ensure_one()
        problems = []
        account = self.payroll_net_pay_account_id
        if not account:
            problems.append(self.env._("Set the net pay account on the connection."))
        else:
            problems += [self.env._("Net pay account: %(problem)s", problem=problem)
                         for problem in self.env['paylocity.gl.rule']._account_problems(account, self.company_id)]
        if not self.journal_id:
            problems.append(self.env._("Set the journal on the connection."))
        elif self.journal_id.company_id != self.company_id:
            problems.append(self.env._("The journal belongs to another company."))
        return problems + self._payroll_currency_problems(self.journal_id)

    def _payroll_currency_problems(self, journal):
        """Paylocity's amounts are US dollars, and entries book them as they are, in the company's currency: a
        company or a journal in another currency gets no entry (nothing is converted)."""
        problems = []
        currency = self.company_id.currency_id
        if currency.name != PAYLOCITY_CURRENCY:
            problems.append(self.env._(
                "Paylocity pays in US dollars, but company %(company)s keeps its books in %(currency)s: no entry is "
                "made in another currency.", company=self.company_id.name, currency=currency.name))
        if journal.currency_id and journal.currency_id.name != PAYLOCITY_CURRENCY:
            problems.append(self.env._(
                "Paylocity pays in US dollars, but journal %(journal)s is in %(currency)s: choose a journal in US "
                "dollars.", journal=journal.display_name, currency=journal.currency_id.name))
        return problems

    def _payroll_analytics(self):
        """Cost center code → analytic account id, for the level the mappings use."""
        self.ensure_one()
        codes = self.env['paylocity.code'].sudo().with_context(active_test=False).search([
            ('connection_id', '=', self.id), ('code_type', '=', 'costcenter%s' % self.analytic_level),
            ('analytic_account_id', '!=', False)])
        return {code.code: code.analytic_account_id.id for code in codes}

    # === ACTIONS === #
    def action_view_pay_runs(self):
        return self._records_action('paylocity_connector.action_paylocity_pay_run')

    def action_view_gl_rules(self):
        return self._records_action('paylocity_connector.action_paylocity_gl_rule', search_default_filter_active=1)

    def action_create_draft_rules(self):
        """Draft mappings for every code the connection's pay runs found unmapped, and every imported earning,
        deduction and tax code without one."""
        self.ensure_one()
        check_caller(self)
        self.env['paylocity.gl.rule']._check_mapping_rights()
        rules = self.env['paylocity.gl.rule']._create_draft_rules(self)
        return self._notify(self.env._("%(count)s draft mapping(s) created.", count=len(rules)),
                            'success' if rules else 'info')

    def action_poll_pay_runs(self):
        """Look for pay runs now (the daily poll, for this connection)."""
        self.ensure_one()
        self.check_access('write')
        try:
            found = self.sudo()._poll_pay_runs()
        except PaylocityError as exc:
            raise UserError(self.env._("Paylocity could not be read: %(reason)s", reason=payroll.error_text(exc))) \
                from None
        return self._notify(self.env._("%(count)s new pay run(s) found.", count=len(found)), 'success')

    def action_check_gl_rules(self):
        """Check every mapping of the connection now (what the daily check does); held runs look again."""
        self.ensure_one()
        check_caller(self, 'read', (ADMIN_GROUP, ACCOUNTANT_GROUP))
        bad = self.env['paylocity.gl.rule'].sudo()._check_connection_rules(self, full=True)
        if bad:
            return self._notify(self.env._("%(count)s mapping(s) need attention.", count=len(bad)), 'warning')
        return self._notify(self.env._("Every mapping is usable."), 'success')

    # === DEMO === #
    # The sandbox's codes (sandbox/data.py) → (debit, credit) account keys of Odoo's generic chart.
    _DEMO_MAPPING = {
        'earning': {'REG': ('expense_salary', None), 'OT': ('expense_salary', None),
                    'BONUS': ('expense_salary', None)},
        'deduction': {'401K': (None, 'current_liabilities'), 'MED': (None, 'current_liabilities'),
                      'DEN': (None, 'current_liabilities')},
        'tax': {'FITW': (None, 'employee_payroll_taxes'), 'SITW': (None, 'employee_payroll_taxes'),
                'FICA': (None, 'employee_payroll_taxes'), 'MEDI': (None, 'employee_payroll_taxes'),
                'FICA-ER': ('expense_salary', 'employer_payroll_taxes'),
                'MEDI-ER': ('expense_salary', 'employer_payroll_taxes'),
                'FUTA': ('expense_salary', 'employer_payroll_taxes'),
                'SUTA': ('expense_salary', 'employer_payroll_taxes')},
    }

    def _payroll_demo_setup(self):
        """Demo data: the net pay account and mappings of the sandbox's codes to the company's chart (Odoo's
        generic chart accounts, found by their template ids); skipped quietly when that chart is not there."""
        for connection in self.sudo():
            company = connection.company_id

            def account(key):
                return self.env.ref('account.%s_%s' % (company.id, key), raise_if_not_found=False)

            keys = {key for rules in self._DEMO_MAPPING.values() for pair in rules.values() for key in pair if key}
            if not account('salary_payable') or not all(account(key) for key in keys):
                _logger.info("Paylocity demo: no generic chart in company %s; payroll mappings not created",
                             company.id)
                continue
            connection.write({'payroll_net_pay_account_id': account('salary_payable').id,
                              'payroll_start_date': fields.Date.context_today(self) - datetime.timedelta(days=60)})
            for code_type, rules in self._DEMO_MAPPING.items():
                for code_text, (debit, credit) in rules.items():
                    code = self.env['paylocity.code']._find_or_create(connection, code_type, code_text)
                    if self.env['paylocity.gl.rule'].search_count([('connection_id', '=', connection.id),
                                                                   ('code_id', '=', code.id)]):
                        continue
                    self.env['paylocity.gl.rule'].create({
                        'connection_id': connection.id, 'code_id': code.id,
                        'debit_account_id': debit and account(debit).id,
                        'credit_account_id': credit and account(credit).id,
                        'analytic_mode': 'employee' if debit else 'none'})

    # === POLL === #
    @api.model
    def _cron_poll_pay_runs(self):
        """Daily: discover pay runs that never announced themselves, for every payroll-enabled connection."""
        connections = self.sudo().search([('payroll_enabled', '=', True)])
        for connection in connections:
            connection._run_cron_job('payroll_poll', connection._poll_pay_runs)

    def _poll_pay_runs(self, today=None):
        """Read the year's pay-statement summaries of every employee who could have been paid lately and record
        each (check date, run) not yet known as a Payroll Processed poll event; the event meets a webhook of the
        same run on its de-duplication key, and its handler creates the pay run. Returns the new events."""
        self.ensure_one()
        if not self.payroll_enabled or not self._get_credentials(WEBLINK):
            return self.env['paylocity.event']
        today = today or fields.Date.context_today(self)
        since = today - datetime.timedelta(days=max(self.payroll_poll_days, 0))
        if self.payroll_start_date and self.payroll_start_date > since:
            since = self.payroll_start_date
        # A run is processed a few days before its check date: look a little ahead too.
        until = today + datetime.timedelta(days=31)
        PayRun = self.env['paylocity.pay.run']
        employees = payroll.employees_to_fetch(PayRun._fetch_candidates(self), today,
                                               max(self.payroll_lookback_days, 0) + self.payroll_poll_days)
        watched = self._pay_runs_to_verify()   # posted runs compared with these same reads
        employees, years = self._verification_reads(watched, employees, payroll.poll_years(since, until))
        items = [(employee, year) for employee in employees for year in years]
        found = set()
        client = self._get_client()
        try:
            results = client.fan_out(
                lambda item: client.get_pay_statement_summaries(item[0], item[1]), items)
        finally:
            client.close()
        errors = [result for _item, result in results if isinstance(result, BaseException)]
        for _item, result in results:
            if not isinstance(result, BaseException):
                found |= payroll.discover_runs(result, since, until)
        events = self.env['paylocity.event']
        known = {(run.check_date, run.run_number) for run in PayRun.sudo().search(
            [('connection_id', '=', self.id), ('check_date', '>=', since)])}
        for check_date, run_number in sorted(found - known):
            events |= self._record_polled_run(check_date, run_number)
        self.sudo().write({'payroll_poll_last_at': fields.Datetime.now()})
        self._verify_pay_runs(watched, results)
        if errors and not found:
            raise errors[0]
        if errors:
            _logger.warning("Paylocity connection %s: payroll poll could not read %s of %s employee-years (%s)",
                            self.id, len(errors), len(items), payroll.error_text(errors[0]))
        return events

    def _record_polled_run(self, check_date, run_number):
        process_id = payroll.process_id(check_date, run_number)
        body = {'companyId': self.paylocity_company_code, 'processId': process_id,
                'checkDate': check_date.isoformat(), 'runId': str(run_number), 'status': 'Processed'}
        # The same key as the webhook's: a poll and a webhook of one run meet.
        key = dedup_key(PAYROLL_PROCESSED, self.paylocity_company_code, process_id)
        return self.env['paylocity.event']._create_from_poll(
            self, PAYROLL_PROCESSED, key, body, process_code=process_id, check_date=check_date,
            run_number=run_number,
            summary={'check_date': check_date.isoformat(), 'run_id': run_number, 'found_by': 'payroll poll'})
