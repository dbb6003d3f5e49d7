# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""Entries whose date falls in a period the company's lock dates close: dated in the first open period the way
Odoo's own accounting-date logic does (``account.move._get_accounting_date``), and the run says so; or left in draft
for the accountant (connection option). Never an error, never a retry loop: the entry is always made."""
from markupsafe import Markup

from odoo import models

LOCKED_SUMMARY = "Entry date in a locked period"
WARNING = 'mail.mail_activity_data_warning'


class PaylocityPayRun(models.Model):
    _inherit = 'paylocity.pay.run'

    def _create_entry(self, vals, post):
        """The entry of ``vals``, created in the run's company in a savepoint (if this raises, nothing of it is
        left) and posted when ``post`` and its date allow (``_place_in_open_period``): (entry, whether posted)."""
        with self.env.cr.savepoint():
            move = self.env['account.move'].sudo().with_company(self.company_id).create(vals)
            post = self._place_in_open_period(move, post)
            if post:
                move.action_post()
        return move, post

    def _place_in_open_period(self, move, post):
        """Before ``move`` (a new draft) is posted: when its date is locked, date it on the first open day Odoo
        allows, or keep it in draft with an activity. Returns whether to post it now."""
        affects_tax = move._affect_tax_report()
        locks = move._get_violated_lock_dates(move.date, affects_tax)
        if not locks:
            return post
        wanted = move.date
        locks_text = self.env['res.company']._format_lock_dates(locks)
        if self.connection_id.payroll_locked_period == 'wait':
            text = self.env._(
                "Entry %(move)s should be dated %(date)s, which is in a period closed by the lock dates "
                "(%(locks)s). It waits in draft: post it (Odoo dates it in the first open period) or change the "
                "lock dates.", move=move.display_name, date=wanted, locks=locks_text)
            self._note(text)
            # A warning, not a to-do: the entry's own to-dos are closed once it is made.
            self.activity_schedule(WARNING, summary=self.env._(LOCKED_SUMMARY), note=text,
                                   user_id=self.connection_id._payroll_accountant().id)
            return False
        date = move._get_accounting_date(wanted, affects_tax, lock_dates=locks)
        move.write({'date': date, 'paylocity_moved_from': wanted})
        self._note(Markup('<p>%s</p>') % self.env._(
            "Entry %(move)s is dated %(date)s, the first open day: %(wanted)s is in a period closed by the lock "
            "dates (%(locks)s).", move=move.display_name, date=date, wanted=wanted, locks=locks_text))
        return post
