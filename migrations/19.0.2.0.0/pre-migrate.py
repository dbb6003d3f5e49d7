# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""19.0.2.0.0: Char identifiers no longer end in ``_id`` (in Odoo that means a many2one), and the mapping's
``kind`` says what it is (``posting_sides``).

Renamed before the registry loads, so Odoo finds the columns it expects and keeps their data: the column, its
index, the field's ``ir.model.fields`` row (tracking values and defaults point to it) and the xml ids of that row
and of its selection values. Without the xml ids, the end of the upgrade would delete the "missing" old fields.
Every step is guarded, so a partly migrated database, or one that never had a column, is fine.

The addon's views that extend its own views are dropped first and made again from the XML: the stored ones still
name the old fields, and Odoo validates a reloaded view together with its stored extensions.
"""
import logging

from odoo.tools import sql

_logger = logging.getLogger(__name__)

# (model, old field name, new field name, stored)
RENAMES = [
    ('paylocity.connection', 'paylocity_company_id', 'paylocity_company_code', True),
    ('paylocity.connection', 'weblink_client_id', 'weblink_client_identifier', True),
    ('paylocity.connection', 'nextgen_client_id', 'nextgen_client_identifier', True),
    ('paylocity.employee', 'paylocity_employee_id', 'paylocity_employee_code', True),
    ('paylocity.employee', 'supervisor_id', 'supervisor_code', True),
    ('paylocity.employee', 'relationship_id', 'relationship_code', True),
    ('paylocity.event', 'paylocity_company_id', 'paylocity_company_code', True),
    ('paylocity.event', 'paylocity_employee_id', 'paylocity_employee_code', True),
    ('paylocity.event', 'process_id', 'process_code', True),
    ('paylocity.event', 'run_id', 'run_number', True),
    ('paylocity.pay.run', 'process_id', 'process_code', True),
    ('paylocity.pay.run.employee', 'paylocity_employee_id', 'paylocity_employee_code', True),
    ('paylocity.pay.run.statement', 'paylocity_employee_id', 'paylocity_employee_code', True),
    ('paylocity.pay.run.line', 'paylocity_employee_id', 'paylocity_employee_code', True),
    ('paylocity.gl.rule', 'kind', 'posting_sides', True),
    ('hr.employee', 'paylocity_employee_id', 'paylocity_employee_code', False),   # computed, no column
    ('paylocity.connection', 'run_entry_gone_count', 'run_out_of_agreement_count', False),   # overview, computed
]


def migrate(cr, version):
    if not version:
        return
    _drop_own_view_extensions(cr)
    for model, old, new, stored in RENAMES:
        table = model.replace('.', '_')
        if stored and sql.column_exists(cr, table, old) and not sql.column_exists(cr, table, new):
            sql.rename_column(cr, table, old, new)
            old_index, new_index = sql.make_index_name(table, old), sql.make_index_name(table, new)
            if sql.index_exists(cr, old_index) and not sql.index_exists(cr, new_index):
                cr.execute(sql.SQL("ALTER INDEX %s RENAME TO %s",
                                   sql.SQL.identifier(old_index), sql.SQL.identifier(new_index)))
        _rename_field_metadata(cr, model, old, new)
        _logger.info("paylocity_connector: %s.%s renamed to %s", model, old, new)


def _rename_field_metadata(cr, model, old, new):
    cr.execute("SELECT 1 FROM ir_model_fields WHERE model = %s AND name = %s", (model, new))
    if cr.rowcount:
        return   # already renamed (or created by an earlier, interrupted upgrade)
    cr.execute("UPDATE ir_model_fields SET name = %s WHERE model = %s AND name = %s", (new, model, old))
    prefix = model.replace('.', '_')
    cr.execute("""
        UPDATE ir_model_data SET name = %s
         WHERE module = 'paylocity_connector' AND model = 'ir.model.fields' AND name = %s
    """, ('field_%s__%s' % (prefix, new), 'field_%s__%s' % (prefix, old)))
    # Selection values: selection__<model>__<field>__<value>
    old_prefix, new_prefix = 'selection__%s__%s__' % (prefix, old), 'selection__%s__%s__' % (prefix, new)
    cr.execute("""
        UPDATE ir_model_data SET name = %s || substr(name, %s)
         WHERE module = 'paylocity_connector' AND model = 'ir.model.fields.selection' AND left(name, %s) = %s
    """, (new_prefix, len(old_prefix) + 1, len(old_prefix), old_prefix))


def _drop_own_view_extensions(cr):
    cr.execute("""
        WITH own AS (SELECT res_id FROM ir_model_data WHERE module = 'paylocity_connector' AND model = 'ir.ui.view'),
             gone AS (DELETE FROM ir_ui_view
                       WHERE id IN (SELECT res_id FROM own) AND inherit_id IN (SELECT res_id FROM own) RETURNING id)
        DELETE FROM ir_model_data WHERE module = 'paylocity_connector' AND model = 'ir.ui.view'
           AND res_id IN (SELECT id FROM gone)
    """)
    _logger.info("paylocity_connector: %s view extension(s) to be made again from the XML", cr.rowcount)
