# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""Drop the pay run's cash view of the previous version before the new one is loaded.

The run's bank matching note became pay data (readable by the payroll group and accountants only). The previous
version's cash view shows that note to everyone, and Odoo validates the stored views of the pay-run form when the
form's base view is updated, before the cash view's new arch is loaded; it would report the restricted field in
the old arch. The view holds no data of its own: the module's view file creates it again, with its new arch, in
this same upgrade.
"""


def migrate(cr, version):
    if not version:
        return
    cr.execute("""
        DELETE FROM ir_ui_view
         WHERE id IN (SELECT res_id FROM ir_model_data
                       WHERE module = 'paylocity_connector' AND model = 'ir.ui.view'
                         AND name = 'paylocity_pay_run_view_form_cash')
    """)
    cr.execute("""
        DELETE FROM ir_model_data
         WHERE module = 'paylocity_connector' AND model = 'ir.ui.view'
           AND name = 'paylocity_pay_run_view_form_cash'
    """)
