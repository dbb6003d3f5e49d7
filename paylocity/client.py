"""``PaylocityClient``: the operations the connector needs, over both API families.

Each call: rate-limit slot → bearer token (cached) → request with bounded retries → on 401 one fresh token and
one more try → status mapped to ``paylocity.errors`` → JSON (floats as ``Decimal``) → pydantic models.
"""
import datetime
import hashlib
import json
import re
from decimal import Decimal
from urllib.parse import quote

from pydantic import ValidationError as PydanticValidationError

from .auth import FAMILY_NAMES, NEXTGEN, WEBLINK, Credentials, TokenProvider
from .errors import TOKEN_REFUSED, AuthenticationError, BadResponse, ConfigurationError
from .fanout import FATAL_ERRORS, fan_out
from .hosts import ENVIRONMENTS, HOST_LABELS, Hosts, check_url
from .models import (
    ClientSecret,
    CompanyCode,
    CostCenterLevel,
    Employee,
    EmployeeInfo,
    NextGenEmployeePage,
    PayGrade,
    PayStatementDetail,
    PayStatementSummary,
    Position,
    WorkLocation,
    parse_date,
)
from .ratelimit import GUARD, RateLimiter, credential_key, shared_limiter
from .secure_content import encrypt_payload, load_public_key
from .transport import Call, RetryPolicy, Transport, decode_json, raise_for_status

__all__ = ["PaylocityClient", "RetryPolicy", "Credentials", "CODE_RESOURCES"]

CODE_RESOURCES = ("costcenter1", "costcenter2", "costcenter3", "earnings", "deductions", "taxes", "positions",
                  "paygrade")
NEXTGEN_EMPLOYEE_INCLUDES = ("info", "position", "status", "payRate", "futurePayRate")
NEXTGEN_MAX_EMPLOYEE_PAGE = 20
_CODE_RESOURCE_RE = re.compile(r"^[A-Za-z0-9_]{1,40}$")
_MAX_PAGES = 100000

# Path templates (logged and used in messages; ids filled in only for the request URL).
WL_EMPLOYEES = "/v2/companies/{companyId}/employees"
WL_EMPLOYEE = "/v2/companies/{companyId}/employees/{employeeId}"
WL_CODES = "/v2/companies/{companyId}/codes/{codeResource}"
WL_PAY_STATEMENTS = "/v2/companies/{companyId}/employees/{employeeId}/paystatement/{kind}/{year}"
WL_PAY_STATEMENTS_ON = "/v2/companies/{companyId}/employees/{employeeId}/paystatement/{kind}/{year}/{checkDate}"
WL_SECRETS = "/v2/credentials/secrets"
NG_EMPLOYEES = "/coreHr/v1/companies/{companyId}/employees"
NG_COST_CENTERS = "/apiHub/corehr/v1/companies/{companyId}/costCentersAndLevels"
NG_WORK_LOCATIONS = "/apiHub/corehr/v1/companies/{companyId}/workLocations"
NG_POSITIONS = "/apiHub/positionmanagement/v1/companies/{companyId}/positions"
NG_PAY_GRADES = "/apiHub/positionmanagement/v1/companies/{companyId}/paygrades"


class PaylocityClient:
    """Client for one Paylocity company ID. Thread-safe: one instance serves every thread of a fan-out."""

    def __init__(self, company_id, hosts, weblink=None, nextgen=None, *, timeout=30.0, retry=None,
                 weblink_rate=25.0, nextgen_rate=3.0, public_key=None, encrypt_writes=False, token_store=None,
                 token_margin=60.0, max_workers=8, page_size=100, nextgen_page_size=100, rate_guard=GUARD,
                 session=None, share_limiters=True, rate_windows=None, allow_host_overrides=False):
        company_id = str(company_id or "").strip()
        if not company_id:
            raise ConfigurationError("The Paylocity company ID is empty.")
        if isinstance(hosts, str):
            if hosts not in ENVIRONMENTS:
                raise ConfigurationError("Unknown Paylocity environment %r (expected %s)."
                                         % (hosts, " or ".join(sorted(ENVIRONMENTS))))
            hosts = ENVIRONMENTS[hosts]
        if not isinstance(hosts, Hosts):
            raise ConfigurationError("hosts must be a paylocity.hosts.Hosts or an environment name.")
        self.company_id = company_id
        self.hosts = hosts
        # Credentials and tokens go only to URLs ``hosts.check_url`` accepts, checked at every request.
        self.allow_host_overrides = bool(allow_host_overrides)
        self.max_workers = int(max_workers)
        self.page_size = int(page_size)            # WebLink pagesize
        self.nextgen_page_size = int(nextgen_page_size)  # NextGen limit for limit/offset lists
        self.encrypt_writes = bool(encrypt_writes)
        self._public_key = load_public_key(public_key) if public_key else None
        if self.encrypt_writes and self._public_key is None:
            raise ConfigurationError("Encrypted writes (secureContent) need Paylocity's RSA public key.")
        self.transport = Transport(session, timeout=timeout, retry=retry or RetryPolicy(),
                                   pool_size=self.max_workers + 2)
        self._bases = {WEBLINK: hosts.weblink_base.rstrip("/"), NEXTGEN: hosts.nextgen_base.rstrip("/")}
        self.limiters = {}
        self._providers = {}
        for family, creds, rate, token_url in ((WEBLINK, weblink, weblink_rate, hosts.weblink_token),
                                               (NEXTGEN, nextgen, nextgen_rate, hosts.nextgen_token)):
            if creds is not None and not isinstance(creds, Credentials):
                raise ConfigurationError("%s credentials must be a paylocity.auth.Credentials."
                                         % FAMILY_NAMES[family])
            if share_limiters and creds is not None:
                # Paylocity counts calls per client id: clients of the same pair share one window, kept in this
                # process or wherever ``rate_windows`` keeps it (the Odoo side: in the database).
                limiter = shared_limiter(credential_key(family, self._bases[family], creds.client_id), rate,
                                         guard=rate_guard, windows=rate_windows)
            else:
                limiter = RateLimiter(rate, guard=rate_guard)
            self.limiters[family] = limiter
            if creds is not None:
                self._providers[family] = TokenProvider(family, token_url, creds, self.transport, token_store,
                                                        margin=token_margin, limiter=limiter,
                                                        allow_host_overrides=self.allow_host_overrides)

    def close(self):
        self.transport.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- connection checks -----------------------------------------------------------------------------

    def check_weblink(self):
        """Token + the smallest employee list call. Returns {"family", "employee_count"}; raises the precise
        error (bad credentials, wrong environment, no permission, unreachable host, timeout)."""
        response, call = self._request(WEBLINK, "GET", WL_EMPLOYEES, {},
                                       params={"pagesize": 1, "pagenumber": 0, "includetotalcount": "true"})
        raise_for_status(response, call, FAMILY_NAMES[WEBLINK])
        items = _as_list(decode_json(response, call), call.label)
        total = _total_count(response)
        return {"family": WEBLINK, "employee_count": total if total is not None else len(items)}

    def check_nextgen(self):
        """Token + one small coreHr employees call. Returns {"family", "employees_seen"}; raises as above."""
        data = self._get_json(NEXTGEN, NG_EMPLOYEES, {}, params={"limit": 1})
        page = _parse_nextgen_page(data, self._label("GET", NG_EMPLOYEES))
        return {"family": NEXTGEN, "employees_seen": len(page.employees)}

    # -- employees -------------------------------------------------------------------------------------

    def list_employees(self):
        """WebLink: every employee id of the company with its status codes (all pages)."""
        rows = list(self._weblink_pages(WL_EMPLOYEES, {}))
        return _parse_items(EmployeeInfo, rows, self._label("GET", WL_EMPLOYEES))

    def get_employee(self, employee_id):
        """WebLink: one employee (Paylocity answers an object; the spec's one-item array is accepted too)."""
        data = self._get_json(WEBLINK, WL_EMPLOYEE, {"employeeId": employee_id})
        return _parse_one(Employee, data, self._label("GET", WL_EMPLOYEE))

    def iter_nextgen_employees(self, include=("info", "position", "status", "payRate"), active_only=False,
                               page_size=NEXTGEN_MAX_EMPLOYEE_PAGE):
        """NextGen coreHr batch: yields ``NextGenEmployee`` page by page, following ``nextToken``."""
        if isinstance(include, str):
            include = tuple(part.strip() for part in include.split(",") if part.strip())
        unknown = [part for part in include if part not in NEXTGEN_EMPLOYEE_INCLUDES]
        if unknown:
            raise ValueError("unknown include value(s) %s; allowed: %s" % (unknown, NEXTGEN_EMPLOYEE_INCLUDES))
        label = self._label("GET", NG_EMPLOYEES)
        params = {"limit": max(1, min(int(page_size), NEXTGEN_MAX_EMPLOYEE_PAGE))}
        if include:
            params["include"] = ",".join(include)
        if active_only:
            params["activeOnly"] = "true"
        seen_tokens = set()
        for _ in range(_MAX_PAGES):
            page = _parse_nextgen_page(self._get_json(NEXTGEN, NG_EMPLOYEES, {}, params=dict(params)), label)
            yield from page.employees
            if not page.next_token:
                return
            if page.next_token in seen_tokens:
                raise BadResponse("Paylocity repeated a nextToken while paging %s; stopped to avoid a loop." % label)
            seen_tokens.add(page.next_token)
            params["nextToken"] = page.next_token
        raise BadResponse("Paging %s did not end after %d pages." % (label, _MAX_PAGES))

    def patch_employee(self, employee_id, payload):
        """WebLink PATCH of the given fields (as secureContent when ``encrypt_writes``). Returns the JSON answer,
        if Paylocity sent one (200 with a body or 204 without)."""
        if not isinstance(payload, dict) or not payload:
            raise ValueError("payload must be a non-empty dict of employee fields")
        body = _jsonable(payload)
        if self.encrypt_writes:
            body = encrypt_payload(body, self._public_key)
        # Idempotent: the connector PATCHes absolute values (the fields Odoo owns), never increments, so
        # sending the same body again after a timeout leaves the record exactly as sending it once would.
        response, call = self._request(WEBLINK, "PATCH", WL_EMPLOYEE, {"employeeId": employee_id}, body=body,
                                       idempotent=True)
        raise_for_status(response, call, FAMILY_NAMES[WEBLINK])
        return decode_json(response, call)

    # -- company codes and reference data ----------------------------------------------------------------

    def get_company_codes(self, resource):
        """WebLink codes list: costcenter1..3, earnings, deductions, taxes, positions, paygrade."""
        if not isinstance(resource, str) or not _CODE_RESOURCE_RE.match(resource):
            raise ValueError("invalid code resource %r (documented: %s)" % (resource, ", ".join(CODE_RESOURCES)))
        data = self._get_json(WEBLINK, WL_CODES, {"codeResource": resource})
        return _parse_items(CompanyCode, _as_list(data, self._label("GET", WL_CODES)), self._label("GET", WL_CODES))

    def get_cost_centers_and_levels(self):
        label = self._label("GET", NG_COST_CENTERS)
        data = self._get_json(NEXTGEN, NG_COST_CENTERS, {})
        return _parse_items(CostCenterLevel, _as_list(data, label), label)

    def get_work_locations(self):
        return self._nextgen_list(WorkLocation, NG_WORK_LOCATIONS)

    def get_positions(self):
        return self._nextgen_list(Position, NG_POSITIONS)

    def get_pay_grades(self):
        return self._nextgen_list(PayGrade, NG_PAY_GRADES)

    # -- pay statements --------------------------------------------------------------------------------

    def get_pay_statement_summaries(self, employee_id, year, check_date=None):
        """Summaries for a year (or one check date); [] when Paylocity answers 404 (not paid then)."""
        return self._pay_statements("summary", PayStatementSummary, employee_id, year, check_date)

    def get_pay_statement_details(self, employee_id, year, check_date=None):
        """Detail lines for a year (or one check date); [] when Paylocity answers 404 (not paid then)."""
        return self._pay_statements("details", PayStatementDetail, employee_id, year, check_date)

    def _pay_statements(self, kind, model, employee_id, year, check_date):
        year = _year(year)
        path_params = {"kind": kind, "employeeId": employee_id, "year": year}
        template = WL_PAY_STATEMENTS
        if check_date is not None:
            template = WL_PAY_STATEMENTS_ON
            path_params["checkDate"] = _check_date(check_date)
        template_label = template.replace("{kind}", kind)
        rows = list(self._weblink_pages(template, path_params, not_found_empty=True, label_template=template_label))
        return _parse_items(model, rows, self._label("GET", template_label))

    # -- credentials -----------------------------------------------------------------------------------

    def renew_client_secret(self, code):
        """WebLink self-service secret renewal with the code from Paylocity's "ACTION NEEDED" e-mail."""
        if not isinstance(code, str) or not code.strip():
            raise ValueError("the renewal code from Paylocity's e-mail is required")
        # Not idempotent: a repeated renewal could mint another secret or burn the code, and the first
        # answer (the only copy of the new secret) would be lost. So no retry once the request may have arrived.
        response, call = self._request(WEBLINK, "POST", WL_SECRETS, {}, body={"code": code.strip()},
                                       idempotent=False, company_in_path=False)
        raise_for_status(response, call, FAMILY_NAMES[WEBLINK])
        return _parse_one(ClientSecret, decode_json(response, call), call.label)

    # -- fan-out ---------------------------------------------------------------------------------------

    def fan_out(self, fn, items, max_workers=None, stop_on=FATAL_ERRORS):
        """Run ``fn(item)`` over a bounded pool; the rate limiter inside each call sets the pace.
        Returns ``[(item, result_or_exception)]`` in input order."""
        return fan_out(fn, items, max_workers=max_workers or self.max_workers, stop_on=stop_on)

    # -- plumbing --------------------------------------------------------------------------------------

    def _label(self, method, template, company_in_path=True):
        """A message-safe description: the company id filled in, other ids left as placeholders."""
        path = template.replace("{companyId}", self.company_id) if company_in_path else template
        return "%s %s" % (method, path)

    def _provider(self, family):
        provider = self._providers.get(family)
        if provider is None:
            raise ConfigurationError("No %s credentials are configured for Paylocity company %s: enter the %s "
                                     "client ID and secret." % (FAMILY_NAMES[family], self.company_id,
                                                                FAMILY_NAMES[family]))
        return provider

    def _request(self, family, method, template, path_params, *, params=None, body=None, idempotent=None,
                 company_in_path=True, label_template=None):
        """Send one call; on 401 get a fresh token once and try once more. Returns (response, call)."""
        provider = self._provider(family)
        check_url(self._bases[family], self.allow_host_overrides, what=HOST_LABELS["%s_base" % family])
        values = dict(path_params)
        if company_in_path:
            values["companyId"] = self.company_id
        path = template.format(**{k: quote(str(v), safe="") for k, v in values.items()})
        call = Call(method, self._bases[family] + path, template=label_template or template,
                    label=self._label(method, label_template or template, company_in_path), family=family,
                    params=params, json=body, idempotent=idempotent, limiter=self.limiters[family])
        token = provider.token()
        response = self.transport.send(self._authorised(call, token))
        if response.status_code != 401:
            return response, call
        response.close()
        provider.invalidate(token)
        token = provider.token()
        response = self.transport.send(self._authorised(call, token))
        if response.status_code == 401:
            raise AuthenticationError(
                "Paylocity refused a freshly issued %s token for %s (401): the token was issued for another "
                "environment (test vs production: check the environment setting) or the credentials were "
                "revoked." % (FAMILY_NAMES[family], call.label), status=401, reason=TOKEN_REFUSED)
        return response, call

    @staticmethod
    def _authorised(call, token):
        call.headers = {"Accept": "application/json", "Authorization": "Bearer " + token}
        return call

    def _get_json(self, family, template, path_params, params=None):
        response, call = self._request(family, "GET", template, path_params, params=params)
        raise_for_status(response, call, FAMILY_NAMES[family])
        return decode_json(response, call)

    def _weblink_pages(self, template, path_params, *, not_found_empty=False, label_template=None):
        """WebLink paging: pagesize / 0-based pagenumber / includetotalcount → X-Pcty-Total-Count. Stops at the
        total, or (without a total) at a short or empty page. A page that repeats an earlier one (a server that
        ignores ``pagenumber``) is an error, before its rows are yielded twice or the loop runs on forever."""
        fetched = 0
        seen_pages = set()
        for page in range(_MAX_PAGES):
            params = {"pagesize": self.page_size, "pagenumber": page, "includetotalcount": "true"}
            response, call = self._request(WEBLINK, "GET", template, path_params, params=params,
                                           label_template=label_template)
            if response.status_code == 404 and (not_found_empty or page > 0):
                response.close()
                return
            raise_for_status(response, call, FAMILY_NAMES[WEBLINK])
            items = _as_list(decode_json(response, call), call.label)
            if items:
                fingerprint = _page_fingerprint(items)
                if fingerprint in seen_pages:
                    raise BadResponse("Paylocity returned page %d of %s again (the same rows as an earlier page); "
                                      "stopped to avoid counting them twice or paging forever." % (page, call.label))
                seen_pages.add(fingerprint)
            yield from items
            fetched += len(items)
            total = _total_count(response)
            if not items or (total is not None and fetched >= total):
                return
            if total is None and len(items) < self.page_size:
                return
        raise BadResponse("Paging %s did not end after %d pages." % (self._label("GET", template), _MAX_PAGES))

    def _nextgen_list(self, model, template):
        """NextGen limit/offset paging (+ includeTotalCount → X-Pcty-Total-Count)."""
        label = self._label("GET", template)
        limit = self.nextgen_page_size
        rows, offset, previous_first = [], 0, object()
        for _ in range(_MAX_PAGES):
            params = {"limit": limit, "offset": offset, "includeTotalCount": "true"}
            response, call = self._request(NEXTGEN, "GET", template, {}, params=params)
            raise_for_status(response, call, FAMILY_NAMES[NEXTGEN])
            items = _as_list(decode_json(response, call), label)
            if items and items[0] == previous_first:
                raise BadResponse("Paylocity returned the same page twice while paging %s." % label)
            rows.extend(items)
            offset += len(items)
            total = _total_count(response)
            if not items or len(items) > limit or (total is not None and offset >= total):
                break
            if total is None and len(items) < limit:
                break
            previous_first = items[0]
        else:
            raise BadResponse("Paging %s did not end after %d pages." % (label, _MAX_PAGES))
        return _parse_items(model, rows, label)


# -- helpers --------------------------------------------------------------------------------------------

def _page_fingerprint(items):
    """A digest of one page's rows, to recognise a page served twice."""
    text = json.dumps(items, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()


def _total_count(response):
    value = response.headers.get("X-Pcty-Total-Count")
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None


_LIST_KEYS = ("items", "data", "results", "records", "value")


def _as_list(data, label):
    """A JSON array answer; also accepts an envelope holding one array (some NextGen lists wrap theirs)."""
    if data is None:
        return []
    if isinstance(data, list):
        return data
    if isinstance(data, dict):
        for key in _LIST_KEYS:
            if isinstance(data.get(key), list):
                return data[key]
        lists = [value for value in data.values() if isinstance(value, list)]
        if len(lists) == 1:
            return lists[0]
    raise BadResponse("Paylocity's answer to %s is not the documented list (got %s)." % (label, type(data).__name__))


def _shape_error(label, exc):
    first = exc.errors()[0] if isinstance(exc, PydanticValidationError) and exc.errors() else None
    where = ".".join(str(part) for part in first["loc"]) if first and first.get("loc") else "?"
    return BadResponse("Paylocity's answer to %s does not have the documented shape (first problem at %s)."
                       % (label, where))


def _parse_items(model, rows, label):
    try:
        return [model.model_validate(row) for row in rows]
    except (PydanticValidationError, ValueError, TypeError) as exc:
        raise _shape_error(label, exc) from None


def _parse_one(model, data, label):
    if isinstance(data, list) and len(data) == 1 and model is not Employee:
        data = data[0]   # the spec declares one-item arrays for several single answers
    try:
        return model.model_validate(data)
    except (PydanticValidationError, ValueError, TypeError) as exc:
        raise _shape_error(label, exc) from None


def _parse_nextgen_page(data, label):
    if isinstance(data, list):
        data = {"employees": data}
    try:
        return NextGenEmployeePage.model_validate(data if data is not None else {})
    except (PydanticValidationError, ValueError, TypeError) as exc:
        raise _shape_error(label, exc) from None


def _year(year):
    try:
        value = int(year)
    except (TypeError, ValueError):
        raise ValueError("year must be a number like 2026, got %r" % (year,)) from None
    if not 1900 <= value <= 2999:
        raise ValueError("year out of range: %r" % (year,))
    return value


def _check_date(value):
    """Check date as Paylocity's path wants it: YYYY-MM-DD."""
    try:
        parsed = parse_date(value)
    except ValueError:
        parsed = None
    if parsed is None:
        raise ValueError("check date must be a date or YYYY-MM-DD text, got %r" % (value,))
    return parsed.isoformat()


def _jsonable(value):
    """Make a write body JSON-ready: Decimal → number, dates → ISO text."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    return value
