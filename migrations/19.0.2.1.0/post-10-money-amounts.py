# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""19.0.2.1.0: pay statements' amounts and unmapped codes' totals are stored exactly (Float without digits, as
the detail lines' amounts already were) instead of Monetary, which rounded each row to the cent.

The column stays ``numeric``, so every stored value is kept as it is. Values rounded before this version cannot be
made exact again without asking Paylocity; the entries never used them (they are built from the detail lines, exact
already). An unmapped code's total is rebuilt at each build: runs waiting for a mapping or a review are queued once,
so the totals they show are the exact sums of their lines. Running this twice is harmless."""
import logging

_logger = logging.getLogger(__name__)


def migrate(cr, version):
    if not version:
        return
    cr.execute("""
        UPDATE paylocity_pay_run
           SET next_try_at = now() AT TIME ZONE 'UTC', attempt_count = 0
         WHERE state IN ('needs_mapping', 'needs_review') AND next_try_at IS NULL AND claim_token IS NULL
    """)
    _logger.info("paylocity_connector: %s held pay run(s) queued to rebuild their unmapped totals exactly",
                 cr.rowcount)
