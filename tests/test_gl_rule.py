# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""Mappings are checked against their company when saved, and every day against accounts changed since the last
check: a mapping whose account was archived later is flagged, with an activity, before the next pay run needs it."""
import datetime

import psycopg2.errors

from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import PayrollCase


@tagged('post_install', '-at_install')
class TestGlRule(PayrollCase):

    def rule(self, code, paylocity_company='C1001'):
        return self.env['paylocity.gl.rule'].search([
            ('connection_id', '=', self.setup[paylocity_company]['connection'].id), ('code', '=', code),
            ('cost_center_id', '=', False)])

    def test_a_mapping_to_an_unusable_account_is_refused_when_saved(self):
        setup = self.setup['C1001']
        archived = setup['accounts']['bonus'].copy({'code': 'PX9999', 'name': 'Old bonuses'})
        archived.active = False
        # (Odoo's assertRaises rolls its block back; assertRaisesRegex would not.)
        with self.assertRaises(ValidationError) as caught:
            self.rule('BONUS').debit_account_id = archived
        self.assertIn('archived', str(caught.exception))
        other_company = self.setup['C2002']['accounts']['bonus']
        with self.assertRaises(UserError):   # Odoo's own company check, or ours
            self.rule('BONUS').debit_account_id = other_company
        with self.assertRaises(ValidationError) as caught:
            self.rule('REG').analytic_mode = 'fixed'
        self.assertIn('fixed analytic', str(caught.exception))
        with self.assertRaises(ValidationError) as caught:
            self.rule('REG').cost_center_id = setup['codes'][('costcenter1', '1')]
        self.assertIn('level', str(caught.exception))
        # One active mapping per code and cost center.
        with self.assertRaises(psycopg2.errors.UniqueViolation), mute_logger('odoo.sql_db'):
            self._make_rule(setup, 'REG')
        self.assertEqual(self.rule('BONUS').debit_account_id, setup['accounts']['bonus'])
        # An ignored (memo) mapping needs no account at all.
        self.rule('SUTA').write({'ignore': True, 'debit_account_id': False, 'credit_account_id': False})
        self.assertEqual(self.rule('SUTA').posting_sides, 'ignore')

    def test_an_account_archived_later_is_flagged_before_the_next_run(self):
        setup = self.setup['C1001']
        Rule = self.env['paylocity.gl.rule']
        Rule._cron_check_gl_rules()
        self.assertFalse(setup['rules'].filtered('problem'))
        self.assertFalse(self.connection.activity_ids)

        setup['accounts']['wages'].active = False
        Rule._cron_check_gl_rules()
        reg = self.rule('REG')
        self.assertIn('archived', reg.problem)
        self.assertEqual(setup['rules'].filtered('problem'), reg)
        activity = self.connection.activity_ids
        self.assertEqual(activity.summary, 'Payroll mappings need attention')
        self.assertEqual(activity.user_id, self.connection._payroll_accountant())
        self.assertIn('REG', activity.note)
        Rule._cron_check_gl_rules()
        self.assertEqual(len(self.connection.activity_ids), 1, "flagged once, not every day")

        # The next pay run holds, naming the mapping and why; nothing is posted to the archived account.
        regular, _off = self.latest_runs()
        process_id = self.sandbox.run_payroll('C1001', regular.check_date + datetime.timedelta(days=14))
        self.deliver_payroll(process_id)
        self.process_all()
        new_run = self.data().run(process_id)
        run = self.run_of(new_run)
        self.assertEqual(run.state, 'needs_mapping')
        unmapped = run.unmapped_ids.filtered(lambda u: u.code == 'REG')
        self.assertIn('archived', unmapped.reason)
        self.assertFalse(self.moves_of(run))

        # The account is restored: the daily check clears the flag and the held run posts.
        setup['accounts']['wages'].active = True
        Rule._cron_check_gl_rules()
        self.assertFalse(reg.problem)
        self.process_runs()
        self.assertEqual(run.state, 'posted')
        self.assertEqual(self.posted_balances(run.move_id), self.expected(new_run))

    def test_an_account_taken_out_of_the_company_is_flagged(self):
        setup = self.setup['C1001']
        self.env['paylocity.gl.rule']._cron_check_gl_rules()
        federal = setup['accounts']['federal']
        federal.with_company(self.company_b).code = 'PB8199'   # Odoo wants a code in every company it is in
        federal.company_ids = [(6, 0, [self.company_b.id])]
        bad = self.env['paylocity.gl.rule']._check_connection_rules(self.connection)
        self.assertEqual(set(bad.mapped('code')), {'FITW', 'FICA', 'MEDI', 'FICA-ER', 'MEDI-ER'})
        self.assertTrue(all('not allowed' in rule.problem for rule in bad))
        # Company B's mappings are not touched by company A's check.
        self.assertFalse(self.setup['C2002']['rules'].filtered('problem'))

    def test_draft_mappings_for_every_imported_code_without_one(self):
        setup = self.setup['C1001']
        self.rule('OT').unlink()
        self.rule('DEN').unlink()
        action = self.connection.with_user(self.accountant).action_create_draft_rules()
        self.assertEqual(action['params']['type'], 'success')
        drafts = self.env['paylocity.gl.rule'].search([('connection_id', '=', self.connection.id),
                                                       ('posting_sides', '=', 'draft')])
        self.assertEqual(set(drafts.mapped('code')), {'OT', 'DEN'})
        self.assertEqual(drafts.filtered(lambda r: r.code == 'OT').analytic_mode, 'employee')
        # Pressed again: nothing new.
        self.connection.with_user(self.accountant).action_create_draft_rules()
        self.assertEqual(self.env['paylocity.gl.rule'].search_count([('connection_id', '=', self.connection.id),
                                                                     ('posting_sides', '=', 'draft')]), 2)
        self.assertEqual(setup['connection'].gl_rule_count, len(self.env['paylocity.gl.rule'].search(
            [('connection_id', '=', self.connection.id)])))
