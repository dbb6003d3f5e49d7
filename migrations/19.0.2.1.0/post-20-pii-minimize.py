# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""Payloads stored before the allow-list kept whole bodies (a New Hire's home address, gender, marital status, EEO
class...): each is reduced to what the allow-list of its type keeps, exactly as intake stores it now
(``paylocity/webhooks.py``, ``kept_payload``). A payload that is not a JSON object keeps nothing and is erased."""
from psycopg2.extras import execute_values

from odoo.addons.paylocity_connector.paylocity.webhooks import kept_payload

BATCH = 1000


def migrate(cr, version):
    if not version:
        return
    last_id = 0
    while True:
        cr.execute("""SELECT id, event_type, payload FROM paylocity_event
                       WHERE payload IS NOT NULL AND id > %s ORDER BY id LIMIT %s""", (last_id, BATCH))
        rows = cr.fetchall()
        if not rows:
            return
        last_id = rows[-1][0]
        changed = [(event_id, kept) for event_id, event_type, payload in rows
                   if (kept := kept_payload(event_type, payload)) != payload]
        if changed:
            execute_values(cr, """
                UPDATE paylocity_event AS event
                   SET payload = minimized.payload,
                       payload_purged_at = CASE WHEN minimized.payload IS NULL
                                                THEN now() AT TIME ZONE 'UTC' ELSE event.payload_purged_at END
                  FROM (VALUES %s) AS minimized (id, payload)
                 WHERE event.id = minimized.id
            """, changed, template='(%s, %s::text)')
