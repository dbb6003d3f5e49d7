"""Paylocity legacy webhooks (API-REFERENCE §5.1): classify bodies, de-duplication keys, sender checks.

Legacy webhooks carry no event type, no event id and no signature, so the type is read from the body's
shape, de-duplication keys are derived per type, and a delivery is authenticated by HTTP Basic auth
and/or Paylocity's sender IP ranges. Field names are matched case-insensitively and unknown keys are
tolerated: the body is only a doorbell, the handlers re-read the full record from the API.

Routing, first match wins:

1. ``processId``                                     → Payroll Processed (no employee)
2. a time-off key (``timeOffStartDate`` …)            → Time Off Approval
3. a termination date/reason key (``terminationDate``,
   ``employeeTermDate`` …)                            → Termination
4. ``employeeHireDate`` or a key only New Hire sends  → New Hire
5. any other documented Termination key (names, cost
   centers, work e-mail)                              → Termination
6. ``companyId`` + ``employeeId`` and nothing known   → Employee Change

De-duplication keys (``dedup_key``; a poll finding of the same fact builds the same key): equal for a
re-delivery of the same body, different for any real later event.

* ``payroll_processed:{company}:{processId}``
* ``new_hire:{company}:{employee}:{hire date}``, ``termination:{company}:{employee}:{termination date}``
  (``body-{hash}`` instead of the date when the body has none)
* ``employee_change:{company}:{employee}``: the same for every delivery, on purpose: the body says nothing
  but "look again", so the Odoo layer merges it into a still-pending refresh of that employee
* ``time_off_approval:{company}:{employee}:{hash}``: every approval is its own event
  (hash = SHA-256 of the body with lower-cased, sorted keys)

What is kept of a body (``kept_fields``, an allow-list per type): the identifiers, dates and cost centers the
connector reads or shows, nothing about the person. A New Hire body also carries names, home address, gender,
marital status, EEO class, pay type and supervisor; none of it is stored, since the handlers re-read the person
from the API.
"""
import base64
import binascii
import datetime
import hashlib
import hmac
import ipaddress
import json
import math
import re
from typing import Any, Dict, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field

from .errors import ConfigurationError
from .models import parse_date, parse_datetime
from .payroll import process_id as format_process_id

NEW_HIRE = "new_hire"
TERMINATION = "termination"
EMPLOYEE_CHANGE = "employee_change"
PAYROLL_PROCESSED = "payroll_processed"
TIME_OFF_APPROVAL = "time_off_approval"
EVENT_TYPES = (NEW_HIRE, TERMINATION, EMPLOYEE_CHANGE, PAYROLL_PROCESSED, TIME_OFF_APPROVAL)

# Paylocity's documented webhook sender ranges (API-REFERENCE §5.1).
DEFAULT_SENDER_CIDRS = ("198.245.157.0/24", "192.40.49.0/24")

# Keys are compared lower-cased.
_TIME_OFF_KEYS = frozenset((
    "timeoffstartdate", "timeoffenddate", "hoursperday", "isalldayevent", "supervisorworkemail",
))
_TERMINATION_FIELD = re.compile(r"^(employee)?term(ination)?(effective)?(date|reason|type)$")
_NEW_HIRE_ONLY_KEYS = frozenset((
    "employeehiredate", "companyname", "employeegender", "employeemaritalstatus", "employeeaddressline1",
    "employeeeeoclass", "employeepayfrequency", "employeepaytype", "employeetaxform",
))
_TERMINATION_SET_KEYS = frozenset((
    "employeefirstname", "employeelastname", "employeemiddleinitial", "employeeworkemailaddress",
    "employeecostcenter1", "employeecostcenter2", "employeecostcenter3",
))
_ID = re.compile(r"^[^\x00-\x1f\x7f:]{1,64}$")
_PROCESS_ID = re.compile(r"^\d{10}$")
_MAX_HEADER = 4096
# Paylocity's bodies are flat objects. Anything nested deeper is refused before any code walks it
# recursively (hashing, storing), where ~1,000 levels would exhaust Python's stack.
MAX_JSON_DEPTH = 32

# The allow-list of what is kept of a body, per type (lower-cased keys; plus the termination date keys of
# ``_TERMINATION_FIELD``). Everything else is dropped before anything is stored.
_COST_CENTER_KEYS = ("employeecostcenter1", "employeecostcenter2", "employeecostcenter3")
KEPT_KEYS = {
    NEW_HIRE: frozenset(("companyid", "employeeid", "employeehiredate", "employeetype") + _COST_CENTER_KEYS),
    TERMINATION: frozenset(("companyid", "employeeid") + _COST_CENTER_KEYS),
    EMPLOYEE_CHANGE: frozenset(("companyid", "employeeid")),
    PAYROLL_PROCESSED: frozenset(("companyid", "processid", "checkdate", "runid", "status", "processdate")),
    TIME_OFF_APPROVAL: frozenset(("companyid", "employeeid", "timeoffstartdate", "timeoffenddate", "hoursperday",
                                  "isalldayevent")),
}
_KEPT_TEXT_MAX = 100


class WebhookShapeError(ValueError):
    """The body is not one of Paylocity's webhook shapes. ``str()`` is a short reason for a 400 body."""


class WebhookEvent(BaseModel):
    """A classified delivery. ``summary`` holds only non-personal fields, for display."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_type: Literal[NEW_HIRE, TERMINATION, EMPLOYEE_CHANGE, PAYROLL_PROCESSED, TIME_OFF_APPROVAL]
    company_id: str
    employee_id: Optional[str] = None
    process_id: Optional[str] = None
    check_date: Optional[datetime.date] = None
    run_id: Optional[int] = None
    dedup_key: str
    summary: Dict[str, Any] = Field(default_factory=dict)
    kept: Dict[str, Any] = Field(default_factory=dict)   # what is stored of the body (``kept_fields``)


# --- classification ---------------------------------------------------------------------------------

def classify(body):
    """Classify a webhook body (parsed JSON, or the raw ``bytes``/``str``) into a ``WebhookEvent``.

    Raises ``WebhookShapeError`` with a short reason (never echoing the payload) when it is not one of
    the five legacy shapes, and for any other input: not UTF-8, not JSON, ``NaN``/``Infinity``, nested more
    than ``MAX_JSON_DEPTH`` levels, or text that is not valid Unicode (a lone surrogate escape).
    """
    if isinstance(body, (bytes, bytearray, str)):
        body = _decode_json(body)
    if not isinstance(body, dict):
        raise WebhookShapeError("body is not a JSON object")
    _check_tree(body)
    event = _route({key.lower(): value for key, value in body.items() if isinstance(key, str)})
    return event.model_copy(update={"kept": kept_fields(event.event_type, body)})


def _route(fields):
    company_id = _identifier(fields.get("companyid"), "companyId")

    if "processid" in fields:
        return _payroll_processed(company_id, fields)
    employee_id = _identifier(fields.get("employeeid"), "employeeId")
    keys = set(fields)
    if keys & _TIME_OFF_KEYS:
        return _time_off(company_id, employee_id, fields)
    if any(_TERMINATION_FIELD.match(key) for key in keys):
        return _termination(company_id, employee_id, fields)
    if keys & _NEW_HIRE_ONLY_KEYS:
        return _new_hire(company_id, employee_id, fields)
    if keys & _TERMINATION_SET_KEYS:
        return _termination(company_id, employee_id, fields)
    return _event(EMPLOYEE_CHANGE, company_id, employee_id, key=(employee_id,))


def kept_fields(event_type, body):
    """What may be stored of a webhook body of ``event_type``: the allow-listed keys (as spelled in the body) whose
    value is a scalar, long texts cut. A key outside the allow-list, or a list or object, is never kept."""
    allowed = KEPT_KEYS[event_type]
    kept = {}
    for key, value in body.items():
        if not isinstance(key, str):
            continue
        lowered = key.lower()
        if lowered not in allowed and not (event_type == TERMINATION and _TERMINATION_FIELD.match(lowered)
                                           and lowered.endswith("date")):
            continue
        if isinstance(value, str):
            kept[key] = value[:_KEPT_TEXT_MAX]
        elif value is None or isinstance(value, (bool, int, float)):
            kept[key] = value
    return kept


def kept_payload(event_type, text):
    """A stored payload (JSON text) reduced to ``kept_fields``, as JSON text; None when it is not a JSON object
    (nothing of it can be kept). Used to minimize payloads stored before the allow-list existed."""
    try:
        body = json.loads(text)
    except (TypeError, ValueError, RecursionError):
        return None
    if not isinstance(body, dict) or event_type not in KEPT_KEYS:
        return None
    return payload_text(kept_fields(event_type, body))


def payload_text(kept):
    """How kept fields are stored: compact JSON, keys sorted."""
    return json.dumps(kept, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _event(event_type, company_id, employee_id, *, key, **values):
    """The ``WebhookEvent``, its de-duplication key made of its type, its company and ``key``."""
    return WebhookEvent(event_type=event_type, company_id=company_id, employee_id=employee_id,
                        dedup_key=dedup_key(event_type, company_id, *key), **values)


def dedup_key(event_type, company_id, *parts):
    """The de-duplication key of an event: its type, the Paylocity company and what names the fact (see the
    module docstring for each type's parts). Poll findings use it too, so a poll and a webhook of one fact meet."""
    if event_type not in EVENT_TYPES:
        raise ValueError("unknown Paylocity event type %r" % (event_type,))
    if not company_id or not all(parts):
        raise ValueError("a de-duplication key needs the company and every part of the %s key" % event_type)
    return ":".join(str(part) for part in (event_type, company_id) + parts)


def _decode_json(raw):
    if isinstance(raw, (bytes, bytearray)):
        try:
            raw = bytes(raw).decode("utf-8-sig")
        except UnicodeDecodeError:
            raise WebhookShapeError("body is not UTF-8") from None
    try:
        return json.loads(raw.lstrip("\ufeff"), parse_constant=_refuse_constant)
    except WebhookShapeError:
        raise
    except RecursionError:
        raise WebhookShapeError("body is nested more than %d levels deep" % MAX_JSON_DEPTH) from None
    except ValueError:
        raise WebhookShapeError("body is not JSON") from None


def _refuse_constant(name):
    # NaN, Infinity, -Infinity: Python's json accepts them, JSON (and PostgreSQL's json types) do not.
    raise WebhookShapeError("body holds %s, which is not a JSON number" % name)


def _check_tree(body):
    """Walk the parsed body without recursion: refuse deep nesting, text that cannot be encoded as UTF-8 (a lone
    surrogate escape such as ``"\\ud800"``) and numbers that are not finite (``1e400`` parses as infinity)."""
    stack = [(body, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise WebhookShapeError("body is nested more than %d levels deep" % MAX_JSON_DEPTH)
        if isinstance(node, dict):
            for key in node:
                _check_scalar(key)
            children = node.values()
        else:
            children = node
        for child in children:
            if isinstance(child, (dict, list)):
                stack.append((child, depth + 1))
            else:
                _check_scalar(child)


def _check_scalar(value):
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise WebhookShapeError("body holds text that is not valid Unicode") from None
    elif isinstance(value, float) and not math.isfinite(value):
        raise WebhookShapeError("body holds a number that is not finite")


def _payroll_processed(company_id, fields):
    check_date, run_id = parse_process_id(
        fields.get("processid"), check_date=fields.get("checkdate"), run_id=fields.get("runid")
    )
    process_id = format_process_id(check_date, run_id)
    summary = {"check_date": check_date.isoformat(), "run_id": run_id}
    status = fields.get("status")
    if isinstance(status, str) and status.strip():
        summary["status"] = status.strip()[:40]
    process_date = _optional_datetime(fields.get("processdate"))
    if process_date:
        summary["process_date"] = process_date.isoformat()
    return _event(PAYROLL_PROCESSED, company_id, None, key=(process_id,), process_id=process_id,
                  check_date=check_date, run_id=run_id, summary=summary)


def _new_hire(company_id, employee_id, fields):
    hire_date = _date_field(fields, "employeehiredate", "employeeHireDate")
    summary = _cost_centers(fields)
    if hire_date:
        summary["hire_date"] = hire_date.isoformat()
    employee_type = fields.get("employeetype")
    if isinstance(employee_type, str) and employee_type.strip():
        summary["employee_type"] = employee_type.strip()[:60]
    # A re-delivery carries the same hire date; a rehire later carries a new one and must not be dropped.
    return _event(NEW_HIRE, company_id, employee_id, key=(employee_id, _date_or_body(hire_date, fields)),
                  summary=summary)


def _termination(company_id, employee_id, fields):
    termination_date = None
    for key in sorted(fields):
        if _TERMINATION_FIELD.match(key) and key.endswith("date"):
            termination_date = _date_field(fields, key, "termination date")
            if termination_date:
                break
    summary = _cost_centers(fields)
    if termination_date:
        summary["termination_date"] = termination_date.isoformat()
    return _event(TERMINATION, company_id, employee_id, key=(employee_id, _date_or_body(termination_date, fields)),
                  summary=summary)


def _date_or_body(day, fields):
    """The key part of a dated event: its date, or the body's hash when the body gives none."""
    return day.isoformat() if day else "body-" + _body_hash(fields)


def _time_off(company_id, employee_id, fields):
    start = _date_field(fields, "timeoffstartdate", "timeOffStartDate")
    if start is None:
        raise WebhookShapeError("time off body without timeOffStartDate")
    end = _date_field(fields, "timeoffenddate", "timeOffEndDate")
    summary = {"start_date": start.isoformat()}
    if end:
        summary["end_date"] = end.isoformat()
    hours = fields.get("hoursperday")
    if isinstance(hours, (int, float)) and not isinstance(hours, bool):
        summary["hours_per_day"] = hours
    if isinstance(fields.get("isalldayevent"), bool):
        summary["all_day"] = fields["isalldayevent"]
    # Every approval is its own event; only an identical re-delivery shares the key.
    return _event(TIME_OFF_APPROVAL, company_id, employee_id, key=(employee_id, _body_hash(fields)), summary=summary)


def _identifier(value, name):
    if isinstance(value, bool) or value is None:
        raise WebhookShapeError("%s missing" % name)
    if isinstance(value, int):
        value = str(value)
    if not isinstance(value, str):
        raise WebhookShapeError("%s is not a string" % name)
    value = value.strip()
    if not value:
        raise WebhookShapeError("%s missing" % name)
    if not _ID.match(value):
        raise WebhookShapeError("%s is not a valid id" % name)
    return value


def _date_field(fields, key, label):
    value = fields.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise WebhookShapeError("%s is not a date" % label)
    try:
        return parse_date(value)
    except ValueError:
        raise WebhookShapeError("%s is not a date" % label) from None


def _optional_datetime(value):
    if not isinstance(value, str):
        return None
    try:
        return parse_datetime(value)
    except ValueError:
        return None


def _cost_centers(fields):
    """Cost center codes only: Paylocity sends "11 - Software Development"."""
    summary = {}
    for level in (1, 2, 3):
        value = fields.get("employeecostcenter%d" % level)
        if isinstance(value, str) and value.strip():
            summary["cost_center%d" % level] = value.split(" - ", 1)[0].strip()[:40]
    return summary


def _body_hash(fields):
    normalized = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(normalized.encode("utf-8")).hexdigest()[:32]


def parse_process_id(process_id, *, check_date=None, run_id=None):
    """``"2022012701"`` → ``(date(2022, 1, 27), 1)``: check date ``YYYYMMDD`` + two-digit run id.

    When ``check_date`` and/or ``run_id`` (the webhook's ``checkDate``/``runId``) are given they must
    agree with the process id. Raises ``WebhookShapeError`` (a ``ValueError``) otherwise.
    """
    if isinstance(process_id, int) and not isinstance(process_id, bool):
        process_id = str(process_id)
    if not isinstance(process_id, str) or not _PROCESS_ID.match(process_id.strip()):
        raise WebhookShapeError("processId must be 10 digits (check date + run id)")
    process_id = process_id.strip()
    try:
        parsed_date = datetime.date(int(process_id[:4]), int(process_id[4:6]), int(process_id[6:8]))
    except ValueError:
        raise WebhookShapeError("processId does not start with a valid date") from None
    parsed_run = int(process_id[8:])
    if parsed_run < 1:
        raise WebhookShapeError("processId has run id 00")
    if check_date not in (None, ""):
        try:
            given_date = parse_date(check_date) if not isinstance(check_date, (int, float)) else None
        except ValueError:
            given_date = None
        if given_date is None:
            raise WebhookShapeError("checkDate is not a date")
        if given_date != parsed_date:
            raise WebhookShapeError("processId disagrees with checkDate")
    if run_id not in (None, ""):
        given_run = _run_number(run_id)
        if given_run != parsed_run:
            raise WebhookShapeError("processId disagrees with runId")
    return parsed_date, parsed_run


def _run_number(value):
    if isinstance(value, bool):
        raise WebhookShapeError("runId is not a number")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    raise WebhookShapeError("runId is not a number")


# --- sender checks -----------------------------------------------------------------------------------

def hash_webhook_password(password):
    """What is stored of a webhook password (hex). The password is 32 random bytes (the connector makes it): a
    fast hash is enough, and webhooks are checked at volume."""
    return _password_digest(password.encode("utf-8"))


def _password_digest(password_bytes):
    return hashlib.sha256(b"paylocity-webhook\0" + password_bytes).hexdigest()


def basic_auth_credentials(authorization_header):
    """``(user, password)`` as bytes from an HTTP Basic ``Authorization`` header; None when it is missing,
    oversized or malformed (another scheme, bad base64, no colon)."""
    if not isinstance(authorization_header, str) or len(authorization_header) > _MAX_HEADER:
        return None
    scheme, _, encoded = authorization_header.strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError):
        return None
    given_user, colon, given_password = decoded.partition(b":")
    return (given_user, given_password) if colon else None


def check_webhook_authorization(authorization_header, username, password_hash):
    """True when the ``Authorization`` header carries ``username`` and a password whose
    ``hash_webhook_password`` is ``password_hash`` (what the connection stores).

    Constant time in the credentials (both parts are always compared). A missing, malformed or non-UTF-8
    header is False, and so is an empty configured username or hash: whether Basic auth is required at all
    is the caller's decision.
    """
    if not username or not isinstance(username, str) or not password_hash or not isinstance(password_hash, str):
        return False
    credentials = basic_auth_credentials(authorization_header)
    if credentials is None:
        return False
    given_user, given_password = credentials
    user_ok = hmac.compare_digest(given_user, username.encode("utf-8"))
    password_ok = hmac.compare_digest(_password_digest(given_password).encode("ascii"), password_hash.encode("utf-8"))
    return user_ok & password_ok


def check_basic_auth(authorization_header, username, password):
    """True when the ``Authorization`` header carries exactly ``username``/``password`` (HTTP Basic); the same
    check as ``check_webhook_authorization``, for a password known in clear."""
    if not isinstance(password, str):
        return False
    return check_webhook_authorization(authorization_header, username, hash_webhook_password(password))


def ip_allowed(remote_addr, cidrs):
    """True when ``remote_addr`` lies in one of ``cidrs`` (IPv4 or IPv6).

    An empty allow-list (None, empty) allows every address: that is how "no IP restriction" is
    expressed; the Odoo layer proposes ``DEFAULT_SENDER_CIDRS``. An unparseable address is refused, and
    unparseable list entries match nothing. IPv4-mapped IPv6 addresses are checked as IPv4.
    """
    if isinstance(cidrs, str):
        cidrs = [part for part in _LIST_SEPARATORS.split(cidrs) if part]
    if not cidrs:
        return True
    address = _address(remote_addr)
    if address is None:
        return False
    for cidr in cidrs:
        network = cidr if isinstance(cidr, (ipaddress.IPv4Network, ipaddress.IPv6Network)) else _network(cidr)
        if network is not None and network.version == address.version and address in network:
            return True
    return False


def _address(value):
    if isinstance(value, (ipaddress.IPv4Address, ipaddress.IPv6Address)):
        address = value
    elif isinstance(value, str):
        text = value.strip()
        if text.startswith("[") and text.endswith("]"):
            text = text[1:-1]
        try:
            address = ipaddress.ip_address(text)
        except ValueError:
            return None
    else:
        return None
    if address.version == 6 and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _network(value):
    try:
        return ipaddress.ip_network(str(value).strip(), strict=False)
    except ValueError:
        return None


_LIST_SEPARATORS = re.compile(r"[\s,;]+")


def parse_cidrs(text):
    """Validate an administrator's allow-list ("198.245.157.0/24, 10.0.0.1 …") into normalised CIDRs.

    Separators: commas, semicolons, whitespace. A bare address becomes a /32 (or /128); host bits are
    cleared. Empty text gives ``()`` (allow all). A bad entry raises ``ConfigurationError`` naming it.
    """
    if text is None:
        return ()
    parts = text if isinstance(text, (list, tuple)) else _LIST_SEPARATORS.split(str(text))
    result = []
    for part in parts:
        part = str(part).strip()
        if not part:
            continue
        try:
            network = ipaddress.ip_network(part, strict=False)
        except ValueError:
            shown = part if len(part) <= 50 else part[:47] + "..."
            raise ConfigurationError(
                "'%s' is not an IP address or CIDR range (example: 198.245.157.0/24)." % shown
            ) from None
        if str(network) not in result:
            result.append(str(network))
    return tuple(result)
