# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""19.0.2.0.0: entries now carry the payroll totals they book (the reconciliation adds them up). Entries made before
carry none: an original or a re-post booked its run's totals as built, which the run still holds (no correction
existed before this version). Rows that already have totals are left alone, so running this twice is harmless."""
import logging

_logger = logging.getLogger(__name__)


def migrate(cr, version):
    if not version:
        return
    cr.execute("""
        UPDATE account_move m
           SET paylocity_gross = r.gross, paylocity_deductions = r.deductions,
               paylocity_employee_taxes = r.employee_taxes, paylocity_net = r.net,
               paylocity_employer_cost = r.employer_cost
          FROM paylocity_pay_run r
         WHERE m.paylocity_pay_run_id = r.id AND m.paylocity_fingerprint IS NULL AND m.paylocity_gross IS NULL
    """)
    _logger.info("paylocity_connector: payroll totals set on %s existing entries", cr.rowcount)
