# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""Mappings: Paylocity earning, deduction and tax codes (optionally per cost center) → GL accounts.

One list per connection; the journal builder applies the most specific rule (code + cost center before code
alone). A rule is checked against its company when saved, and every day against the accounts changed since the
last check, so a rule whose account was archived or taken out of the company is flagged before a pay run needs
it (and a pay run holds rather than posting to it).
"""
import logging
from datetime import timedelta

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..const import ACCOUNTANT_GROUP
from ..paylocity.journal import ANALYTIC_EMPLOYEE, ANALYTIC_FIXED, DEDUCTION, EARNING, TAX, GlRule
from .access import check_caller

_logger = logging.getLogger(__name__)

DET_OF_TYPE = {'earning': EARNING, 'deduction': DEDUCTION, 'tax': TAX}   # Paylocity's DET letters
TYPE_OF_DET = {det: code_type for code_type, det in DET_OF_TYPE.items()}
CHECK_MARGIN = timedelta(hours=1)


class PaylocityGlRule(models.Model):
    _name = 'paylocity.gl.rule'
    _inherit = ['paylocity.connection.owned.mixin']
    _description = 'Paylocity GL mapping'
    _order = 'connection_id, det, code, cost_center_code, id'

    connection_id = fields.Many2one(default=lambda self: self._default_connection())
    active = fields.Boolean(default=True)
    code_id = fields.Many2one(
        'paylocity.code', string='Paylocity code', required=True, ondelete='restrict', check_company=True,
        domain="[('connection_id', '=', connection_id), ('code_type', 'in', ('earning', 'deduction', 'tax'))]")
    code = fields.Char(related='code_id.code', store=True, string='Code')
    det = fields.Selection([(EARNING, 'Earning'), (DEDUCTION, 'Deduction'), (TAX, 'Tax')], string='Code type',
                           compute='_compute_det', store=True,
                           help="Paylocity's DET letter of the code: E earning, D deduction, T tax.")
    cost_center_id = fields.Many2one(
        'paylocity.code', string='Cost center', ondelete='restrict', check_company=True,
        domain="[('connection_id', '=', connection_id), ('code_type', 'in', ('costcenter1', 'costcenter2', "
               "'costcenter3'))]",
        help="Only for employees in this cost center (at the level chosen on the connection); empty for all.")
    cost_center_code = fields.Char(related='cost_center_id.code', store=True, string='Cost center code')
    debit_account_id = fields.Many2one(
        'account.account', string='Debit account', check_company=True, ondelete='restrict',
        help="Earnings: the expense account. Employer taxes and contributions: their expense account.")
    credit_account_id = fields.Many2one(
        'account.account', string='Credit account', check_company=True, ondelete='restrict',
        help="Deductions and employee taxes: the liability they are owed on. Employer taxes and contributions: "
             "their liability account (with the debit account set too).")
    analytic_mode = fields.Selection(
        [('employee', "Employee's cost center"), ('fixed', 'Fixed analytic account'), ('none', 'None')],
        string='Analytic', required=True, default='employee',
        help="The analytic account of the expense side: that of the employee's cost center (set on the Paylocity "
             "code), a fixed one, or none.")
    analytic_account_id = fields.Many2one('account.analytic.account', string='Analytic account', check_company=True,
                                          ondelete='restrict')
    partner_id = fields.Many2one('res.partner', string='Partner', check_company=True, ondelete='restrict',
                                 help="On the liability line: the tax agency, benefits carrier or fund owed.")
    label = fields.Char(help="Label of the entry lines; the codes when empty.")
    ignore = fields.Boolean(help="Memo code: its amounts are not posted (e.g. employer-paid life insurance).")
    posting_sides = fields.Selection(
        [('draft', 'Draft: no account yet'), ('debit', 'Debit only (earning)'),
         ('credit', 'Credit only (withholding)'), ('debit_credit', 'Debit and credit (employer cost)'),
         ('ignore', 'Ignored')], string='Entry sides', compute='_compute_posting_sides', store=True)
    problem = fields.Text(readonly=True, copy=False,
                         help="Why this mapping cannot be used now (found by the daily check).")
    checked_at = fields.Datetime('Last checked', readonly=True, copy=False)

    _rule_uniq = models.UniqueIndex(
        '(connection_id, code_id, COALESCE(cost_center_id, 0)) WHERE active',
        "A code (and cost center) has one active mapping per connection.")

    @api.model
    def _default_connection(self):
        return self.env['paylocity.connection'].search([('company_id', '=', self.env.company.id)], limit=1)

    @api.depends('code_id.code_type')
    def _compute_det(self):
        for rule in self:
            rule.det = DET_OF_TYPE.get(rule.code_id.code_type, False)

    @api.depends('debit_account_id', 'credit_account_id', 'ignore')
    def _compute_posting_sides(self):
        for rule in self:
            if rule.ignore:
                rule.posting_sides = 'ignore'
            elif rule.debit_account_id and rule.credit_account_id:
                rule.posting_sides = 'debit_credit'
            elif rule.debit_account_id:
                rule.posting_sides = 'debit'
            elif rule.credit_account_id:
                rule.posting_sides = 'credit'
            else:
                rule.posting_sides = 'draft'

    @api.depends('code_id', 'cost_center_id')
    def _compute_display_name(self):
        for rule in self:
            name = rule.code_id.display_name or ''
            if rule.cost_center_id:
                name = '%s / %s' % (name, rule.cost_center_id.display_name)
            rule.display_name = name

    # === CHECKS === #
    @api.model
    def _account_problems(self, account, company):
        """Why ``account`` cannot take a payroll line of ``company`` (sentences; empty when it can)."""
        if not account:
            return []
        _ = self.env._
        account = account.sudo().with_context(active_test=False)
        problems = []
        if not account.active:
            problems.append(_("account %(account)s is archived", account=account.display_name))
        if not account.filtered_domain(account._check_company_domain(company)):
            problems.append(_("account %(account)s is not allowed in %(company)s", account=account.display_name,
                              company=company.name))
        if account.account_type == 'off_balance':
            problems.append(_("account %(account)s is off-balance", account=account.display_name))
        if account.currency_id and account.currency_id != company.currency_id:
            problems.append(_("account %(account)s forces currency %(currency)s", account=account.display_name,
                              currency=account.currency_id.name))
        return problems

    def _rule_problems(self):
        """Why this rule cannot be used now (sentences; empty when it can)."""
        self.ensure_one()
        _ = self.env._
        company = self.connection_id.company_id
        problems = []
        for account in (self.debit_account_id, self.credit_account_id):
            problems += self._account_problems(account, company)
        if self.code_id and self.code_id.connection_id != self.connection_id:
            problems.append(_("the code belongs to another connection"))
        if self.code_id and self.code_id.code_type not in DET_OF_TYPE:
            problems.append(_("only earning, deduction and tax codes are mapped"))
        if self.cost_center_id:
            level = 'costcenter%s' % self.connection_id.analytic_level
            if self.cost_center_id.code_type != level:
                problems.append(_("the cost center is not of the level the connection maps (%(level)s)",
                                  level=level[-1]))
        analytic = self.analytic_account_id.sudo().with_context(active_test=False)
        if self.analytic_mode == 'fixed' and not analytic:
            problems.append(_("a fixed analytic needs an analytic account"))
        if self.analytic_mode == 'fixed' and analytic:
            if not analytic.active:
                problems.append(_("analytic account %(name)s is archived", name=analytic.display_name))
            if analytic.company_id and analytic.company_id not in company.parent_ids:
                problems.append(_("analytic account %(name)s belongs to another company", name=analytic.display_name))
        return problems

    @api.constrains('debit_account_id', 'credit_account_id', 'analytic_mode', 'analytic_account_id', 'code_id',
                    'cost_center_id', 'connection_id', 'active', 'ignore')
    def _check_rule(self):
        for rule in self:
            if not rule.active or rule.ignore:
                continue
            problems = rule._rule_problems()
            if problems:
                raise ValidationError(self.env._("Mapping %(rule)s: %(problems)s.", rule=rule.display_name,
                                                 problems='; '.join(problems)))

    # === CRUD: held pay runs look again when mappings change === #
    @api.model_create_multi
    def create(self, vals_list):
        rules = super().create(vals_list)
        rules._after_change()
        return rules

    def write(self, vals):
        result = super().write(vals)
        if set(vals) - {'problem', 'checked_at'}:
            self._refresh_problem()
            self._after_change()
        return result

    def _refresh_problem(self):
        """Keep the flag true after an edit (fixed, or still bad for a reason the save check does not cover)."""
        for rule in self:
            text = '; '.join([] if rule.ignore or not rule.active else rule._rule_problems()) or False
            if text != rule.problem:
                rule.sudo().write({'problem': text})

    def unlink(self):
        connections = self.connection_id
        result = super().unlink()
        self.env['paylocity.pay.run']._requeue_held(connections)
        return result

    def _after_change(self):
        self.env['paylocity.pay.run']._requeue_held(self.connection_id)

    # === BUILDER INPUT === #
    @api.model
    def _builder_rules(self, connection):
        """The connection's active mappings as ``GlRule``, and the problems of those that cannot be used now.

        A mapping with a problem (archived account, ...) goes to the builder without accounts: its code shows as
        unmapped and the pay run holds, naming the problem, instead of posting to a bad account.
        """
        rules, problems = [], {}
        for rule in self.sudo().search([('connection_id', '=', connection.id)]):
            if not rule.code:
                continue
            key = (rule.det, rule.code.strip().upper(), rule.cost_center_code or None)
            issues = [] if rule.ignore else rule._rule_problems()
            if issues:
                problems[key] = self.env._("mapping %(rule)s: %(problems)s", rule=rule.display_name,
                                           problems='; '.join(issues))
                rules.append(GlRule(rule.code, det=rule.det, cost_center=rule.cost_center_code or None,
                                    rule_id=rule.id))
                continue
            analytic = {'employee': ANALYTIC_EMPLOYEE, 'fixed': ANALYTIC_FIXED}.get(rule.analytic_mode)
            rules.append(GlRule(
                rule.code, det=rule.det, cost_center=rule.cost_center_code or None,
                debit_account=rule.debit_account_id.id or None, credit_account=rule.credit_account_id.id or None,
                analytic=analytic if not rule.ignore else None,
                analytic_account=rule.analytic_account_id.id if analytic == ANALYTIC_FIXED else None,
                partner=rule.partner_id.id or None, label=rule.label or None, ignore=rule.ignore, rule_id=rule.id))
        return rules, problems

    # === DRAFT RULES === #
    @api.model
    def _check_mapping_rights(self):
        """A mapping decides which account and partner a pay amount goes to: accounting managers only (the access
        rights say the same for the ORM; this says it before a button works as superuser)."""
        check_caller(self, 'create', (ACCOUNTANT_GROUP,),
                     self.env._("Only accounting managers can create payroll mappings."))

    def _create_draft_rules(self, connection, runs=None, include_imported=True):
        """Draft mappings (no account yet) for every code the pay runs (default: the connection's runs waiting for
        a mapping) found unmapped and, with ``include_imported``, every imported earning, deduction and tax code
        without a mapping. Returns the new rules."""
        connection = connection.sudo()
        Code = self.env['paylocity.code'].sudo().with_context(active_test=False)
        Rule = self.sudo().with_context(active_test=False)
        wanted = []   # (code_type, code, cost center code or None)
        if runs is None:
            runs = self.env['paylocity.pay.run'].sudo().search(
                [('connection_id', '=', connection.id), ('state', '=', 'needs_mapping')])
        for item in runs.sudo().unmapped_ids:
            if item.det in TYPE_OF_DET and item.code:
                wanted.append((TYPE_OF_DET[item.det], item.code, item.cost_center or None))
        if include_imported:
            for code in Code.search([('connection_id', '=', connection.id), ('code_type', 'in', list(DET_OF_TYPE)),
                                     ('active', '=', True)]):
                wanted.append((code.code_type, code.code, None))
        level = 'costcenter%s' % connection.analytic_level
        existing = {(rule.code_id.id, rule.cost_center_id.id or False)
                    for rule in Rule.search([('connection_id', '=', connection.id), ('active', '=', True)])}
        vals_list = []
        for code_type, code_text, cost_center in wanted:
            code = Code._find_or_create(connection, code_type, code_text)
            center = Code._find_or_create(connection, level, cost_center) if cost_center else Code
            key = (code.id, center.id or False)
            if key in existing:
                continue
            existing.add(key)
            vals_list.append({'connection_id': connection.id, 'code_id': code.id, 'cost_center_id': center.id,
                              'analytic_mode': 'employee' if code_type == 'earning' else 'none'})
        return Rule.create(vals_list)

    # === DAILY CHECK === #
    @api.model
    def _cron_check_gl_rules(self):
        """Daily: re-check the mappings whose accounts (or themselves) changed since the last check; flag the ones
        that went bad, with an activity for the accountant, before a pay run needs them."""
        for connection in self.env['paylocity.connection'].sudo().search([('payroll_enabled', '=', True)]):
            connection._run_cron_job('gl_rule_check', lambda connection=connection: self._check_connection_rules(
                connection))

    @api.model
    def _check_connection_rules(self, connection, full=False):
        """Check the connection's mappings touched since its last check (all when ``full`` or never checked).
        Returns the rules found bad that were not flagged before."""
        connection = connection.sudo()
        # write_date is the writing transaction's start time, and a transaction that started before this one may
        # commit after it: look back a margin so no change falls between two checks.
        now = self.env.cr.now()
        since = None if full else connection.gl_rule_check_at
        if since:
            since -= CHECK_MARGIN
        rules = self.sudo().search([('connection_id', '=', connection.id)])
        if since:
            rules = rules.filtered(lambda r: r.write_date >= since or r.problem or any(
                record.write_date and record.write_date >= since
                for record in (r.debit_account_id, r.credit_account_id, r.analytic_account_id, r.code_id,
                               r.cost_center_id)))
        newly_bad = self.browse()
        fixed = False
        for rule in rules:
            problems = [] if rule.ignore else rule._rule_problems()
            text = '; '.join(problems) or False
            if text and text != rule.problem:
                newly_bad |= rule
            fixed = fixed or (rule.problem and not text)
            if text != rule.problem:
                rule.write({'problem': text})
        if fixed:
            self.env['paylocity.pay.run']._requeue_held(connection)
        if rules:
            rules.write({'checked_at': now})
        connection.write({'gl_rule_check_at': now})
        if newly_bad:
            connection._payroll_alert(
                self.env._("Payroll mappings need attention"),
                Markup('<p>%s</p><ul>%s</ul>') % (
                    self.env._("These mappings cannot be used by the next pay run:"),
                    Markup('').join(Markup('<li>%s: %s</li>') % (rule.display_name, rule.problem)
                                    for rule in newly_bad)))
            _logger.info("Paylocity connection %s: %s mapping(s) flagged", connection.id, len(newly_bad))
        return newly_bad
