"""Employee-directory rules that need no Odoo: a Paylocity record in Odoo's terms, its hash, the diff.

The Odoo layer resolves codes to records and writes; everything decided from values alone lives here so it is
tested without a database. An ``Entry`` holds only the fields the directory needs (names, work contact data,
position, org codes, status and dates): nothing else of the record reaches Odoo.
"""
import hashlib
import json
import re
from dataclasses import asdict, dataclass
from typing import Optional, Tuple

from .models import status_type_of

# hr.employee fields the sync may write, in Odoo's names.
SYNCED_FIELDS = ('name', 'work_email', 'work_phone', 'mobile_phone', 'job_title', 'employee_type',
                 'department_id', 'job_id', 'work_location_id', 'parent_id')

# Fields Odoo may own instead of Paylocity, and where a WebLink PATCH puts each.
OWNABLE_FIELDS = {
    'work_email': ('workAddress', 'emailAddress'),
    'work_phone': ('workAddress', 'phone'),
    'mobile_phone': ('workAddress', 'mobilePhone'),
    'job_title': ('departmentPosition', 'jobTitle'),
}
DEFAULT_OWNED_FIELDS = ('work_email', 'work_phone', 'mobile_phone')

# Bumped when the mapping rules change, so that every employee is compared again once.
RULES_VERSION = '1'

ODOO_EMPLOYEE_TYPES = ('employee', 'worker', 'student', 'trainee', 'contractor', 'freelance')
# Paylocity employee types are tenant codes ("RFT", "RPT", "TMP") or their descriptions ("Regular Full Time");
# Odoo has no full/part-time or temporary type, so those stay "employee".
_TYPE_WORDS = (
    (re.compile(r'intern|trainee|apprentice', re.I), 'trainee'),
    (re.compile(r'student', re.I), 'student'),
    (re.compile(r'freelanc', re.I), 'freelance'),
    (re.compile(r'contract|1099|consult', re.I), 'contractor'),
)

# Odoo's three default departure reasons (xml ids of module hr) and the words that point at them.
_DEPARTURE_WORDS = (
    (re.compile(r'retire', re.I), 'hr.departure_retired'),
    (re.compile(r'dismiss|fired|discharg|involuntar|layoff|laid off|misconduct', re.I), 'hr.departure_fired'),
    (re.compile(r'resign|quit|(?<!in)voluntar', re.I), 'hr.departure_resigned'),
)
_TRANSFER = re.compile(r'transfer', re.I)

ACTIVE, LEAVE, TERMINATED = 'A', 'L', 'T'


@dataclass(frozen=True)
class Entry:
    """One Paylocity employee as the Odoo directory sees it (codes, not Odoo ids)."""

    employee_id: str
    name: str
    work_email: Optional[str] = None
    work_phone: Optional[str] = None
    mobile_phone: Optional[str] = None
    job_title: Optional[str] = None
    employee_type_code: Optional[str] = None
    employee_type: str = 'employee'
    cost_centers: Tuple[Optional[str], Optional[str], Optional[str]] = (None, None, None)
    position_code: Optional[str] = None
    work_location: Optional[str] = None
    supervisor_id: Optional[str] = None
    supervisor_company_id: Optional[str] = None
    status_code: Optional[str] = None
    status_type: Optional[str] = None
    hire_date: Optional[str] = None          # ISO dates: the entry is hashed as JSON
    rehire_date: Optional[str] = None
    termination_date: Optional[str] = None
    status_reason: Optional[str] = None
    relationship_id: Optional[str] = None

    def cost_center(self, level):
        """Cost center code of level 1, 2 or 3 (None for any other level)."""
        try:
            level = int(level)
        except (TypeError, ValueError):
            return None
        return self.cost_centers[level - 1] if 1 <= level <= 3 else None

    @property
    def terminated(self):
        return self.status_type == TERMINATED

    def as_dict(self):
        data = asdict(self)
        data['cost_centers'] = list(self.cost_centers)
        return data


def _clean(value, limit=None):
    if value is None:
        return None
    text = ' '.join(str(value).split())
    if not text:
        return None
    return text[:limit] if limit else text


def _iso(value):
    return value.isoformat() if value is not None else None


def entry_from_record(record):
    """``paylocity.models.EmployeeRecord`` → ``Entry``."""
    status_code = _clean(record.status_code)
    status_code = status_code.upper() if status_code else None
    status_type = _clean(record.status_type)
    status_type = status_type.upper() if status_type else status_type_of(status_code)
    if status_type not in (ACTIVE, LEAVE, TERMINATED):
        status_type = None   # a tenant's own code we cannot place: the status is left as it is
    type_code = _clean(record.employee_type)
    return Entry(
        employee_id=str(record.employee_id).strip(),
        name=_clean(record.display_name) or str(record.employee_id),
        work_email=_clean(record.work_email),
        work_phone=_clean(record.work_phone),
        mobile_phone=_clean(record.mobile_phone),
        job_title=_clean(record.job_title),
        employee_type_code=type_code,
        employee_type=employee_type_of(type_code),
        cost_centers=tuple(_clean(code) for code in (tuple(record.cost_centers) + (None, None, None))[:3]),
        position_code=_clean(record.position_code),
        work_location=_clean(record.work_location),
        supervisor_id=_clean(record.supervisor_id),
        supervisor_company_id=_clean(record.supervisor_company_id),
        status_code=status_code,
        status_type=status_type,
        hire_date=_iso(record.hire_date),
        rehire_date=_iso(record.rehire_date),
        termination_date=_iso(record.status_effective_date) if status_type == TERMINATED else None,
        status_reason=_clean(record.status_reason, 200),
        relationship_id=_clean(getattr(record, 'relationship_id', None)),
    )


def employee_type_of(code):
    """Odoo ``employee_type`` for a Paylocity employee type code or description."""
    if not code:
        return 'employee'
    for pattern, odoo_type in _TYPE_WORDS:
        if pattern.search(code):
            return odoo_type
    return 'employee'


def departure_reason_xmlid(reason):
    """xml id of the Odoo default departure reason a Paylocity change reason means, or None."""
    if not reason:
        return None
    for pattern, xmlid in _DEPARTURE_WORDS:
        if pattern.search(reason):
            return xmlid
    return None


def is_transfer(reason):
    return bool(reason and _TRANSFER.search(reason))


def mentions_company(reason, company_id):
    """Whether a status reason such as "Transfer from C1001" names Paylocity company ``company_id``."""
    if not reason or not company_id:
        return False
    return re.search(r'(?<![A-Za-z0-9])%s(?![A-Za-z0-9])' % re.escape(company_id), reason, re.I) is not None


def entry_hash(entry, salt=''):
    """Hash of everything the directory takes from Paylocity plus ``salt`` (the connection's mapping options):
    equal hashes mean there is nothing to write."""
    payload = json.dumps([RULES_VERSION, salt, entry.as_dict()], sort_keys=True, separators=(',', ':'),
                         ensure_ascii=False, default=str)
    return hashlib.sha256(payload.encode('utf-8')).hexdigest()


def normalize(value):
    """Compare Odoo and Paylocity values alike: empty is False, text is whitespace-collapsed."""
    if value is None or value is False or value == '':
        return False
    if isinstance(value, str):
        return ' '.join(value.split()) or False
    return value


def changed_values(current, desired, skip=()):
    """The items of ``desired`` whose value differs from ``current`` (normalized), less the keys in ``skip``."""
    return {key: value for key, value in desired.items()
            if key not in skip and normalize(current.get(key)) != normalize(value)}


def sync_action(bound, employee_active, status_type):
    """What a record means for the directory: 'create', 'terminate', 'rehire' or 'update'.

    ``bound``: the Paylocity employee already has an Odoo employee; ``employee_active``: that employee is not
    archived; ``status_type``: A / L / T, or None when unknown (the status is then left as it is).
    """
    if not bound:
        return 'create'
    if status_type == TERMINATED and employee_active:
        return 'terminate'
    if status_type in (ACTIVE, LEAVE) and not employee_active:
        return 'rehire'
    return 'update'


def owned_fields(flags):
    """Names of the fields Odoo owns, from ``{field: bool}`` (unknown names are ignored)."""
    return tuple(name for name in OWNABLE_FIELDS if flags.get(name))


def patch_body(values):
    """WebLink PATCH body for Odoo-owned values ``{field: value}``; empty values are left out (Odoo never
    erases data in the payroll system)."""
    body = {}
    for name, value in values.items():
        if name not in OWNABLE_FIELDS:
            raise ValueError('%s is not a field Odoo can own' % name)
        value = normalize(value)
        if value is False:
            continue
        group, key = OWNABLE_FIELDS[name]
        body.setdefault(group, {})[key] = value
    return body


def like_literal(text):
    """``text`` for a SQL (i)like pattern that must match it literally (``=ilike``: case only)."""
    return text.replace('\\', '\\\\').replace('%', '\\%').replace('_', '\\_')


def id_sort_key(employee_id):
    """Paylocity employee ids in a stable order: numeric ids numerically, then the others as text."""
    text = str(employee_id)
    return (0, int(text), text) if text.isdigit() else (1, 0, text)


def after_cursor(employee_ids, cursor):
    """The ids (sorted) a resumed run still has to do: those after ``cursor`` (all of them when it is empty)."""
    ordered = sorted(set(employee_ids), key=id_sort_key)
    if not cursor:
        return ordered
    mark = id_sort_key(cursor)
    return [eid for eid in ordered if id_sort_key(eid) > mark]


@dataclass(frozen=True)
class CodeChanges:
    created: tuple      # (code, name, active) not known yet
    renamed: tuple      # (code, old name, new name)
    deactivated: tuple  # codes known and active that Paylocity no longer lists (or lists as inactive)
    reactivated: tuple  # codes known and inactive that Paylocity lists as active again


def code_changes(known, fetched):
    """Compare known codes ``{code: (name, active)}`` with Paylocity's list ``[(code, name, active)]``."""
    created, renamed, reactivated = [], [], []
    seen = {}
    for code, name, active in fetched:
        code = _clean(code)
        if not code or code in seen:
            continue
        seen[code] = (_clean(name), bool(active))
    for code, (name, active) in seen.items():
        if code not in known:
            created.append((code, name, active))
            continue
        old_name, old_active = known[code]
        if name and normalize(name) != normalize(old_name):
            renamed.append((code, old_name, name))
        if active and not old_active:
            reactivated.append(code)
    deactivated = [code for code, (_name, active) in known.items()
                   if active and (code not in seen or not seen[code][1])]
    return CodeChanges(tuple(created), tuple(renamed), tuple(sorted(deactivated)), tuple(reactivated))
