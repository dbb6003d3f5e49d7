# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""Building a pay run's journal entry from its stored statements and the mappings, and posting it (at most once)."""
import logging
from decimal import Decimal

import psycopg2.errors
from markupsafe import Markup

from odoo import Command, fields, models
from odoo.tools import SQL, format_amount

from ..paylocity import payroll
from ..paylocity.journal import DETAIL_EMPLOYEE, NEEDS_MAPPING, EmployeePay
from .paylocity_pay_run import GONE_STATUSES, HELD_STATES, TODO, RunBusy

_logger = logging.getLogger(__name__)


class PaylocityPayRun(models.Model):
    _inherit = 'paylocity.pay.run'

    def _employee_pays(self):
        """The stored statements as the journal builder's ``EmployeePay`` inputs (amounts exact, via text)."""
        self.env.flush_all()
        cr = self.env.cr
        cr.execute(SQL("""
            SELECT e.id, e.paylocity_employee_code, e.cost_center
              FROM paylocity_pay_run_employee e WHERE e.run_id = %s AND e.fetch_state = 'paid' ORDER BY e.id
        """, self.id))
        employees = {row_id: (employee, cost_center, [], []) for row_id, employee, cost_center in cr.fetchall()}
        cr.execute(SQL("""
            SELECT run_employee_id, check_date, process, transaction_number, gross_pay::text, net_pay::text, end_date,
                   begin_date, net_check::text, direct_deposit_amount::text, check_number
              FROM paylocity_pay_run_statement WHERE run_id = %s AND active ORDER BY id
        """, self.id))
        for row_id, check_date, process, number, gross, net, end_date, begin, check, deposit, check_number \
                in cr.fetchall():
            employees[row_id][2].append(payroll.StoredSummary(
                check_date, process, number, _decimal(gross), _decimal(net), end_date, begin, _decimal(check),
                _decimal(deposit), check_number or None))
        cr.execute(SQL("""
            SELECT run_employee_id, check_date, transaction_number, det, det_code, amount::text, transaction_type,
                   det_type
              FROM paylocity_pay_run_line WHERE run_id = %s AND active ORDER BY id
        """, self.id))
        for row_id, check_date, number, det, code, amount, kind, det_type in cr.fetchall():
            employees[row_id][3].append(payroll.StoredDetail(check_date, number, det, code, _decimal(amount),
                                                             kind or None, det_type or None))
        return [EmployeePay(employee, cost_center or None, summaries, details)
                for employee, cost_center, summaries, details in employees.values()]

    def _build(self):
        """Build the entry's lines from the stored statements and the mappings, record what was found and move to
        ``needs_mapping``, ``needs_review`` or ``ready``. Returns the builder's result."""
        connection = self.connection_id
        problems = connection._payroll_setup_problems()
        rules, rule_problems = self.env['paylocity.gl.rule'].sudo()._builder_rules(connection)
        net_account = connection.payroll_net_pay_account_id
        result = self._build_result(
            self._employee_pays(), rules, run_id=self.run_number, check_date=self.check_date,
            net_pay_account=net_account.id or 0, detail_level=connection.payroll_detail_level,
            precision=self.currency_id.decimal_places, cost_center_analytics=connection._payroll_analytics())

        self.unmapped_ids.unlink()
        unmapped_vals = []
        for item in result.unmapped:
            reason = rule_problems.get((item.det, (item.code or '').upper(), item.cost_center)) \
                or rule_problems.get((item.det, (item.code or '').upper(), None))
            unmapped_vals.append({'run_id': self.id, 'det': item.det, 'code': item.code,
                                  'cost_center': item.cost_center, 'amount': item.amount,
                                  'employee_count': item.employees, 'reason': reason or False})
        self.env['paylocity.pay.run.unmapped'].sudo().create(unmapped_vals)

        differences = self._describe_differences(result)
        if not result.employees:
            differences.append(self.env._("No pay statement of this run was found for any employee asked."))
        if result.lines and not result.is_balanced:   # impossible by construction; never posted if it happens
            differences.append(self.env._("The built lines do not balance (debit %(debit)s, credit %(credit)s).",
                                          debit=result.total_debit, credit=result.total_credit))
        accepted = bool(differences) and self.accepted_differences == '\n'.join(differences)
        state = result.verdict(setup_complete=not problems, review_accepted=accepted)
        hold = []
        notice = []   # the same without names or amounts, for the activity (whoever reads the run reads it)
        if state == NEEDS_MAPPING:
            hold += problems
            notice += problems
            if result.unmapped:
                hold.append(self.env._("%(count)s code(s) have no usable mapping: %(codes)s.",
                                       count=len(result.unmapped),
                                       codes=', '.join(self._unmapped_label(u) for u in result.unmapped)))
                notice.append(self.env._("%(count)s code(s) have no usable mapping: %(codes)s.",
                                         count=len(result.unmapped),
                                         codes=', '.join(self._unmapped_label(u, amount=False)
                                                         for u in result.unmapped)))
        if differences:
            hold.append(self.env._("Differences with Paylocity's totals:") + '\n' + '\n'.join(differences))
            notice.append(self.env._("%(count)s difference(s) with Paylocity's totals, listed on the pay run.",
                                     count=len(differences)))
        net_pay = self._net_pay_of(result, net_account.id)
        warnings = list(result.warnings)
        unbound = self.employee_ids.filtered(lambda r: r.fetch_state == 'paid' and not r.binding_id)
        if unbound:
            warnings.append(self.env._(
                "%(count)s employee(s) paid by this run are not bound in Odoo yet (Paylocity %(ids)s): their amounts "
                "are in the entry, without the analytic account of their cost center.", count=len(unbound),
                ids=', '.join(unbound.mapped('paylocity_employee_code'))))
        self._set_state(state, {
            'hold_reason': '\n'.join(hold) or False,
            'build_warnings': '\n'.join(warnings) or False,
            'paylocity_gross': result.paylocity_totals.gross,
            'paylocity_net': result.paylocity_totals.net,
            'gross': result.totals.gross,
            'deductions': result.totals.deductions,
            'employee_taxes': result.totals.employee_taxes,
            'employer_cost': result.totals.employer,
            'net': result.totals.net,
            'entry_total': result.total_debit,
            'entry_net_pay': net_pay,
            'entry_line_count': len(result.lines),
            'last_error': False,
        })
        if state in HELD_STATES:
            self._alert_held(state, '\n'.join(notice))
        return result

    def _unmapped_label(self, item, amount=True):
        label = '%s %s' % (item.det or '?', item.code or '?')
        if item.cost_center:
            label += ' (cost center %s)' % item.cost_center
        if not amount:
            return label
        return '%s = %s' % (label, format_amount(self.env, float(item.amount), self.currency_id))

    def _describe_differences(self, result):
        names = {row.paylocity_employee_code: row.employee_id.name for row in self.employee_ids if row.employee_id}
        labels = {'gross': self.env._("Gross"), 'net': self.env._("Net"),
                  'net_pay_line': self.env._("Net pay line vs. net (a mapping's debit/credit disagrees with its code)")}
        out = []
        for diff in result.differences:
            who = self.env._("Whole run") if diff.employee_id is None else ('%s %s' % (
                diff.employee_id, names.get(diff.employee_id, ''))).strip()
            if diff.kind == 'employer_duplicate':
                out.append(self.env._("%(who)s — Employer line %(code)s appears more than once in one statement: "
                                      "one line %(one)s, all lines %(all)s", who=who, code=diff.code,
                                      one=diff.expected, all=diff.actual))
            elif diff.kind == 'employer_missing':
                out.append(self.env._("%(who)s — Employer line %(code)s missing from a statement whose employee "
                                      "tax of the same kind is %(amount)s", who=who, code=diff.code,
                                      amount=diff.expected))
            else:
                out.append('%s — %s: Paylocity %s, detail lines %s, difference %s' % (
                    who, labels.get(diff.kind, diff.kind), diff.expected, diff.actual, diff.difference))
        return out

    def _build_and_post(self):
        """Build; post when ready (and the connection wants it); otherwise hold with an activity. A run whose
        employee list is not complete is fetched first: it is never built from part of its employees."""
        if not self.employees_listed:
            self._note(self.env._("Paylocity's employee list of this run is not complete: it is read again and the "
                                  "employees missing from it are asked before the entry is built."))
            self._set_state('new', {'fetch_attempts': 0})
            self._request_processing()
            return
        previous = self.state
        try:
            result = self._build()
        except ValueError as exc:   # bad rules or inputs the builder refuses: nothing guessed
            self._set_state('failed', {'last_error': payroll.error_text(exc)})
            self._note_and_alert(self.env._("The entry could not be built"), self.last_error)
            return
        if self.state != 'ready':
            return
        if self.connection_id.payroll_posting == 'manual' and not self.env.context.get('paylocity_post_now'):
            if previous != 'ready':
                self._note(self.env._("Ready: mapped and in agreement with Paylocity; it waits for the Post button."))
            return
        self._post_entry(result)

    # --- post ---
    def _post_entry(self, result):
        """Make the run's entry (posted, or draft if the connection says so) from ``result``, at most once."""
        self.ensure_one()
        if self.post_count and (not self.repost_confirmed or self._entry_status() not in GONE_STATUSES):
            # Never a second entry without an accountant's confirmation (and never beside a live one).
            self._set_state('posted', {'repost_confirmed': False})
            return self.move_id
        blocker = self.post_count and self._repost_blocker()
        if blocker:   # confirmed while no correction was live, but one is now: the re-post waits, saying why
            self._set_state('needs_review', {'hold_reason': blocker})
            self._alert_held('needs_review', self.env._(
                "Corrections still book Paylocity's later changes: the re-post waits until they are reversed."))
            return self.env['account.move']
        generation = self.post_count + 1
        move_vals = self._move_vals(result, generation)
        post = self.connection_id.payroll_posting != 'draft'
        try:
            move, post = self._create_entry(move_vals, post)
        except psycopg2.errors.UniqueViolation:
            # (run, generation) is taken: another transaction made this entry. Leave the run to it.
            raise RunBusy(self.env._("Pay run %(run)s got its entry from another job.", run=self.name)) from None
        except Exception as exc:  # noqa: BLE001 - the savepoint removed every trace of the entry; say why
            error = payroll.error_text(exc)
            _logger.info("Paylocity pay run %s: entry not made: %s", self.id, error)
            self._set_state('failed', {'last_error': error})
            self._note_and_alert(self.env._("The journal entry could not be made"), error)
            return self.env['account.move']
        self._set_state('posted', {'move_id': move.id, 'post_count': generation, 'repost_confirmed': False,
                    'posted_at': fields.Datetime.now(), 'journal_id': move.journal_id.id, 'last_error': False,
                    'hold_reason': False})
        self.event_ids.filtered(lambda e: not e.move_id).sudo().write({'move_id': move.id})
        self.activity_feedback([TODO], feedback=self.env._("Entry %(move)s made.", move=move.display_name))
        self._note(Markup("%s %s") % (
            self.env._("Entry posted:") if post else self.env._("Entry created in draft:"), move._get_html_link()))
        return move

    def _repost_blocker(self):
        """Why no re-post may be made now, or ''. A re-post is built from the statements as corrected: beside a
        live correction it would book that change twice. Refused, naming what to undo, rather than netted into
        the re-post: the re-post then matches Paylocity's statements, and every amount stays traceable."""
        corrections = self._live_corrections()
        if not corrections:
            return ''
        posted = corrections.filtered(lambda m: m.state == 'posted')
        todo = []
        if posted:
            todo.append(self.env._("reverse %(moves)s", moves=', '.join(posted.mapped('display_name'))))
        if corrections - posted:
            todo.append(self.env._("delete or cancel the draft %(moves)s",
                                   moves=', '.join((corrections - posted).mapped('display_name'))))
        return self.env._(
            "Pay run %(run)s has corrections that still book Paylocity's later changes; a re-post includes those "
            "changes, so it would count them twice. First %(todo)s.", run=self.name, todo='; '.join(todo))

    def _entry_date(self):
        source = self.connection_id.payroll_date_source
        if source == 'period_end':
            ends = [d for d in self.statement_ids.mapped('end_date') if d]
            return max(ends) if ends else self.check_date
        if source == 'process' and self.process_date:
            return self.process_date.date()
        return self.check_date

    def _move_vals(self, result, generation):
        connection = self.connection_id
        names = {}
        if connection.payroll_detail_level == DETAIL_EMPLOYEE:
            names = {row.paylocity_employee_code: row.employee_id.name or row.paylocity_employee_code
                     for row in self.employee_ids}
        lines = []
        for line in result.lines:
            label = line.label or (self.env._("Payroll %(codes)s", codes=', '.join(line.codes)) if line.codes
                                   else self.env._("Payroll"))
            if line.employee_id:
                label = '%s — %s' % (names.get(line.employee_id, line.employee_id), label)
            lines.append(Command.create({
                'account_id': line.account,
                'name': label,
                'debit': float(line.debit),
                'credit': float(line.credit),
                'partner_id': line.partner or False,
                'analytic_distribution': {str(line.analytic): 100.0} if line.analytic else False,
                **self._cash_line_vals(line),
            }))
        ref = payroll.entry_reference(connection.paylocity_company_code, self.company_id.name, self.check_date,
                                      self.run_number)
        if generation > 1:
            ref += self.env._(" — re-post %(n)s", n=generation)
        return {
            'move_type': 'entry',
            'journal_id': connection.journal_id.id,
            'date': self._entry_date(),
            'ref': ref,
            'company_id': self.company_id.id,
            'paylocity_pay_run_id': self.id,
            'paylocity_generation': generation,
            'line_ids': lines,
        }


def _decimal(text):
    return Decimal(text) if text is not None else Decimal(0)
