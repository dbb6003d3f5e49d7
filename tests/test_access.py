# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""Who may see pay data and who may move money, attacked over the ORM as a client would (RPC reads and writes
run as the user, with any context the client sends): pay amounts only for the payroll group and accountants;
mappings, posting options and posting only for accounting managers; every public action refuses a caller without
the rights or of another company before it works as superuser; the fields the never-twice guard reads are
written by the connector only."""
import datetime
import inspect

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged
from odoo.tests.common import release_test_lock
from odoo.tools import format_amount

from ..const import ACCOUNTANT_GROUP, ADMIN_GROUP, PAYROLL_GROUP, USER_GROUP
from ..models import encryption
from .common import PayrollCase

ADDON_MODULE = 'odoo.addons.paylocity_connector.'
# Pay data per model: what a Paylocity user or administrator who is not an accountant must never read.
PAY_DATA = {
    'paylocity.pay.run.statement': ('gross_pay', 'net_pay', 'net_check', 'direct_deposit_amount', 'employee_id'),
    'paylocity.pay.run.line': ('amount', 'hours', 'rate', 'det_code', 'employee_id'),
    'paylocity.pay.run.employee': ('gross_pay', 'net_pay', 'statement_ids', 'line_ids'),
    'paylocity.pay.run': ('paylocity_gross', 'paylocity_net', 'gross', 'deductions', 'employee_taxes', 'employer_cost',
                          'net', 'entry_total', 'entry_net_pay', 'posted_gross', 'posted_net', 'posted_deductions',
                          'posted_employee_taxes', 'posted_employer_cost', 'hold_reason', 'accepted_differences',
                          'build_warnings', 'open_difference', 'agreement_label', 'bank_match_note',
                          'statement_ids', 'line_ids'),
    'paylocity.pay.run.unmapped': ('amount',),
}
ENTRY_GUARD = {'move_id': False, 'post_count': 0, 'repost_confirmed': True}


class AccessCase(PayrollCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        company = cls.company_a
        cls.payroll_user = new_test_user(
            cls.env, login='pay_payroll', groups='base.group_user,%s' % PAYROLL_GROUP,
            company_id=company.id, company_ids=[Command.set([company.id])])
        cls.readonly_accountant = new_test_user(
            cls.env, login='pay_auditor', groups='base.group_user,account.group_account_readonly,%s' % USER_GROUP,
            company_id=company.id, company_ids=[Command.set([company.id])])

    def posted_run(self):
        _regular, run = self.run_latest()
        self.assertEqual(run.state, 'posted')
        return run

    def held_run(self):
        _off_cycle, run = self.run_held_for_mapping()
        self.assertEqual(run.state, 'needs_mapping')
        return run


@tagged('post_install', '-at_install')
class TestPayData(AccessCase):

    def records_of(self, run):
        return {
            'paylocity.pay.run.statement': run.statement_ids,
            'paylocity.pay.run.line': run.line_ids,
            'paylocity.pay.run.employee': run.employee_ids,
            'paylocity.pay.run': run,
        }

    def test_a_paylocity_user_or_administrator_reads_no_pay_amount(self):
        run = self.posted_run()
        records = self.records_of(run)
        for user in (self.pl_user, self.admin_user):
            self.env.invalidate_all()
            for model, recordset in records.items():
                self.assertTrue(recordset)
                for field_name in PAY_DATA[model]:
                    with self.assertRaises(AccessError, msg='%s.%s as %s' % (model, field_name, user.login)):
                        recordset.with_user(user).read([field_name])
                    with self.assertRaises(AccessError, msg='%s.%s as %s' % (model, field_name, user.login)):
                        self.env[model].with_user(user).search_read([('id', 'in', recordset.ids)], [field_name])
                    # Nor by grouping and summing, nor by searching on the amount.
                    if recordset._fields[field_name].type in ('monetary', 'float'):
                        with self.assertRaises(AccessError, msg='%s.%s' % (model, field_name)):
                            self.env[model].with_user(user).formatted_read_group([], [], ['%s:sum' % field_name])
                        with self.assertRaises(AccessError, msg='%s.%s' % (model, field_name)):
                            self.env[model].with_user(user).search([(field_name, '>', 0)])
            # The statements and their lines are not theirs at all.
            for model in ('paylocity.pay.run.statement', 'paylocity.pay.run.line'):
                with self.assertRaises(AccessError):
                    self.env[model].with_user(user).search([])
        # What a Paylocity user still reads of the run: its state, employees asked and entry status.
        values = run.with_user(self.pl_user).read(['state', 'paid_count', 'entry_status', 'agreement'])[0]
        self.assertEqual((values['state'], values['entry_status']), ('posted', 'posted'))
        self.assertTrue(run.employee_ids.with_user(self.pl_user).read(['paylocity_employee_code', 'fetch_state']))

    def test_accountants_and_the_payroll_group_read_pay_amounts(self):
        run = self.posted_run()
        expected = sum(run.statement_ids.mapped('net_pay'))
        for user in (self.accountant, self.readonly_accountant, self.payroll_user):
            self.env.invalidate_all()
            statements = self.env['paylocity.pay.run.statement'].with_user(user).search_read(
                [('run_id', '=', run.id)], ['gross_pay', 'net_pay', 'direct_deposit_amount'])
            self.assertAlmostEqual(sum(s['net_pay'] for s in statements), expected, places=2, msg=user.login)
            lines = run.line_ids.with_user(user).read(['amount', 'hours', 'rate'])
            self.assertEqual(len(lines), len(run.line_ids))
            values = run.with_user(user).read(['paylocity_gross', 'paylocity_net', 'posted_net'])[0]
            self.assertAlmostEqual(values['paylocity_net'], expected, places=2)

    def test_the_pay_run_screens_of_a_paylocity_user_hold_no_amount(self):
        run = self.held_run()
        PayRun = self.env['paylocity.pay.run'].with_user(self.pl_user)
        for view_type in ('form', 'list', 'pivot', 'graph'):
            fields = PayRun.get_views([(False, view_type)])['models']['paylocity.pay.run']['fields']
            self.assertFalse(set(fields) & set(PAY_DATA['paylocity.pay.run']), view_type)
        fields = PayRun.get_views([(False, 'form')])['models']
        self.assertNotIn('gross_pay', fields['paylocity.pay.run.employee']['fields'])
        # The accountant's form has them.
        fields = self.env['paylocity.pay.run'].with_user(self.accountant).get_views([(False, 'form')])['models']
        self.assertIn('hold_reason', fields['paylocity.pay.run']['fields'])
        self.assertIn('amount', fields['paylocity.pay.run.line']['fields'])
        self.assertTrue(run)

    def test_chatter_and_activities_of_a_run_carry_no_amount_or_name(self):
        run = self.held_run()
        [unmapped] = run.unmapped_ids
        amount = format_amount(self.env, unmapped.amount, run.currency_id)
        self.assertIn(amount, run.hold_reason)   # the accountant's reason has it
        with self.assertRaises(AccessError):
            unmapped.with_user(self.pl_user).read(['amount'])
        self.assertEqual(unmapped.with_user(self.pl_user).read(['code'])[0]['code'], 'BONUS')
        paid = run.employee_ids.filtered(lambda r: r.fetch_state == 'paid')
        names = [name for name in paid.employee_id.mapped('name') if name]

        # Held for review (a line disagrees with its summary), then accepted.
        line = run.line_ids.filtered(lambda l: l.det_code == 'BONUS')[:1]
        self.env['paylocity.gl.rule'].create({
            'connection_id': self.connection.id, 'code_id': self.setup['C1001']['codes'][('earning', 'BONUS')].id,
            'debit_account_id': self.setup['C1001']['accounts']['bonus'].id, 'analytic_mode': 'employee'})
        line.sudo().amount = line.amount + 1.0
        run.with_user(self.accountant).action_post()
        self.assertEqual(run.state, 'needs_review')
        self.assertIn(line.paylocity_employee_code, run.hold_reason)
        run.with_user(self.accountant).action_accept_differences()
        self.assertEqual(run.state, 'posted')

        self.assertNoPayDataInChatter(run, [amount, 'difference 1.00', line.paylocity_employee_code, *names])

    def test_a_correction_tells_the_chatter_that_paylocity_changed_the_run_not_what(self):
        check_date = self.history_date + datetime.timedelta(days=7)
        process_id = self.sandbox.run_payroll('C1001', check_date.isoformat())
        self.deliver_payroll(process_id)
        self.process_all()
        sandbox_run = self.data().run(process_id)
        run = self.run_of(sandbox_run)
        self.assertEqual(run.state, 'posted')
        voided = sandbox_run.statements[0]
        void_number = self.sandbox.void_check('C1001', process_id, voided.employee_id)
        with release_test_lock():
            self.connection._poll_pay_runs(today=check_date)
        self.env.invalidate_all()
        correction = self.moves_of(run).filtered('paylocity_fingerprint')
        self.assertEqual(correction.state, 'draft')
        self.assertIn(voided.employee_id, correction.paylocity_reason)   # the entry says what changed
        name = self.setup['C1001']['bindings'][voided.employee_id].employee_id.name
        net = format_amount(self.env, float(voided.net), run.currency_id)
        self.assertNoPayDataInChatter(run, ['employee %s' % voided.employee_id, name, net, 'void %s' % void_number])

    def assertNoPayDataInChatter(self, run, secrets):
        """What a Paylocity user reads of the run's chatter and activities holds none of ``secrets``."""
        self.env.invalidate_all()
        as_user = run.with_user(self.pl_user)
        texts = as_user.message_ids.mapped('body') + as_user.activity_ids.mapped('note')
        texts += self.env['mail.activity'].with_user(self.pl_user).search(
            [('res_model', '=', 'paylocity.pay.run'), ('res_id', '=', run.id)]).mapped('note')
        texts += self.env['mail.message'].with_user(self.pl_user).search(
            [('model', '=', 'paylocity.pay.run'), ('res_id', '=', run.id)]).mapped('body')
        self.assertTrue(texts)
        for text in texts:
            for secret in secrets:
                self.assertNotIn(secret, str(text or ''))


@tagged('post_install', '-at_install')
class TestSegregationOfDuties(AccessCase):

    def test_a_paylocity_administrator_maps_nothing(self):
        rule = self.setup['C1001']['rules'].filtered(lambda r: r.code == 'REG')
        other_account = self.setup['C1001']['accounts']['bonus']
        Rule = self.env['paylocity.gl.rule'].with_user(self.admin_user)
        with self.assertRaises(AccessError):
            rule.with_user(self.admin_user).write({'debit_account_id': other_account.id})
        with self.assertRaises(AccessError):
            Rule.create({'connection_id': self.connection.id,
                         'code_id': self.setup['C1001']['codes'][('earning', 'REG')].id,
                         'debit_account_id': other_account.id})
        with self.assertRaises(AccessError):
            rule.with_user(self.admin_user).unlink()
        with self.assertRaises(AccessError):
            self.connection.with_user(self.admin_user).action_create_draft_rules()
        self.assertNotEqual(rule.debit_account_id, other_account)
        # The accounting manager maps.
        rule.with_user(self.accountant).write({'debit_account_id': other_account.id})
        self.assertEqual(rule.debit_account_id, other_account)

    def test_only_accounting_managers_change_where_and_how_runs_post(self):
        other = self.setup['C1001']['accounts']['benefits']
        journal = self.env['account.journal'].create({'name': 'Other misc', 'code': 'OMSC', 'type': 'general',
                                                      'company_id': self.company_a.id})
        connection = self.connection.with_user(self.admin_user)
        for vals in ({'payroll_net_pay_account_id': other.id}, {'journal_id': journal.id},
                     {'payroll_posting': 'draft'}, {'payroll_detail_level': 'employee'},
                     {'payroll_date_source': 'period_end'}, {'payroll_correction_posting': 'post'}):
            with self.assertRaises(AccessError, msg=vals):
                connection.write(vals)
        self.assertEqual(self.connection.payroll_net_pay_account_id, self.setup['C1001']['accounts']['net'])
        # A new connection by the same administrator: its defaults yes, a chosen account no.
        Connection = self.env['paylocity.connection'].with_user(self.admin_user)
        new = Connection.create({'name': 'New', 'paylocity_company_code': 'C7007', 'company_id': self.company_a.id,
                                 'payroll_posting': 'post', 'journal_id': self.connection.journal_id.id})
        self.assertTrue(new)
        with self.assertRaises(AccessError):
            Connection.create({'name': 'New 2', 'paylocity_company_code': 'C7008', 'company_id': self.company_a.id,
                               'payroll_net_pay_account_id': other.id})
        # A Paylocity administrator who is also an accounting manager does it.
        self.admin_user.group_ids = [Command.link(self.env.ref(ACCOUNTANT_GROUP).id)]
        connection.write({'payroll_net_pay_account_id': other.id})
        self.assertEqual(self.connection.payroll_net_pay_account_id, other)

    def test_a_paylocity_administrator_posts_nothing_and_queues_nothing_that_posts(self):
        self.connection.payroll_posting = 'manual'
        _regular, run = self.run_latest()
        self.assertEqual(run.state, 'ready')
        before = run.read(['state', 'next_try_at', 'post_count'])
        admin_run = run.with_user(self.admin_user)
        for name in ('action_post', 'action_retry', 'action_refetch', 'action_accept_differences', 'action_cancel',
                     'action_reset', 'action_open_repost_wizard', 'action_create_draft_rules'):
            with self.assertRaises(AccessError, msg=name):
                getattr(admin_run, name)()
        with self.assertRaises(AccessError):
            admin_run._repost('as administrator')
        with self.assertRaises(AccessError):
            self.env['paylocity.pay.run.repost'].with_user(self.admin_user).create(
                {'run_id': run.id, 'reason': 'x', 'confirm': True})
        with self.assertRaises(AccessError):
            self.connection.with_user(self.admin_user).action_verify_pay_runs()
        with self.assertRaises(AccessError):
            self.connection.with_user(self.admin_user).action_match_bank_lines()
        self.process_all()   # nothing the refused buttons could have queued
        self.assertEqual(run.read(['state', 'next_try_at', 'post_count']), before)
        self.assertFalse(self.moves_of(run))
        # The accounting manager posts.
        run.with_user(self.accountant).action_post()
        self.assertEqual((run.state, run.move_id.state), ('posted', 'posted'))


@tagged('post_install', '-at_install')
class TestEntryGuard(AccessCase):

    def test_the_fields_the_never_twice_guard_reads_are_not_writable_from_outside(self):
        run = self.posted_run()
        move = run.move_id
        admin_accountant = new_test_user(
            self.env, login='pay_admin_accountant', groups='base.group_user,%s,%s' % (ADMIN_GROUP, ACCOUNTANT_GROUP),
            company_id=self.company_a.id, company_ids=[Command.set([self.company_a.id])])
        for user in (self.accountant, admin_accountant, self.admin_user):
            for field_name, value in ENTRY_GUARD.items():
                for context in ({}, {'paylocity_post_now': True, 'paylocity_internal': True}):
                    with self.assertRaises(AccessError, msg='%s %s' % (user.login, field_name)):
                        run.with_user(user).with_context(**context).write({field_name: value})
            with self.assertRaises(AccessError):
                self.env['paylocity.pay.run'].with_user(user).create({
                    'connection_id': self.connection.id, 'check_date': '2031-01-02', 'run_number': 1,
                    'post_count': 1})
        self.assertRecordValues(run, [{'move_id': move.id, 'post_count': 1, 'repost_confirmed': False}])
        # The re-post still goes through the accountant's confirmation, which the connector records itself.
        move.button_draft()
        move.unlink()
        self.assertEqual(run.entry_status, 'deleted')
        new_move = run.with_user(self.accountant)._repost('Deleted by mistake')
        self.assertRecordValues(run, [{'post_count': 2, 'repost_confirmed': False, 'move_id': new_move.id}])


    def test_the_links_of_a_paylocity_entry_are_written_by_the_connector_only(self):
        run = self.posted_run()
        move = run.move_id
        event = run.event_ids.filtered(lambda e: e.move_id == move)[:1]
        self.assertTrue(event)
        _off_cycle, other_run = self.run_held_for_mapping()
        plain = self.env['account.move'].create({
            'move_type': 'entry', 'journal_id': move.journal_id.id, 'date': move.date, 'ref': 'Not payroll',
            'line_ids': [Command.create({'account_id': move.line_ids[0].account_id.id, 'name': 'x', 'debit': 10.0}),
                         Command.create({'account_id': move.line_ids[1].account_id.id, 'name': 'x', 'credit': 10.0})]})
        admin_accountant = new_test_user(
            self.env, login='pay_admin_accountant', groups='base.group_user,%s,%s' % (ADMIN_GROUP, ACCOUNTANT_GROUP),
            company_id=self.company_a.id, company_ids=[Command.set([self.company_a.id])])
        attempts = [
            (move, {'paylocity_pay_run_id': other_run.id}),     # change
            (move, {'paylocity_pay_run_id': False}),            # clear
            (move, {'paylocity_generation': 2}),
            (move, {'paylocity_generation': 0}),
            (plain, {'paylocity_pay_run_id': run.id, 'paylocity_generation': 2}),   # set
            (move, {'paylocity_fingerprint': 'a difference never made'}),   # one correction per difference
            (move, {'paylocity_accrual': 'accrual'}),   # the run's entry taken for an accrual
            (event, {'move_id': plain.id}),
            (event, {'move_id': False}),
        ]
        for user in (self.accountant, self.admin_user, admin_accountant):
            for record, vals in attempts:
                with self.assertRaises(AccessError, msg='%s %s %s' % (user.login, record._name, vals)):
                    record.with_user(user).write(vals)
            with self.assertRaises(AccessError, msg=user.login):
                self.env['account.move'].with_user(user).create({
                    'move_type': 'entry', 'journal_id': move.journal_id.id, 'date': move.date,
                    'paylocity_pay_run_id': other_run.id, 'paylocity_generation': 1})
        self.env.invalidate_all()
        self.assertRecordValues(move, [{'paylocity_pay_run_id': run.id, 'paylocity_generation': 1,
                                        'paylocity_fingerprint': False, 'paylocity_accrual': False}])
        self.assertRecordValues(plain, [{'paylocity_pay_run_id': False, 'paylocity_generation': 0}])
        self.assertEqual(event.move_id, move)
        self.assertFalse(self.env['account.move'].search([('paylocity_pay_run_id', '=', other_run.id)]))
        # The refusal says which fields, and who writes them.
        with self.assertRaisesRegex(AccessError, 'only the Paylocity connector writes Paylocity pay run'):
            move.with_user(self.accountant).write({'paylocity_pay_run_id': False, 'ref': 'x'})

    def test_an_accountant_still_edits_copies_reverses_and_deletes_a_paylocity_entry(self):
        run = self.posted_run()
        move = run.move_id
        as_accountant = move.with_user(self.accountant)
        as_accountant.write({'ref': 'Payroll, checked'})
        self.assertEqual(move.ref, 'Payroll, checked')
        copy = as_accountant.copy()
        self.assertRecordValues(copy, [{'state': 'draft', 'paylocity_pay_run_id': False, 'paylocity_generation': 0}])
        copy.unlink()
        reversal = self.env['account.move.reversal'].with_user(self.accountant).with_context(
            active_model='account.move', active_ids=move.ids).create({
                'date': move.date, 'reason': 'Wrong period', 'journal_id': move.journal_id.id})
        reversal.refund_moves()
        self.assertEqual(move.reversal_move_ids.state, 'posted')
        self.assertFalse(move.reversal_move_ids.paylocity_pay_run_id)
        self.assertEqual(run.entry_status, 'reversed')
        self.assertRecordValues(run, [{'move_id': move.id, 'post_count': 1}])
        # A re-posted entry created in draft, deleted by the accountant: the run forgets it, as before.
        self.connection.payroll_posting = 'draft'
        repost = run.with_user(self.accountant)._repost('Reversed by mistake')
        self.assertEqual((repost.state, repost.paylocity_generation), ('draft', 2))
        repost.with_user(self.accountant).unlink()
        self.assertFalse(run.move_id)
        self.assertEqual(run.entry_status, 'deleted')


@tagged('post_install', '-at_install')
class TestPublicActions(AccessCase):
    """Every public action of the connector's models, called as a portal user and as a user of another company who
    holds every Paylocity and accounting right there (not system): refused, before anything is done."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        company_b = cls.company_b
        cls.portal = new_test_user(cls.env, login='pay_portal', groups='base.group_portal')
        cls.other_company_user = new_test_user(
            cls.env, login='pay_other_company', groups='base.group_user,%s,%s,%s,%s,hr.group_hr_user' % (
                USER_GROUP, ADMIN_GROUP, PAYROLL_GROUP, ACCOUNTANT_GROUP),
            company_id=company_b.id, company_ids=[Command.set([company_b.id])])
        cls.other_company_plain = new_test_user(
            cls.env, login='pay_other_user', groups='base.group_user,%s' % USER_GROUP,
            company_id=company_b.id, company_ids=[Command.set([company_b.id])])

    def public_actions(self):
        """{model: [method names]} of every public ``action_*`` the addon defines (on its own models or others)."""
        found = {}
        for name in self.env.registry:
            for cls in inspect.getmro(type(self.env[name])):
                if not cls.__module__.startswith(ADDON_MODULE):
                    continue
                for attr, value in vars(cls).items():
                    if attr.startswith('action_') and callable(value):
                        found.setdefault(name, set()).add(attr)
        return {model: sorted(names) for model, names in found.items()}

    def company_a_records(self):
        run = self.posted_run()
        event = run.event_ids[:1]
        self.assertTrue(event)
        self.env.flush_all()
        return {
            'paylocity.connection': self.connection,
            'paylocity.pay.run': run,
            'paylocity.event': event,
            'hr.employee': run.employee_ids.employee_id[:1],
            'paylocity.reconciliation': self.env['paylocity.reconciliation'].search(
                [('connection_id', '=', self.connection.id)], limit=1),
            'res.config.settings': self.env['res.config.settings'].with_company(self.company_a).create({}),
            'paylocity.pay.run.repost': self.env['paylocity.pay.run.repost'].create(
                {'run_id': run.id, 'reason': 'attempt', 'confirm': True}),
            'paylocity.webhook.credentials': self.env['paylocity.webhook.credentials'].create(
                {'connection_id': self.connection.id, 'password_encrypted': encryption.secret_box().encrypt('x')}),
        }

    def test_every_public_action_refuses_a_portal_user_and_another_company(self):
        actions = self.public_actions()
        self.assertIn('action_check_gl_rules', actions['paylocity.connection'])
        self.assertIn('action_create_draft_rules', actions['paylocity.pay.run'])
        records = self.company_a_records()
        self.assertEqual(set(actions) - set(records), set(), "a model with actions and no record to try them on")
        calls = 0
        for model, names in actions.items():
            record = records[model]
            self.assertTrue(record, model)
            for user in (self.portal, self.other_company_user, self.other_company_plain):
                for name in names:
                    with self.subTest(model=model, action=name, user=user.login):
                        with self.assertRaises(AccessError):
                            getattr(record.with_user(user), name)()
                        calls += 1
        self.assertGreater(calls, 3 * 40)
        # Nothing was done on company A's behalf.
        self.assertFalse(self.connection.gl_rule_check_at)
        self.assertTrue(records['paylocity.webhook.credentials'].exists())
        self.assertEqual(records['paylocity.pay.run'].state, 'posted')

    def test_checking_the_mappings_is_for_the_connection_company_administrators_and_accountants(self):
        with self.assertRaises(AccessError):
            self.connection.with_user(self.pl_user).action_check_gl_rules()
        with self.assertRaises(AccessError):
            self.connection_b.with_user(self.accountant).action_check_gl_rules()
        self.connection.with_user(self.accountant).action_check_gl_rules()
        self.assertTrue(self.connection.gl_rule_check_at)
