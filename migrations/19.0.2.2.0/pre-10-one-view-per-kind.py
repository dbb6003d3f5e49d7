# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""Drop the views that extended the connection's and the pay run's own views, before those load.

The connection's form and the pay run's form, list and search are now each one view holding what the cash,
month-end and verification views added to them. Left in place until the end of the upgrade, the old extensions
would be applied to (and validated against) the new views, adding their fields a second time. They hold no data
of their own.
"""

OLD_VIEWS = (
    'paylocity_connection_view_form_cash',
    'paylocity_pay_run_view_form_cash',
    'paylocity_pay_run_view_form_verification',
    'paylocity_pay_run_view_list_verification',
    'paylocity_pay_run_view_search_verification',
)


def migrate(cr, version):
    if not version:
        return
    cr.execute("""
        WITH gone AS (
            DELETE FROM ir_model_data
             WHERE module = 'paylocity_connector' AND model = 'ir.ui.view' AND name IN %s
            RETURNING res_id
        )
        DELETE FROM ir_ui_view WHERE id IN (SELECT res_id FROM gone)
    """, (OLD_VIEWS,))
