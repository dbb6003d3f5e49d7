# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""The employee sync engine: applies Paylocity entries of one connection to Odoo's directory.

One engine for every path: webhook handlers pass one entry, the reconciliation poll passes chunks. It is a plain
class over the ORM, not a model: ``paylocity.employee._sync_entries`` makes one per call.
"""
import logging
from collections import defaultdict, namedtuple

from markupsafe import Markup, escape

from odoo import fields

from ..paylocity import directory, sync_plan
from .employee_sync_codes import CodeBook

_logger = logging.getLogger(__name__)

M2O_FIELDS = ('department_id', 'job_id', 'work_location_id', 'parent_id')

# ``action``: one of sync_plan's outcomes; ``message``: the one-line result; ``error``: the exception of a failure.
Outcome = namedtuple('Outcome', 'action binding message error')


class MatchError(Exception):
    """More than one Odoo employee could be this Paylocity employee: a person must decide."""


class EmployeeSync:
    """One sync call of one connection: its options, the code tables, and the managers that appeared.

    ``sync(entries)`` applies ``directory.Entry`` items; everything decided from values alone is
    ``paylocity.sync_plan``'s, this class reads and writes the records.
    """

    def __init__(self, Binding, connection, origin):
        self.Binding = Binding
        self.env = Binding.env
        self.connection = connection
        self.company = connection.company_id
        self.origin = origin
        self.owned = connection._owned_field_names()
        self.salt = connection._sync_salt()
        self.department_level = connection.department_level if connection.department_level != 'none' else None
        self.Employee = self.env['hr.employee'].with_company(self.company)
        self.reasons = {}          # Paylocity reason text -> hr.departure.reason
        self.new_managers = self.env['paylocity.employee']
        self.bindings = {}         # Paylocity id -> binding, of supervisors looked up
        self.created = self.env['hr.employee']   # employees created in this run
        self.now = self.env.cr.now().replace(microsecond=0)
        self.codes = CodeBook(self.env['paylocity.code'], connection, self.department_level, self.now)

    def sync(self, entries, isolate=True):
        """Apply ``entries``; returns ``{paylocity id: Outcome}``. An entry whose hash equals its binding's, on an
        employee nobody edited in Odoo since, is left without a write.

        ``isolate``: each entry in its own savepoint, a failure becomes an Outcome with ``error`` (the poll);
        otherwise failures propagate (an event handler, whose spine rolls back and retries).
        """
        entries = list({entry.employee_id: entry for entry in entries if entry.employee_id}.values())
        bindings = self.Binding.search([
            ('connection_id', '=', self.connection.id),
            ('paylocity_employee_code', 'in', [entry.employee_id for entry in entries]),
        ])
        by_id = {binding.paylocity_employee_code: binding for binding in bindings}
        todo = []
        outcomes = {}
        for entry in entries:
            binding = by_id.get(entry.employee_id)
            digest = directory.entry_hash(entry, self.salt)
            if binding and binding.payload_hash == digest and not binding._edited_in_odoo():
                outcomes[entry.employee_id] = Outcome(sync_plan.UNCHANGED, binding, "No change.", None)
            else:
                todo.append((entry, binding, digest))
        if not todo:
            return outcomes
        self.prepare([entry for entry, _binding, _digest in todo])
        new = []
        for entry, binding, digest in todo:
            if binding:
                outcomes[entry.employee_id] = self.guarded(entry, isolate, self.update, entry, binding, digest)
            else:
                new.append((entry, digest))
        if new:
            outcomes.update(self.add_new(new, isolate))
        self.link_new_managers()
        return outcomes

    # --- preparation (outside the per-entry savepoints: what it creates is shared by every entry) ---
    def prepare(self, entries):
        self.codes.load()
        if self.codes.any_unknown(entries) and self.connection._reference_import_due():
            self.connection._import_reference_data(raise_errors=False)
            self.codes.load()
        self.codes.create_missing(entries)
        for entry in entries:
            if entry.terminated and entry.status_reason not in self.reasons:
                self.reasons[entry.status_reason] = self._departure_reason(entry.status_reason)

    def _departure_reason(self, text):
        Reason = self.env['hr.departure.reason']
        if not text:
            return Reason
        xmlid = directory.departure_reason_xmlid(text)
        if xmlid:
            return self.env.ref(xmlid, raise_if_not_found=False) or Reason
        name = 'Transferred' if directory.is_transfer(text) else text[:100]
        return Reason.search([('name', '=ilike', directory.like_literal(name))], limit=1) or \
            Reason.create({'name': name})

    # --- desired values ---
    def desired_values(self, entry, employee=None):
        """hr.employee values Paylocity asks for (m2o as ids); a field that cannot be resolved is left out and
        named in the returned warnings."""
        values = {
            'name': entry.name,
            'work_email': entry.work_email or False,
            'work_phone': entry.work_phone or False,
            'mobile_phone': entry.mobile_phone or False,
            'employee_type': entry.employee_type,
        }
        warnings = []
        if self.department_level:
            code_value = entry.cost_center(self.department_level)
            if not code_value:
                values['department_id'] = False
            else:
                code = self.codes.lookup('costcenter%s' % self.department_level, code_value)
                if code and code.department_id:
                    values['department_id'] = code.department_id.id
                else:
                    warnings.append("cost center %s (level %s) is not aligned with a department"
                                    % (code_value, self.department_level))
        position = self.codes.lookup('position', entry.position_code) if entry.position_code else None
        values['job_id'] = position.job_id.id if position and position.job_id else False
        values['job_title'] = entry.job_title or (position.name if position else False) or False
        location = self.codes.lookup('work_location', entry.work_location) if entry.work_location else None
        values['work_location_id'] = location.work_location_id.id if location and location.work_location_id \
            else False
        manager = self._manager_of(entry, employee)
        if manager is not None:
            values['parent_id'] = manager.id
        return values, warnings

    def _manager_of(self, entry, employee):
        """The active Odoo employee of the entry's supervisor, False for none, None when the supervisor is not in
        Odoo yet (linked as soon as they are)."""
        supervisor_id = sync_plan.supervisor_to_link(entry, self.connection.paylocity_company_code)
        if supervisor_id is None:
            return self.env['hr.employee']
        supervisor = self.bindings.get(supervisor_id)
        if supervisor is None:
            supervisor = self.Binding.search([('connection_id', '=', self.connection.id),
                                              ('paylocity_employee_code', '=', supervisor_id)], limit=1)
            if not supervisor:
                return None
            self.bindings[supervisor_id] = supervisor
        manager = supervisor.employee_id
        return manager if manager.active and manager != employee else self.env['hr.employee']

    def departure_values(self, entry):
        reason = self.reasons.get(entry.status_reason) or self.env['hr.departure.reason']
        return {
            'departure_date': sync_plan.departure_date(entry, fields.Date.context_today(self.Binding)),
            'departure_reason_id': reason.id or False,
            'departure_description': Markup('<p>%s</p>') % escape(sync_plan.departure_note(entry)),
        }

    # --- applying entries ---
    def guarded(self, entry, isolate, method, *args):
        """``method(*args)``; with ``isolate``, in a savepoint whose failure becomes a failed Outcome."""
        if not isolate:
            return method(*args)
        try:
            with self.env.cr.savepoint():
                return method(*args)
        except Exception as exc:  # noqa: BLE001 - one employee's failure must not stop the others
            _logger.info("Paylocity employee sync of connection %s: employee %s failed (%s)",
                         self.connection.id, entry.employee_id, type(exc).__name__)
            return Outcome(sync_plan.FAILED, None, None, exc)

    def add_new(self, items, isolate):
        """Entries without a binding: bind the Odoo employee they match, else create them, all at once (one
        create call for the batch; one by one only if the batch fails)."""
        outcomes, to_create = {}, []
        for entry, digest in items:
            try:
                employee = self._match_existing(entry)
            except MatchError as exc:
                if not isolate:
                    raise
                outcomes[entry.employee_id] = Outcome(sync_plan.FAILED, None, None, exc)
                continue
            if employee:
                outcomes[entry.employee_id] = self.guarded(entry, isolate, self._bind, entry, employee, digest)
            elif entry.terminated and sync_plan.left_before_lookback(
                    entry, fields.Date.context_today(self.Binding), self.connection.terminated_lookback_days):
                outcomes[entry.employee_id] = Outcome(
                    sync_plan.SKIPPED, None, "Left before the look-back period: not created.", None)
            else:
                to_create.append((entry, digest))
        if len(to_create) > 1 and isolate:
            try:
                with self.env.cr.savepoint():
                    outcomes.update(self._create(to_create))
                return outcomes
            except Exception:  # noqa: BLE001 - find the culprit one by one below
                _logger.info("Paylocity connection %s: batch creation failed, creating one by one",
                             self.connection.id)
        for entry, digest in to_create:
            result = self.guarded(entry, isolate, self._create, [(entry, digest)])
            outcomes.update(result if isinstance(result, dict) else {entry.employee_id: result})
        return outcomes

    def _bind(self, entry, employee, digest):
        binding = self._create_binding(entry, employee, digest, paylocity_values={})
        return self.update(entry, binding, digest, bound=True)

    def _match_existing(self, entry):
        """An Odoo employee of the company, not bound yet, with the entry's identifier or work email (an archived
        one too: a former employee who comes back is restored, not duplicated).

        A field an employee can edit about themself (work email, badge) never binds an employee who has a login:
        anyone could give themself a new hire's address and receive that person's record. Such a match is left to a
        person (bind by hand); employees without a login cannot edit anything, so they still bind by it.
        """
        connection = self.connection
        keys = []
        if connection.match_by_work_email and entry.work_email:
            keys.append(('work_email', [('work_email', '=ilike', directory.like_literal(entry.work_email))]))
        if connection.match_identifier and connection.match_identifier != 'none':
            keys.append((connection.match_identifier, [(connection.match_identifier, '=', entry.employee_id)]))
        self_editable = self.Employee._paylocity_self_editable_fields()
        keys.sort(key=lambda key: key[0] in self_editable)   # what only HR can edit decides first
        for field_name, domain in keys:
            found = self.Employee.search(domain + [('company_id', '=', self.company.id)])
            if found:
                found -= self.Binding.search([('connection_id', '=', connection.id),
                                              ('employee_id', 'in', found.ids)]).employee_id
            if len(found) > 1 and len(found.filtered('active')) == 1:
                found = found.filtered('active')   # an archived namesake of the active one is not a candidate
            if len(found) > 1:
                raise MatchError("%d Odoo employees of %s match Paylocity employee %s; bind the right one by hand "
                                 "(Paylocity > Employees)." % (len(found), self.company.name, entry.employee_id))
            if found and field_name in self_editable and found.user_id:
                raise MatchError("Paylocity employee %s has the %s of an Odoo employee of %s with a login, who can "
                                 "edit it themself: if it is the same person, bind them by hand (Paylocity > "
                                 "Employees)." % (entry.employee_id, self.Employee._fields[field_name].string,
                                                  self.company.name))
            if found:
                return found
        return self.Employee

    def _create(self, items):
        """Create the employees and bindings of ``[(entry, digest)]`` in one call each."""
        vals_list, warnings_list = [], []
        for entry, _digest in items:
            values, warnings = self.desired_values(entry)
            values['company_id'] = self.company.id
            if entry.terminated:
                values.update(self.departure_values(entry), active=False)
            vals_list.append(values)
            warnings_list.append(warnings)
        # Odoo's "created" logs are replaced by one note saying where the employee came from.
        employees = self.Employee.with_context(mail_create_nolog=True).create(vals_list)
        binding_vals = []
        for (entry, digest), employee, values, warnings in zip(items, employees, vals_list, warnings_list):
            vals = self._binding_values(entry, digest, values, warnings)
            vals.update(connection_id=self.connection.id, paylocity_employee_code=entry.employee_id,
                        employee_id=employee.id)
            binding_vals.append(vals)
        bindings = self.Binding.create(binding_vals)
        via = self.env._('webhook') if self.origin == 'webhook' else self.env._('reconciliation')
        employees._message_log_batch(bodies={
            employee.id: self.env._("Created from Paylocity employee %(id)s (%(via)s).", id=entry.employee_id,
                                    via=via)
            for (entry, _digest), employee in zip(items, employees)})
        outcomes = {}
        for (entry, _digest), binding, warnings in zip(items, bindings, warnings_list):
            self._link_transfer(binding, entry)
            outcomes[entry.employee_id] = Outcome(
                sync_plan.CREATED, binding, sync_plan.outcome_message("Employee created", warnings), None)
        active = bindings.filtered(lambda b: b.employee_id.active)
        self.new_managers |= active
        self.created |= active.employee_id
        return outcomes

    def _create_binding(self, entry, employee, digest, paylocity_values, warnings=()):
        vals = self._binding_values(entry, digest, paylocity_values, warnings)
        vals.update(connection_id=self.connection.id, paylocity_employee_code=entry.employee_id,
                    employee_id=employee.id)
        binding = self.Binding.create(vals)
        self._link_transfer(binding, entry)
        return binding

    def _binding_values(self, entry, digest, paylocity_values, warnings):
        level_code = {('cost_center%d' % level): entry.cost_center(level) or False for level in (1, 2, 3)}
        location = self.codes.lookup('work_location', entry.work_location) if entry.work_location else None
        return {
            **level_code,
            'status_code': entry.status_code or False,
            'status_type': entry.status_type or False,
            'status_reason': entry.status_reason or False,
            'hire_date': entry.hire_date or False,
            'rehire_date': entry.rehire_date or False,
            'termination_date': entry.termination_date or False,
            'employee_type_code': entry.employee_type_code or False,
            'position_code': entry.position_code or False,
            'work_location_code': (location.code if location else entry.work_location) or False,
            'supervisor_code': sync_plan.supervisor_key(entry, self.connection.paylocity_company_code) or False,
            'relationship_code': entry.relationship_id or False,
            'payload_hash': digest,
            'last_sync': self.now,
            'paylocity_values': {key: value for key, value in paylocity_values.items()
                                 if key in directory.SYNCED_FIELDS},
            'sync_warning': '; '.join(warnings) or False,
        }

    def update(self, entry, binding, digest, bound=False):
        """Apply ``entry`` to its bound employee as ``sync_plan.plan_update`` says."""
        employee = binding.employee_id
        desired, warnings = self.desired_values(entry, employee)
        previous = binding.paylocity_values or {}
        plan = sync_plan.plan_update(
            entry, current=self._current_values(employee, desired), desired=desired, previous=previous,
            owned=self.owned, employee_active=employee.active, previous_status=binding.status_type, bound=bound)
        if plan.action == 'rehire':
            employee.action_unarchive()
            self.new_managers |= binding
        if plan.changes:
            employee.write(plan.changes)
        if plan.overwritten:
            self._note_overwritten(employee, plan.overwritten)
        if plan.action == 'terminate':
            employee.write(self.departure_values(entry))
            employee.with_context(no_wizard=True).action_archive()
        elif entry.terminated and not employee.active:
            departure = self.departure_values(entry)
            if employee.departure_date != departure['departure_date'] or \
                    employee.departure_reason_id.id != departure['departure_reason_id']:
                employee.write(departure)
        binding.write(self._binding_values(entry, digest, dict(previous, **desired), warnings))
        if plan.action == 'terminate' and directory.is_transfer(entry.status_reason):
            self._link_transfer(binding, entry)
        return Outcome(plan.outcome, binding, sync_plan.outcome_message(plan.label, warnings), None)

    @staticmethod
    def _current_values(employee, desired):
        values = {}
        for name in desired:
            value = employee[name]
            values[name] = value.id if name in M2O_FIELDS else value
        return values

    def _note_overwritten(self, employee, names):
        labels = ', '.join(sorted(employee._fields[name].get_description(self.env)['string'] for name in names))
        employee.message_post(
            body=self.env._("Paylocity owns %(fields)s: the value edited in Odoo was replaced by Paylocity's at "
                            "the sync. Change it in Paylocity instead.", fields=labels),
            message_type='comment', subtype_xmlid='mail.mt_note')

    # --- managers and transfers ---
    def link_new_managers(self):
        """Employees whose Paylocity supervisor just appeared (or came back) get their manager now: one write per
        manager; untracked for employees created in this run (their manager is part of their creation)."""
        # exists(): a binding created in a savepoint rolled back later (one failing entry) is gone.
        managers = self.new_managers.exists().filtered(lambda b: b.employee_id.active)
        created = self.created.exists()
        self.new_managers = self.Binding.browse()
        if not managers:
            return
        by_id = {binding.paylocity_employee_code: binding.employee_id for binding in managers}
        subordinates = self.Binding.search([('connection_id', '=', self.connection.id),
                                            ('supervisor_code', 'in', list(by_id))])
        groups = defaultdict(lambda: self.Binding.browse())
        for subordinate in subordinates:
            employee, manager = subordinate.employee_id, by_id[subordinate.supervisor_code]
            if employee.active and employee != manager and employee.parent_id != manager:
                groups[manager] |= subordinate
        for manager, bindings in groups.items():
            employees = bindings.employee_id
            (employees & created).with_context(mail_notrack=True).write({'parent_id': manager.id})
            (employees - created).write({'parent_id': manager.id})
            for binding in bindings:
                binding.write({'paylocity_values': dict(binding.paylocity_values or {}, parent_id=manager.id),
                               'last_sync': self.now})

    def _link_transfer(self, binding, entry):
        """Link this binding with the same person's binding in another Paylocity company, if one is known."""
        other = self._transfer_counterpart(entry)
        if not other:
            return
        if entry.terminated:     # leaving this company: the other binding is where they went
            if not other.transfer_of_id:
                other.write({'transfer_of_id': binding.id})
        elif not binding.transfer_of_id:
            binding.write({'transfer_of_id': other.id})

    def _transfer_counterpart(self, entry):
        connection = self.connection
        others = [('connection_id', '!=', connection.id),
                  ('connection_id.environment', '=', connection.environment)]
        Binding = self.Binding.sudo()
        if entry.relationship_id:
            found = Binding.search(others + [('relationship_code', '=', entry.relationship_id)], limit=2)
            if len(found) == 1:
                return found
        if not directory.is_transfer(entry.status_reason):
            return Binding.browse()
        candidates = Binding.search(others + [('employee_id.name', '=', entry.name)])
        found = candidates.filtered(
            lambda b: directory.mentions_company(entry.status_reason, b.connection_id.paylocity_company_code)
            or directory.mentions_company(b.status_reason, connection.paylocity_company_code))
        return found if len(found) == 1 else Binding.browse()
