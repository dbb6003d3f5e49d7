"""Snapshot and compare the connector's data around an upgrade (used by tools/test-upgrade).

    upgrade_check.py snapshot <dsn> <file.json>
    upgrade_check.py compare <before.json> <after.json> <migrations dir> <base version>

Every row of the connector's tables (and of the Odoo tables they feed) must still be there after the upgrade with
every value, read under its new name where a migration since <base version> renamed the column (its ``RENAMES``
list of ``(model, old, new, stored)``); the connector's fields must keep their ``ir.model.fields`` row.

One intended change is expected exactly (``expected_value``): upgrading from before 19.0.2.1.0 reduces each event
payload to the allow-list of its type (``paylocity.webhooks.kept_payload``, what intake stores since then).
"""
import ast
import json
import pathlib
import sys

import psycopg2

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2]))   # the addon root: its plain core
from paylocity.webhooks import kept_payload  # noqa: E402

OTHER_TABLES = ('hr_employee', 'hr_department', 'hr_job', 'hr_work_location', 'account_move', 'account_move_line',
                'account_analytic_account', 'mail_tracking_value')
IGNORED_COLUMNS = {'write_date', 'write_uid'}   # the upgrade itself may rewrite a record's data
PAYLOADS_MINIMIZED_IN = '19.0.2.1.0'   # migrations/19.0.2.1.0/post-20-pii-minimize.py


def snapshot(dsn, path):
    with psycopg2.connect(dsn) as conn, conn.cursor() as cr:
        cr.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema "
                   "AND table_type = 'BASE TABLE' AND (table_name LIKE 'paylocity\\_%%' OR table_name IN %s)",
                   (OTHER_TABLES,))
        tables = {}
        for (table,) in sorted(cr.fetchall()):
            cr.execute('SELECT * FROM "%s"' % table)
            columns = [d.name for d in cr.description]
            if 'id' not in columns:
                continue
            tables[table] = {str(row[columns.index('id')]): {c: _text(v) for c, v in zip(columns, row)}
                             for row in cr.fetchall()}
        cr.execute("SELECT id, model, name FROM ir_model_fields WHERE model LIKE 'paylocity.%%' OR id IN "
                   "(SELECT res_id FROM ir_model_data WHERE module = 'paylocity_connector' "
                   "AND model = 'ir.model.fields')")
        fields = {str(i): [model, name] for i, model, name in cr.fetchall()}
        cr.execute("SELECT indexname, regexp_replace(indexdef, 'INDEX \\S+ ON', 'INDEX ON') FROM pg_indexes "
                   "WHERE schemaname = current_schema AND tablename LIKE 'paylocity\\_%%'")
        indexes = dict(cr.fetchall())
    pathlib.Path(path).write_text(json.dumps({'tables': tables, 'fields': fields, 'indexes': indexes},
                                             sort_keys=True))


def _text(value):
    return None if value is None else (value if isinstance(value, (int, bool)) else str(value))


def _version(text):
    return tuple(int(part) for part in text.split('.') if part.isdigit())


def renames_since(migrations, base_version):
    """{(table, old column): new column} and {(model, old field): new field} of the migrations after base."""
    columns, fields = {}, {}
    for script in sorted(pathlib.Path(migrations).glob('*/pre-*.py'), key=lambda p: _version(p.parent.name)):
        if _version(script.parent.name) <= _version(base_version):
            continue
        for node in ast.parse(script.read_text()).body:
            if isinstance(node, ast.Assign) and any(getattr(t, 'id', None) == 'RENAMES' for t in node.targets):
                for model, old, new, stored in ast.literal_eval(node.value):
                    fields[(model, old)] = new
                    if stored:
                        columns[(model.replace('.', '_'), old)] = new
    return columns, fields


ANY_TIME = object()   # any value but NULL


def expected_value(table, column, old_row, base_version):
    """What ``column`` of ``old_row`` must hold after the upgrade: its old value, but for what a migration since
    ``base_version`` changes on purpose."""
    value = old_row[column]
    if table == 'paylocity_event' and _version(base_version) < _version(PAYLOADS_MINIMIZED_IN):
        if column == 'payload' and value is not None:
            return kept_payload(old_row['event_type'], value)
        if column == 'payload_purged_at' and old_row['payload'] is not None \
                and kept_payload(old_row['event_type'], old_row['payload']) is None:
            return ANY_TIME   # nothing of it could be kept: erased by the upgrade
    return value


def compare(before_path, after_path, migrations, base_version):
    before, after = (json.loads(pathlib.Path(p).read_text()) for p in (before_path, after_path))
    column_renames, field_renames = renames_since(migrations, base_version)
    problems, rows, values = [], 0, 0
    changed_on_purpose = {}
    for table, old_rows in sorted(before['tables'].items()):
        new_rows = after['tables'].get(table)
        if new_rows is None:
            problems.append("table %s is gone" % table)
            continue
        missing = sorted(set(old_rows) - set(new_rows), key=int)
        if missing:
            problems.append("%s: %d row(s) lost (ids %s)" % (table, len(missing), ', '.join(missing[:10])))
        for row_id, old in old_rows.items():
            new = new_rows.get(row_id)
            if new is None:
                continue
            rows += 1
            for column, value in old.items():
                if column in IGNORED_COLUMNS:
                    continue
                target = column_renames.get((table, column), column)
                if target not in new:
                    problems.append("%s.%s: column lost" % (table, column))
                    break
                values += 1
                expected = expected_value(table, column, old, base_version)
                if expected != value:
                    changed_on_purpose[(table, column)] = changed_on_purpose.get((table, column), 0) + 1
                if expected is ANY_TIME and new[target] is not None:
                    continue
                if new[target] != expected:
                    problems.append("%s id %s: %s was %r, %s is %r (expected %r)" % (
                        table, row_id, column, value, target, new[target], expected))
        print("%-40s %6d rows before, %6d after" % (table, len(old_rows), len(new_rows)))
    for field_id, (model, name) in sorted(before['fields'].items(), key=lambda item: int(item[0])):
        expected = [model, field_renames.get((model, name), name)]
        if after['fields'].get(field_id) != expected:
            problems.append("field %s.%s (id %s) is %s after the upgrade, expected %s.%s" % (
                model, name, field_id, after['fields'].get(field_id), *expected))
    by_definition = {}
    for name, definition in after.get('indexes', {}).items():
        by_definition.setdefault(definition, []).append(name)
    for definition, names in sorted(by_definition.items()):
        if len(names) > 1:   # e.g. an index kept under its old name beside the one Odoo made for the new name
            problems.append("indexes %s are the same: %s" % (', '.join(sorted(names)), definition))
    for (table, old), new in sorted(column_renames.items()):
        kept = sum(1 for row in before['tables'].get(table, {}).values() if row.get(old) not in (None, ''))
        print("renamed %s.%s -> %s: %d non-empty value(s) kept" % (table, old, new, kept))
        if not kept:
            problems.append("%s.%s had no value before the upgrade: the test proves nothing for it" % (table, old))
    if _version(base_version) < _version(PAYLOADS_MINIMIZED_IN):
        minimized = changed_on_purpose.get(('paylocity_event', 'payload'), 0)
        print("paylocity_event.payload: %d payload(s) reduced to the allow-list" % minimized)
        if not minimized:
            problems.append("no event payload held more than the allow-list keeps: the test proves nothing for it")
    print("%d rows, %d values compared; %d fields of the connector kept" % (rows, values, len(before['fields'])))
    for problem in problems[:60]:
        print("LOST: " + problem)
    return 1 if problems else 0


if __name__ == '__main__':
    if sys.argv[1] == 'snapshot':
        snapshot(*sys.argv[2:4])
    elif sys.argv[1] == 'compare':
        sys.exit(compare(*sys.argv[2:6]))
    else:
        sys.exit(__doc__)
