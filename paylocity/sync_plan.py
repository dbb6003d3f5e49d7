"""The employee sync's decisions that need no Odoo: what an update of a bound employee changes and what it means,
which codes and supervisor an entry refers to, whether a leaver is created, and how each outcome is worded.

The Odoo layer (``models/employee_sync.py``) reads the employee's current values, resolves codes to records, and
writes what the plan says.
"""
import datetime
from dataclasses import dataclass
from typing import Optional, Tuple

from .directory import LEAVE, changed_values, normalize, sync_action
from .models import parse_date

# What happened to one entry (``Outcome.action`` in the Odoo layer; counted in the reconciliation's summary).
CREATED, BOUND, UPDATED, TERMINATED, REHIRED, UNCHANGED, SKIPPED, FAILED = (
    'created', 'bound', 'updated', 'terminated', 'rehired', 'unchanged', 'skipped', 'failed')


@dataclass(frozen=True)
class UpdatePlan:
    """What applying an entry to its bound employee does.

    ``action``: ``'terminate'``, ``'rehire'`` or ``'update'`` (``directory.sync_action``); ``changes``: the
    employee values to write; ``overwritten``: Paylocity-owned fields whose value edited in Odoo those changes
    replace (the employee is told); ``outcome`` and ``label``: how the update is reported.
    """

    action: str
    changes: dict
    overwritten: Tuple[str, ...]
    outcome: str
    label: str


def plan_update(entry, *, current, desired, previous, owned, employee_active, previous_status, bound=False):
    """The ``UpdatePlan`` of applying ``entry`` to an employee.

    ``current``: the employee's values of the ``desired`` fields (many2ones as ids); ``desired``: what Paylocity
    asks for; ``previous``: what Paylocity gave at the last sync; ``owned``: the fields Odoo owns, which Paylocity
    only fills while they are empty; ``previous_status``: the binding's status type before this entry;
    ``bound``: the binding is being made now (an existing employee matched).
    """
    action = sync_action(True, employee_active, entry.status_type)
    owned_set = frozenset(owned)
    owned_skip = tuple(name for name in owned if normalize(current.get(name)) is not False)
    changes = changed_values(current, desired, skip=owned_skip)
    overwritten = tuple(name for name in changes if name in previous and name not in owned_set
                        and normalize(current.get(name)) != normalize(previous[name]))
    outcome, label = _describe(action, bound, changes, previous_status, entry.status_type)
    return UpdatePlan(action, changes, overwritten, outcome, label)


def _describe(action, bound, changes, previous_status, status_type):
    if action == 'rehire':
        outcome, label = REHIRED, "Rehired: employee restored"
    elif action == 'terminate':
        outcome, label = TERMINATED, "Terminated: employee archived"
    elif bound:
        outcome, label = BOUND, "Bound to the existing employee"
    elif changes:
        outcome, label = UPDATED, "Updated: %s" % ', '.join(sorted(changes))
    elif previous_status != status_type:
        outcome, label = UPDATED, "Paylocity status changed"
    else:
        outcome, label = UNCHANGED, "Nothing to write in Odoo"
    if status_type == LEAVE:
        label += " (on leave of absence)"
    return outcome, label


def values_to_push(owned, current, known, approved):
    """The Odoo-owned values to send to Paylocity: ``{field: value}``.

    ``current``: the employee's values now; ``known``: what Paylocity last gave; ``approved``: the value an HR
    officer last wrote to each field in Odoo. A value is sent only while it differs from Paylocity's and is still
    the one an HR officer wrote: employees can edit their own work e-mail and phones (Odoo's self-service), and
    the push uses the administrator's API pair, so what someone wrote about themself stays in Odoo.
    """
    candidates = {name: current.get(name) for name in owned
                  if name in approved and normalize(current.get(name)) == normalize(approved[name])}
    return changed_values({name: known.get(name) for name in candidates}, candidates)


def outcome_message(label, warnings=()):
    """The one-line result of an entry: its label and what could not be applied."""
    return '%s.%s' % (label, (' Not applied: %s.' % '; '.join(warnings)) if warnings else '')


def referenced_codes(entry, department_level=None):
    """``(code type, code or name)`` pairs the entry refers to: the department's cost center (when a level makes
    departments), the position and the work location."""
    if department_level and entry.cost_center(department_level):
        yield 'costcenter%s' % department_level, entry.cost_center(department_level)
    if entry.position_code:
        yield 'position', entry.position_code
    if entry.work_location:
        yield 'work_location', entry.work_location


def _other_company(entry, company_id):
    other = entry.supervisor_company_id
    return bool(other) and other.lower() != (company_id or '').lower()


def supervisor_to_link(entry, company_id):
    """The Paylocity id of the entry's supervisor to link as manager, or None: none, the employee themself, or a
    supervisor in another Paylocity company (never linked across companies)."""
    if not entry.supervisor_id or entry.supervisor_id == entry.employee_id or _other_company(entry, company_id):
        return None
    return entry.supervisor_id


def supervisor_key(entry, company_id):
    """The supervisor as the binding stores it; one in another Paylocity company is kept as "company/id", so it never
    matches an employee of this one. None without a supervisor."""
    if not entry.supervisor_id:
        return None
    if _other_company(entry, company_id):
        return '%s/%s' % (entry.supervisor_company_id, entry.supervisor_id)
    return entry.supervisor_id


def left_before_lookback(entry, today, lookback_days):
    """Whether a leaver's termination is older than the look-back (0 days: every leaver is imported)."""
    if lookback_days <= 0 or not entry.termination_date:
        return False
    return parse_date(entry.termination_date) < parse_date(today) - datetime.timedelta(days=lookback_days)


def departure_note(entry):
    """The departure description of a leaver (plain text: the Odoo layer escapes it)."""
    return 'Paylocity: %s (status %s%s).' % (
        entry.status_reason or 'terminated', entry.status_code or 'T',
        ', effective %s' % entry.termination_date if entry.termination_date else '')


def departure_date(entry, today) -> Optional[datetime.date]:
    """The departure date of a leaver: the termination date Paylocity gives, else ``today``."""
    return parse_date(entry.termination_date) if entry.termination_date else parse_date(today)
