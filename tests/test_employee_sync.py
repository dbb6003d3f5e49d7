# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""Webhook-driven employee sync in real Odoo against the sandbox: hire, duplicates, binding existing employees,
termination, rehire, change, leave, Odoo edits of Paylocity-owned fields, unknown codes and API failures."""
import datetime

from psycopg2 import IntegrityError

from odoo import fields
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from .common import USER_GROUP, EmployeeSyncCase

QUIET_QUEUE = mute_logger('odoo.addons.paylocity_connector.models.paylocity_job_mixin')


@tagged('post_install', '-at_install')
class TestEmployeeSync(EmployeeSyncCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.connection._import_reference_data()
        cls.connection._poll_employees()     # the five people of the sandbox company

    def test_new_hire_creates_the_employee_and_its_binding(self):
        eid = self.hire(job_title='Platform Engineer', work_phone='(217) 555-0142', employee_type='RPT')
        person = self.person(eid)
        event = self.deliver('new_hire', eid)
        self.process_events()

        self.assertEqual(event.state, 'done')
        employee = self.employee(eid)
        self.assertEqual(event.employee_id, employee)
        engineering = self.code('costcenter2', '10').department_id
        self.assertEqual(engineering.name, 'Engineering')
        position = self.code('position', person.position_code)
        location = self.code('work_location', person.work_location)
        manager = self.employee(person.supervisor_id)
        self.assertTrue(manager)
        self.assertRecordValues(employee, [{
            'name': '%s %s' % (person.preferred_name or person.first_name, person.last_name),
            'company_id': self.company.id,
            'work_email': person.work_email,
            'work_phone': '(217) 555-0142',
            'mobile_phone': person.work_mobile_phone,
            'job_title': 'Platform Engineer',
            'job_id': position.job_id.id,
            'department_id': engineering.id,
            'work_location_id': location.work_location_id.id,
            'parent_id': manager.id,
            'employee_type': 'employee',
            'active': True,
        }])
        self.assertEqual(location.work_location_id.address_id, self.company.partner_id)
        binding = self.binding(eid)
        self.assertRecordValues(binding, [{
            'status_type': 'A', 'status_code': 'A', 'hire_date': person.hire_date, 'cost_center1': '1',
            'cost_center2': '10', 'position_code': person.position_code, 'supervisor_code': person.supervisor_id,
            'sync_warning': False, 'employee_type_code': 'RPT',
        }])
        self.assertTrue(binding.payload_hash and binding.last_sync)
        self.assertIn(eid, event.result_message + ''.join(self.messages(employee).mapped('body')))

    def test_same_hire_delivered_twice_makes_one_employee(self):
        eid = self.hire()
        first = self.deliver('new_hire', eid)
        second = self.deliver('new_hire', eid)
        self.assertEqual(second.state, 'duplicate')
        self.process_events()
        # Paylocity re-sends after the window too, and replays happen: the same hire processed again.
        first.with_user(self.env.ref('base.user_admin')).action_replay()
        with self.spy_writes() as writes:
            self.process_events()
        self.assertEqual(first.state, 'done')
        self.assertEqual(first.result_message, 'No change.')
        self.assertEqual(len(self.binding(eid)), 1)
        self.assertEqual(self.env['hr.employee'].search_count([('work_email', '=', self.person(eid).work_email)]), 1)
        self.assertEqual(writes, [])

    def test_existing_odoo_employee_is_bound_not_duplicated(self):
        eid = self.hire()
        person = self.person(eid)
        existing = self.env['hr.employee'].create({
            'name': 'Known Before', 'company_id': self.company.id, 'work_email': person.work_email.upper(),
            'work_phone': '(608) 555-0199'})
        self.deliver('new_hire', eid)
        self.process_events()
        self.assertEqual(self.employee(eid), existing)
        self.assertEqual(self.env['hr.employee'].search_count([('work_email', '=ilike', person.work_email)]), 1)
        # Paylocity owns the name; Odoo owns the phone it already had (pushed to Paylocity, not overwritten).
        self.assertEqual(existing.name, '%s %s' % (person.preferred_name or person.first_name, person.last_name))
        self.assertEqual(existing.work_phone, '(608) 555-0199')
        self.assertEqual(self.binding(eid).paylocity_values['work_phone'], person.work_phone)

    def test_work_email_is_matched_literally(self):
        eid = self.hire(work_email='pat_lee.77@c1001.example.com')
        lookalike = self.env['hr.employee'].create({
            'name': 'Pat Lookalike', 'company_id': self.company.id, 'work_email': 'patxlee.77@c1001.example.com'})
        self.deliver('new_hire', eid)
        self.process_events()
        self.assertNotEqual(self.employee(eid), lookalike)
        self.assertEqual(self.employee(eid).work_email, 'pat_lee.77@c1001.example.com')

    def test_employee_bound_by_a_configured_identifier(self):
        self.connection.write({'match_identifier': 'barcode'})
        eid = self.hire()
        existing = self.env['hr.employee'].create({
            'name': 'Badge Holder', 'company_id': self.company.id, 'barcode': eid,
            'work_email': 'other.address@odoo.example.com'})
        self.deliver('new_hire', eid)
        self.process_events()
        self.assertEqual(self.employee(eid), existing)
        self.assertEqual(existing.work_email, 'other.address@odoo.example.com')   # Odoo owns it

    def test_two_odoo_employees_matching_one_hire_are_not_guessed_between(self):
        eid = self.hire()
        email = self.person(eid).work_email
        self.env['hr.employee'].create([{'name': 'Twin %d' % n, 'company_id': self.company.id,
                                         'work_email': email} for n in (1, 2)])
        event = self.deliver('new_hire', eid)
        self.process_events()
        self.assertEqual(event.state, 'retrying')
        self.assertIn('bind the right one by hand', event.last_error)
        self.assertFalse(self.binding(eid))

    def test_a_report_hired_before_their_manager_is_linked_when_the_manager_arrives(self):
        manager_id = self.hire(position_code='ENGMGR', job_title='Second Engineering Manager')
        report_id = self.hire(supervisor_id=manager_id)
        self.deliver('new_hire', report_id)
        self.process_events()
        report = self.employee(report_id)
        self.assertFalse(report.parent_id)
        self.deliver('new_hire', manager_id)
        self.process_events()
        self.assertEqual(report.parent_id, self.employee(manager_id))
        self.assertEqual(self.binding(report_id).paylocity_values['parent_id'], self.employee(manager_id).id)

    def test_a_bound_employee_cannot_be_deleted(self):
        _eid, employee = self.hire_announced()
        with self.assertRaises(IntegrityError), mute_logger('odoo.sql_db'):
            employee.unlink()

    def test_termination_sets_departure_archives_and_clears_manager_links(self):
        manager_id = self.hire(position_code='ENGLD', job_title='Engineering Team Lead')
        self.deliver('new_hire', manager_id)
        self.process_events()
        report_id = self.hire(supervisor_id=manager_id)
        self.deliver('new_hire', report_id)
        self.process_events()
        manager, report = self.employee(manager_id), self.employee(report_id)
        self.assertEqual(report.parent_id, manager)
        self.assertEqual(report.coach_id, manager)

        left_on = self.days_ago(10)
        self.sandbox.terminate('C1001', manager_id, date=left_on, reason='Resigned - Relocation')
        event = self.deliver('termination', manager_id)
        self.process_events()

        self.assertEqual(event.state, 'done')
        self.assertFalse(manager.active)
        self.assertRecordValues(manager, [{
            'departure_date': left_on,
            'departure_reason_id': self.env.ref('hr.departure_resigned').id,
        }])
        self.assertIn('Resigned - Relocation', manager.departure_description)
        self.assertFalse(report.parent_id)     # Odoo's own archive flow cleared the links to the leaver
        self.assertFalse(report.coach_id)
        self.assertRecordValues(self.binding(manager_id), [{
            'status_type': 'T', 'termination_date': left_on,
            'status_reason': 'Resigned - Relocation'}])
        # The report's next sync does not link them back to an archived manager.
        self.deliver('employee_change', report_id)
        self.process_events()
        self.assertFalse(report.parent_id)

    def test_rehire_restores_and_updates_the_same_employee(self):
        eid, employee = self.hire_announced()
        self.sandbox.terminate('C1001', eid, date=self.days_ago(30), reason='End of Assignment')
        self.deliver('termination', eid)
        self.process_events()
        self.assertFalse(employee.active)
        self.assertEqual(employee.departure_reason_id.name, 'End of Assignment')

        self.sandbox.rehire('C1001', eid, date=self.days_ago(2))
        self.sandbox.change('C1001', eid, job_title='Returning Specialist')
        self.deliver('employee_change', eid)
        self.process_events()
        self.assertEqual(self.employee(eid), employee)
        self.assertTrue(employee.active)
        self.assertFalse(employee.departure_date)
        self.assertEqual(employee.job_title, 'Returning Specialist')
        self.assertRecordValues(self.binding(eid), [{
            'status_type': 'A', 'rehire_date': self.days_ago(2), 'termination_date': False}])
        self.assertEqual(self.env['hr.employee'].with_context(active_test=False).search_count(
            [('work_email', '=', self.person(eid).work_email)]), 1)

    def test_change_writes_only_the_changed_fields(self):
        eid, employee = self.hire_announced()
        self.sandbox.change('C1001', eid, job_title='Senior Specialist', cost_center2='20')
        with self.spy_writes() as writes:
            self.deliver('employee_change', eid)
            self.process_events()
        employee_writes = [vals for model, op, ids, vals in writes if model == 'hr.employee' and op == 'write']
        self.assertEqual(employee_writes, [{'job_title': 'Senior Specialist',
                                            'department_id': self.code('costcenter2', '20').department_id.id}])
        self.assertEqual(employee.department_id.name, 'Sales')
        self.assertEqual(self.binding(eid).cost_center2, '20')

    def test_change_with_nothing_new_writes_nothing(self):
        eid, _employee = self.hire_announced()
        with self.spy_writes() as writes:
            event = self.deliver('employee_change', eid)
            self.process_events()
        self.assertEqual(event.state, 'done')
        self.assertEqual(event.result_message, 'No change.')
        self.assertEqual(writes, [])

    def test_leave_keeps_the_employee_active_and_shows_the_status(self):
        eid, _employee = self.hire_announced()
        self.sandbox.leave('C1001', eid, date=self.days_ago(5))
        event = self.deliver('employee_change', eid)
        self.process_events()
        employee = self.employee(eid)
        self.assertTrue(employee.active)
        self.assertFalse(employee.departure_date)
        self.assertEqual(self.binding(eid).status_type, 'L')
        self.assertEqual(employee.paylocity_status, 'L')
        self.assertIn('leave', event.result_message)

    def test_odoo_edit_of_a_paylocity_owned_field_is_overwritten_and_noted(self):
        eid, employee = self.hire_announced()
        paylocity_title = employee.job_title
        employee.write({'job_title': 'Edited in Odoo', 'work_email': 'mine@odoo.example.com'})
        self.env.cr.execute("UPDATE hr_version SET write_date = write_date + interval '5 seconds' WHERE id = %s",
                            (employee.current_version_id.id,))
        self.env.cr.execute("UPDATE hr_employee SET write_date = write_date + interval '5 seconds' WHERE id = %s",
                            (employee.id,))
        employee.invalidate_recordset()
        employee.current_version_id.invalidate_recordset()
        self.sync()
        self.assertEqual(employee.job_title, paylocity_title)
        self.assertEqual(employee.work_email, 'mine@odoo.example.com')   # Odoo owns it
        note = self.messages(employee).filtered(lambda m: 'Paylocity owns' in (m.body or ''))
        self.assertEqual(len(note), 1)
        self.assertIn('Job Title', note.body)
        self.assertNotIn('Email', note.body)

    def test_unknown_cost_center_is_held_with_a_warning(self):
        eid, employee = self.hire_announced()
        department = employee.department_id
        self.sandbox.change('C1001', eid, cost_center2='77', job_title='Moved Somewhere')
        event = self.deliver('employee_change', eid)
        self.process_events()
        self.assertEqual(event.state, 'done')
        self.assertEqual(employee.department_id, department)        # not guessed
        self.assertEqual(employee.job_title, 'Moved Somewhere')     # the rest applied
        self.assertIn('77', event.result_message)
        self.assertIn('77', self.binding(eid).sync_warning)
        stub = self.code('costcenter2', '77')
        self.assertTrue(stub)
        self.assertFalse(stub.department_id)
        # Aligning the code by hand applies it at the next sync.
        sales = self.code('costcenter2', '20').department_id
        stub.write({'department_id': sales.id})
        self.deliver('employee_change', eid)
        self.process_events()
        self.assertEqual(employee.department_id, sales)
        self.assertFalse(self.binding(eid).sync_warning)

    @mute_logger('odoo.addons.paylocity_connector.paylocity.transport')
    def test_api_failure_leaves_the_event_retrying_and_nothing_written(self):
        eid = self.hire()
        self.sandbox.inject('status', count=20, status=500, path='/employees/%s' % eid)
        event = self.deliver('new_hire', eid)
        with self.spy_writes(('hr.employee', 'hr.version', 'paylocity.employee', 'paylocity.code')) as writes:
            self.process_events()
        self.assertEqual(event.state, 'retrying')
        self.assertIn('ServerError', event.last_error)
        self.assertFalse(self.binding(eid))
        self.assertEqual(writes, [])
        self.assertGreaterEqual(self.sandbox.count(status=500), 1)
        # Paylocity recovers: the retry completes it.
        self.sandbox.clear_faults()
        event.sudo().write({'next_try_at': datetime.datetime(2000, 1, 1)})
        self.process_events()
        self.assertEqual(event.state, 'done')
        self.assertTrue(self.employee(eid))

    def test_employee_unknown_to_paylocity_changes_nothing(self):
        event = self.deliver('employee_change', self.hire())
        event.sudo().write({'paylocity_employee_code': '999999'})
        self.process_events()
        self.assertEqual(event.state, 'done')
        self.assertIn('999999', event.result_message)
        self.assertFalse(self.binding('999999'))

    # === A NEW HIRE BEFORE THE API SHOWS THE PERSON === #
    def test_a_new_hire_the_api_does_not_show_yet_is_retried_until_it_does(self):
        """It used to end done ("nothing changed") at once, leaving the hire to the daily reconciliation."""
        eid = self.hire(hidden_reads=1)
        event = self.deliver('new_hire', eid)
        before = fields.Datetime.now()
        with QUIET_QUEUE:
            self.process_events()
        self.assertEqual(event.state, 'retrying')
        self.assertIn('does not show employee %s yet' % eid, event.last_error)
        self.assertGreaterEqual(event.next_try_at, before + datetime.timedelta(seconds=60),
                                "on the connection's retry schedule")
        self.assertFalse(self.binding(eid))
        event.sudo().write({'next_try_at': datetime.datetime(2000, 1, 1)})
        self.process_events()
        self.assertEqual(event.state, 'done')
        self.assertEqual(self.binding(eid).employee_id, self.employee(eid))
        self.assertEqual(event.employee_id, self.employee(eid))
        self.assertEqual(event.attempt_ids.sorted('id').mapped('outcome'), ['retrying', 'done'])

    def test_a_new_hire_the_api_never_shows_ends_done_after_the_retry_schedule(self):
        self.connection.sudo().event_max_attempts = 3
        eid = self.hire(hidden_reads=100)
        event = self.deliver('new_hire', eid)
        with QUIET_QUEUE:
            for _attempt in range(3):
                event.sudo().write({'next_try_at': datetime.datetime(2000, 1, 1)})
                self.process_events()
        self.assertEqual(event.state, 'done')
        self.assertIn('nothing changed', event.result_message)
        self.assertEqual(event.attempt_ids.sorted('id').mapped('outcome'), ['retrying', 'retrying', 'done'])
        self.assertFalse(event.activity_ids, "not a failure: nobody is asked to act")
        self.assertFalse(self.binding(eid))
        self.assertEqual(self.sandbox.count(status=404, path='/employees/%s' % eid), 3)

    def test_employee_tab_shows_binding_and_events(self):
        eid = self.hire()
        event = self.deliver('new_hire', eid)
        self.process_events()
        hr_officer = new_test_user(self.env, login='pl_hr', groups='hr.group_hr_user,%s' % USER_GROUP,
                                   company_id=self.company.id, company_ids=[(6, 0, [self.company.id])])
        employee = self.employee(eid).with_user(hr_officer)
        self.assertEqual(employee.paylocity_employee_code, eid)
        self.assertEqual(employee.paylocity_status, 'A')
        self.assertTrue(employee.paylocity_last_sync)
        self.assertEqual(employee.paylocity_event_count, 1)
        action = employee.action_view_paylocity_events()
        self.assertEqual(self.env['paylocity.event'].search(action['domain']), event)
