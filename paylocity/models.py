"""pydantic v2 models of the Paylocity payloads the connector reads.

Tolerant by design: unknown keys are ignored, omitted keys (Paylocity drops null values) default to None,
dates accept Paylocity's several spellings, money is ``Decimal``. Fields the connector must never store
(SSN, birth date, home address, bank data, pay rates) are deliberately *not* modelled, so they are dropped
at the edge and cannot leak into Odoo records or logs.
"""
import datetime
import re
from decimal import Decimal, InvalidOperation
from typing import Annotated, List, Optional

from pydantic import AliasChoices, BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator
from pydantic.alias_generators import to_camel

_DATE_PATTERNS = (
    # ISO date, optionally followed by a time part and zone: 2026-01-15, 2026-01-15T10:31:05.90Z
    (re.compile(r"^(\d{4})-(\d{2})-(\d{2})"), (1, 2, 3)),
    # US spellings Paylocity accepts on input and some integrators report on output: 01/15/2026, 01-15-2026
    (re.compile(r"^(\d{2})[/-](\d{2})[/-](\d{4})"), (3, 1, 2)),
)


def parse_date(value):
    """Parse any of Paylocity's date spellings into a ``datetime.date`` (None stays None)."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str):
        text = value.strip()
        for pattern, (y, m, d) in _DATE_PATTERNS:
            match = pattern.match(text)
            if match:
                return datetime.date(int(match.group(y)), int(match.group(m)), int(match.group(d)))
    raise ValueError("not a Paylocity date: %r" % (value,))


def parse_datetime(value):
    """Parse a Paylocity date-time (naive values are taken as UTC) into an aware ``datetime``."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime.datetime):
        parsed = value
    elif isinstance(value, str):
        text = value.strip().replace("Z", "+00:00")
        # Paylocity sends 1-7 fractional digits ("10:31:05.90"); fromisoformat in 3.10 wants 3 or 6.
        text = re.sub(r"\.(\d+)", lambda m: "." + (m.group(1) + "000000")[:6], text, count=1)
        try:
            parsed = datetime.datetime.fromisoformat(text)
        except ValueError:
            parsed = datetime.datetime.combine(parse_date(value), datetime.time())
    elif isinstance(value, datetime.date):
        parsed = datetime.datetime.combine(value, datetime.time())
    else:
        raise ValueError("not a Paylocity date-time: %r" % (value,))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.timezone.utc)
    return parsed


# Paylocity's amounts, hours and rates are far inside these bounds; a value outside them is a broken payload,
# refused rather than summed. The bounds also keep every amount exact where Odoo stores it as a float.
MAX_AMOUNT = Decimal(10) ** 12
MAX_DECIMAL_PLACES = 18


def parse_money(value):
    """Money as ``Decimal``; floats go through ``str`` so 1890.12 stays 1890.12.

    Refused with a ``ValueError`` (which pydantic reports as a validation error): booleans, text that is not a
    number, NaN and infinities (``1E+400`` from JSON is one), magnitudes of ``MAX_AMOUNT`` or more, and more than
    ``MAX_DECIMAL_PLACES`` decimal places as written (``1E-400``, ``0E-1000``)."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError("not an amount: %r" % (value,))
    if isinstance(value, Decimal):
        amount = value
    elif isinstance(value, float):
        amount = Decimal(repr(value))
    else:
        try:
            amount = Decimal(str(value).strip())
        except (InvalidOperation, ValueError):
            raise ValueError("not an amount: %s" % _shown(value)) from None
    if not amount.is_finite():
        raise ValueError("not a finite amount: %s" % _shown(value))
    # By the exponent, not by arithmetic: abs() of 1e999999999 would raise decimal.Overflow.
    if amount and amount.adjusted() >= MAX_AMOUNT.adjusted():
        raise ValueError("amount out of range (%s or more): %s" % (MAX_AMOUNT, _shown(value)))
    if amount.as_tuple().exponent < -MAX_DECIMAL_PLACES:
        raise ValueError("amount with more than %d decimal places: %s" % (MAX_DECIMAL_PLACES, _shown(value)))
    return amount


def _shown(value):
    """The value for a message: repr, so a lone surrogate is escaped (pydantic cannot carry it in an error)."""
    try:
        text = repr(value)
    except ValueError:   # an int too long for Python to print
        return "a number too long to show"
    return text if len(text) <= 40 else text[:37] + "..."


def _text(value):
    """Codes and ids arrive as strings or numbers; keep them as stripped strings. A lone surrogate (from a
    ``"\\ud800"`` escape) becomes U+FFFD, so every text can be stored as UTF-8."""
    if value is None:
        return None
    text = str(value).strip()
    if text and not text.isascii():
        text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text or None


PDate = Annotated[Optional[datetime.date], BeforeValidator(parse_date)]
Money = Annotated[Optional[Decimal], BeforeValidator(parse_money)]
Text = Annotated[Optional[str], BeforeValidator(_text)]
# An id without which the record means nothing: missing or blank is a validation error, not None.
RequiredText = Annotated[str, BeforeValidator(_text)]


class PaylocityModel(BaseModel):
    """Base: camelCase on the wire, snake_case in Python, unknown keys ignored, immutable."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore", frozen=True)


# --- authentication -------------------------------------------------------------------------------

class TokenResponse(PaylocityModel):
    access_token: str
    expires_in: int = 3600
    token_type: str = "Bearer"

    model_config = ConfigDict(alias_generator=None, extra="ignore", frozen=True)


class ClientSecret(PaylocityModel):
    """Answer of ``POST /v2/credentials/secrets``."""

    client_secret: Text = None
    client_secret_expiration_date: PDate = None


# --- employees: WebLink ---------------------------------------------------------------------------

class EmployeeInfo(PaylocityModel):
    """Item of ``GET /v2/companies/{companyId}/employees``."""

    employee_id: Text
    status_code: Text = None
    status_type_code: Text = None


class EmployeeStatus(PaylocityModel):
    employee_status: Text = None
    status_type: Text = None
    hire_date: PDate = None
    re_hire_date: PDate = None
    effective_date: PDate = None
    change_reason: Text = None
    is_eligible_for_rehire: Optional[bool] = None


class DepartmentPosition(PaylocityModel):
    cost_center1: Text = None
    cost_center2: Text = None
    cost_center3: Text = None
    position_code: Text = None
    job_title: Text = None
    employee_type: Text = None
    pay_group: Text = None
    supervisor_employee_id: Text = None
    supervisor_company_number: Text = None
    effective_date: PDate = None
    change_reason: Text = None


class PayGradeRef(PaylocityModel):
    """Only the pay grade of ``primaryPayRate``: rates and salaries are never read into Odoo."""

    pay_grade: Text = None


class WorkAddress(PaylocityModel):
    address1: Text = None
    address2: Text = None
    city: Text = None
    state: Text = None
    postal_code: Text = None
    country: Text = None
    email_address: Text = None
    phone: Text = None
    phone_extension: Text = None
    mobile_phone: Text = None
    location: Text = None


class Employee(PaylocityModel):
    """``GET /v2/companies/{companyId}/employees/{employeeId}`` (object, or the one-item array of the spec)."""

    employee_id: RequiredText
    first_name: Text = None
    last_name: Text = None
    middle_name: Text = None
    preferred_name: Text = None
    suffix: Text = None
    company_name: Text = None
    currency: Text = None
    status: EmployeeStatus = Field(default_factory=EmployeeStatus)
    department_position: DepartmentPosition = Field(default_factory=DepartmentPosition)
    primary_pay_rate: PayGradeRef = Field(default_factory=PayGradeRef)
    work_address: WorkAddress = Field(default_factory=WorkAddress)

    @model_validator(mode="before")
    @classmethod
    def _unwrap_single_item_array(cls, data):
        if isinstance(data, list):
            if len(data) != 1:
                raise ValueError("expected one employee, got a list of %d" % len(data))
            data = data[0]
        return data

    def to_record(self, company_id):
        status = self.status
        code = (status.employee_status or "").upper() or None
        return EmployeeRecord(
            company_id=company_id,
            employee_id=self.employee_id,
            first_name=self.first_name,
            last_name=self.last_name,
            preferred_name=self.preferred_name,
            status_code=code,
            status_type=status.status_type or status_type_of(code),
            hire_date=status.hire_date,
            rehire_date=status.re_hire_date,
            status_effective_date=status.effective_date,
            status_reason=status.change_reason,
            work_email=self.work_address.email_address,
            work_phone=self.work_address.phone,
            mobile_phone=self.work_address.mobile_phone,
            work_location=self.work_address.location,
            job_title=self.department_position.job_title,
            position_code=self.department_position.position_code,
            employee_type=self.department_position.employee_type,
            cost_centers=(
                self.department_position.cost_center1,
                self.department_position.cost_center2,
                self.department_position.cost_center3,
            ),
            supervisor_id=self.department_position.supervisor_employee_id,
            supervisor_company_id=self.department_position.supervisor_company_number,
            pay_grade=self.primary_pay_rate.pay_grade,
        )


# --- employees: NextGen coreHr ------------------------------------------------------------------------

class NextGenStatus(PaylocityModel):
    status: Text = None
    status_type: Text = None
    effective_date: PDate = None
    change_reason: Text = None


class NextGenWorkLocation(PaylocityModel):
    name: Text = Field(default=None, validation_alias=AliasChoices("name", "description", "code"))
    email: Text = None
    phone: Text = None
    phone_ext: Text = None
    mobile_phone: Text = None


class NextGenInfo(PaylocityModel):
    first_name: Text = None
    last_name: Text = None
    preferred_name: Text = None
    display_name: Text = None
    hire_date: PDate = None
    rehire_date: PDate = None
    supervisor: Text = None
    supervisor_co: Text = None
    job_title: Text = None
    work_location: NextGenWorkLocation = Field(default_factory=NextGenWorkLocation)


class NextGenPosition(PaylocityModel):
    cost_center1: Text = None
    cost_center2: Text = None
    cost_center3: Text = None
    employee_type: Text = None
    position_code: Text = None
    position_description: Text = None
    effective_date: PDate = None


class NextGenEmployee(PaylocityModel):
    """Item of ``GET /coreHr/v1/companies/{companyId}/employees`` (shape from real integrations)."""

    id: RequiredText
    company_id: Text = None
    relationship_id: Text = None
    status: Text = None
    status_type: Text = None
    current_status: NextGenStatus = Field(default_factory=NextGenStatus)
    info: NextGenInfo = Field(default_factory=NextGenInfo)
    position: NextGenPosition = Field(default_factory=NextGenPosition)
    current_pay_rate: PayGradeRef = Field(default_factory=PayGradeRef)

    def to_record(self, company_id=None):
        current = self.current_status
        status_type = (current.status_type or self.status_type or "").upper() or None
        return EmployeeRecord(
            company_id=company_id or self.company_id,
            employee_id=self.id,
            first_name=self.info.first_name,
            last_name=self.info.last_name,
            preferred_name=self.info.preferred_name,
            # NextGen gives the status name ("Active"); the one-letter type is what the connector acts on.
            status_code=status_type,
            status_type=status_type,
            hire_date=self.info.hire_date,
            rehire_date=self.info.rehire_date,
            status_effective_date=current.effective_date,
            status_reason=current.change_reason,
            work_email=self.info.work_location.email,
            work_phone=self.info.work_location.phone,
            mobile_phone=self.info.work_location.mobile_phone,
            work_location=self.info.work_location.name,
            job_title=self.info.job_title,
            position_code=self.position.position_code,
            employee_type=self.position.employee_type,
            cost_centers=(self.position.cost_center1, self.position.cost_center2, self.position.cost_center3),
            supervisor_id=self.info.supervisor,
            supervisor_company_id=self.info.supervisor_co,
            pay_grade=self.current_pay_rate.pay_grade,
            relationship_id=self.relationship_id,
        )


class NextGenEmployeePage(PaylocityModel):
    employees: List[NextGenEmployee] = Field(default_factory=list)
    next_token: Text = None


# Status codes: A active, L leave of absence, T terminated [confirmed]; D deceased, R retired and XT
# transferred are seen in the field and behave as terminated for the directory [inferred].
_TERMINATED_CODES = {"T", "D", "R", "XT"}


def status_type_of(status_code):
    """Collapse a status code into A / L / T (None when unknown)."""
    if not status_code:
        return None
    code = status_code.upper()
    if code in _TERMINATED_CODES:
        return "T"
    if code in ("A", "L"):
        return code
    return None


class EmployeeRecord(BaseModel):
    """The one employee shape the sync works with, whichever API family it came from."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    company_id: Optional[str] = None
    employee_id: str
    first_name: Optional[str] = None
    last_name: Optional[str] = None
    preferred_name: Optional[str] = None
    status_code: Optional[str] = None
    status_type: Optional[str] = None        # A / L / T
    hire_date: Optional[datetime.date] = None
    rehire_date: Optional[datetime.date] = None
    status_effective_date: Optional[datetime.date] = None  # termination date when status_type == T
    status_reason: Optional[str] = None
    work_email: Optional[str] = None
    work_phone: Optional[str] = None
    mobile_phone: Optional[str] = None
    work_location: Optional[str] = None
    job_title: Optional[str] = None
    position_code: Optional[str] = None
    employee_type: Optional[str] = None
    cost_centers: tuple = (None, None, None)
    supervisor_id: Optional[str] = None
    supervisor_company_id: Optional[str] = None
    pay_grade: Optional[str] = None
    relationship_id: Optional[str] = None    # NextGen: one person across the companies of a set

    @property
    def display_name(self):
        first = self.preferred_name or self.first_name
        return " ".join(part for part in (first, self.last_name) if part) or self.employee_id


# --- company codes and reference data -----------------------------------------------------------

class CompanyCode(PaylocityModel):
    """Item of ``GET /v2/companies/{companyId}/codes/{codeResource}``."""

    code: Text
    description: Text = None


class CostCenter(PaylocityModel):
    code: Text
    name: Text = Field(default=None, validation_alias=AliasChoices("name", "description"))
    is_active: Optional[bool] = True


class CostCenterLevel(PaylocityModel):
    """Item of ``GET /apiHub/corehr/v1/companies/{companyId}/costCentersAndLevels``."""

    level: int
    description: Text = None
    cost_centers: List[CostCenter] = Field(default_factory=list)


class WorkLocation(PaylocityModel):
    """Item of ``GET /apiHub/corehr/v1/companies/{companyId}/workLocations`` (schema inferred)."""

    code: Text = Field(default=None, validation_alias=AliasChoices("code", "id"))
    name: Text = Field(default=None, validation_alias=AliasChoices("name", "description"))
    is_active: Optional[bool] = True


class Position(PaylocityModel):
    """Item of ``GET /apiHub/positionmanagement/v1/companies/{companyId}/positions``."""

    code: Text
    title: Text = Field(default=None, validation_alias=AliasChoices("title", "description", "name"))
    effective_date: PDate = None
    closed_date: PDate = None


class PayGrade(PaylocityModel):
    """Item of ``GET /apiHub/positionmanagement/v1/companies/{companyId}/paygrades`` (schema inferred)."""

    code: Text
    description: Text = Field(default=None, validation_alias=AliasChoices("description", "name", "title"))


# --- pay statements -----------------------------------------------------------------------------

class PayStatementSummary(PaylocityModel):
    year: Optional[int] = None
    check_date: PDate = None
    begin_date: PDate = None
    end_date: PDate = None
    check_number: Optional[int] = None
    voucher_number: Optional[int] = None
    transaction_number: Optional[int] = None
    process: Optional[int] = None
    gross_pay: Money = None
    net_pay: Money = None
    net_check: Money = None
    direct_deposit_amount: Money = None
    hours: Money = None
    regular_hours: Money = None
    regular_dollars: Money = None
    overtime_hours: Money = None
    overtime_dollars: Money = None
    auto_pay: Optional[bool] = None
    workers_comp_code: Text = None


class PayStatementDetail(PaylocityModel):
    year: Optional[int] = None
    check_date: PDate = None
    transaction_number: Optional[int] = None
    transaction_type: Text = None
    det: Text = None          # E earning, D deduction, T tax [inferred]
    det_code: Text = None     # the company's earning / deduction / tax code
    det_type: Text = None
    amount: Money = None
    hours: Money = None
    rate: Money = None
    eligible_compensation: Money = None

    @field_validator("det")
    @classmethod
    def _upper(cls, value):
        return value.upper() if value else value
