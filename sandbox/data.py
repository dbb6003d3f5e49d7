"""Seeded, reproducible fake company data: org structure, employees with status history, pay runs.

Everything is drawn from ``random.Random`` seeded with a string built from the sandbox seed and the company id,
so the same (seed, company, today, size) always gives the same company. Names, addresses, phones and e-mails are
invented (``example.com`` / 555-01xx numbers); no SSN or bank data is generated.
"""
from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Optional

CENT = Decimal("0.01")

# Status code -> (status type, description). A/L/T are Paylocity's documented codes; XT ("transferred to
# another company") is reported by secondary sources only, hence typed T.
STATUSES = {
    "A": ("A", "Active"),
    "L": ("L", "Leave of Absence"),
    "T": ("T", "Terminated"),
    "XT": ("T", "Transferred"),
}

# Biweekly check dates are anchored on a fixed Friday so they stay the same whatever day the sandbox starts.
PAY_ANCHOR = dt.date(2024, 1, 5)
PAY_PERIOD_DAYS = 14
PERIODS_PER_YEAR = 26

FIRST_NAMES = (
    "Avery", "Blake", "Casey", "Dana", "Emery", "Finley", "Gray", "Harper", "Indigo", "Jordan", "Kai", "Logan",
    "Morgan", "Noel", "Oakley", "Parker", "Quinn", "Reese", "Sage", "Tatum", "Umber", "Vale", "Wren", "Xen",
    "Yael", "Zion", "Ari", "Bowie", "Cruz", "Drew", "Ellis", "Frankie", "Greer", "Hollis", "Jules", "Kendall",
    "Lane", "Marlow", "Nico", "Onyx", "Peyton", "Remy", "Shay", "Toby", "Robin", "Sasha", "Rowan", "Emerson",
)
LAST_NAMES = (
    "Ashdown", "Birchwood", "Calloway", "Dunmore", "Elderberry", "Fairhaven", "Glenrock", "Hollowell",
    "Ironside", "Juniper", "Kettleby", "Larkspur", "Marchbank", "Northcott", "Oakhurst", "Pemberton",
    "Quillfeather", "Ravenscroft", "Stonebridge", "Thistlewood", "Underhill", "Vantreight", "Whitlock",
    "Yarborough", "Zephyrine", "Amberley", "Brightwater", "Coldstream", "Dovecote", "Emberton", "Foxglove",
    "Greystoke", "Heathfield", "Inglewood", "Kingsmere", "Lindqvist", "Moorcroft", "Nettlebed", "Oxley",
)
STREETS = ("Maple", "Cedar", "Lakeview", "Hillcrest", "Sunset", "Meadow", "Willow", "Ridge", "Harbor", "Prairie")
CITIES = (("Springfield", "IL", "Sangamon"), ("Riverton", "IL", "Cook"), ("Fairview", "IL", "DuPage"),
          ("Lakeside", "WI", "Kenosha"), ("Madison Heights", "WI", "Dane"), ("Georgetown", "IN", "Lake"))
COMPANY_NAMES = ("Northwind Robotics Inc", "Bluegill Logistics LLC", "Cobalt Orchard Foods Co",
                 "Driftwood Analytics Inc", "Ember & Pine Outfitters LLC")
TERMINATION_REASONS = ("Resigned - Better Opportunity", "Resigned - Relocation", "Dismissed - Attendance",
                       "Retired", "End of Assignment", "Resigned - Personal")

# Org structure shared by every company (codes are what Paylocity tenants typically configure; inferred).
LEVEL_DESCRIPTIONS = {1: "Division", 2: "Department", 3: "Region"}
DIVISIONS = (("1", "Corporate"), ("2", "Field Operations"), ("9", "Discontinued Ventures"))
DEPARTMENTS = (  # code, name, division, position prefix, job family
    ("10", "Engineering", "1", "ENG", "Technology"),
    ("20", "Sales", "2", "SLS", "Sales"),
    ("30", "Finance", "1", "FIN", "Finance"),
    ("40", "Human Resources", "1", "HR", "People"),
    ("50", "Operations", "2", "OPS", "Operations"),
    ("60", "Customer Support", "2", "SUP", "Service"),
)
REGIONS = (("NE", "Northeast"), ("MW", "Midwest"), ("SO", "South"), ("WE", "West"))
WORK_LOCATIONS = (  # code, name, address1, city, state, postal code, county
    ("HQ", "Headquarters", "100 Commerce Plaza", "Springfield", "IL", "62701", "Sangamon"),
    ("WH1", "Riverton Warehouse", "2200 Industrial Pkwy", "Riverton", "IL", "60601", "Cook"),
    ("REM", "Remote - Midwest", "1 Virtual Way", "Madison Heights", "WI", "53703", "Dane"),
)
PAY_GRADES = (("G1", "Grade 1", 30000), ("G2", "Grade 2", 45000), ("G3", "Grade 3", 60000),
              ("G4", "Grade 4", 80000), ("G5", "Grade 5", 105000), ("G6", "Grade 6 Executive", 140000))
EARNING_CODES = (("REG", "Regular"), ("OT", "Overtime"), ("BONUS", "Bonus"))
DEDUCTION_CODES = (("401K", "401(k) Employee Contribution"), ("MED", "Medical Insurance Pre-Tax"),
                   ("DEN", "Dental Insurance Pre-Tax"))
GARNISHMENT_CODE = ("GARN", "Wage Garnishment")
EMPLOYEE_TAX_CODES = (("FITW", "Federal Income Tax"), ("SITW", "State Income Tax"),
                      ("FICA", "Social Security - Employee"), ("MEDI", "Medicare - Employee"))
EMPLOYER_TAX_CODES = (("FICA-ER", "Social Security - Employer"), ("MEDI-ER", "Medicare - Employer"),
                      ("FUTA", "Federal Unemployment - Employer"), ("SUTA", "State Unemployment - Employer"))


def money(value) -> Decimal:
    return Decimal(value).quantize(CENT, ROUND_HALF_UP)


def as_money(value) -> Decimal:
    """An amount given by a caller ("12.50", 12.5, Decimal): ValueError unless it is a number of whole cents."""
    try:
        exact = Decimal(str(value).strip())
    except ArithmeticError:
        raise ValueError(f"not an amount: {value!r}") from None
    if not exact.is_finite() or exact != money(exact):
        raise ValueError(f"an amount has at most two decimals, not {value!r}")
    return money(exact)


def as_date(value) -> dt.date:
    """Accept a date, a datetime or an ISO/`YYYYMMDD` string."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    if len(text) == 8 and text.isdigit():
        return dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
    return dt.date.fromisoformat(text[:10])


@dataclass
class CostCenter:
    level: int
    code: str
    name: str
    is_active: bool = True


@dataclass
class Position:
    code: str
    title: str
    department: str
    pay_grade: str
    exempt: bool
    eeo_class: str
    career_level: str
    family: str
    effective_date: dt.date = dt.date(2015, 1, 1)
    closed_date: Optional[dt.date] = None
    supervisor_position: Optional[str] = None


@dataclass
class PayGrade:
    code: str
    description: str
    minimum: Decimal
    midpoint: Decimal
    maximum: Decimal


@dataclass
class WorkLocation:
    code: str
    name: str
    address1: str
    city: str
    state: str
    postal_code: str
    county: str
    country: str = "USA"
    is_active: bool = True


@dataclass
class StatusEvent:
    date: dt.date
    status: str   # A / L / T / XT
    reason: str


@dataclass
class Employee:
    employee_id: str
    first_name: str
    last_name: str
    middle_name: Optional[str]
    preferred_name: Optional[str]
    gender: str
    marital_status: str
    birth_date: dt.date
    home_address1: str
    home_city: str
    home_state: str
    home_postal_code: str
    home_county: str
    personal_email: str
    home_phone: str
    mobile_phone: str
    work_email: Optional[str]
    work_phone: Optional[str]
    work_phone_ext: Optional[str]
    work_mobile_phone: Optional[str]
    work_location: str
    cost_center1: str
    cost_center2: str
    cost_center3: str
    position_code: str
    job_title: str
    employee_type: str            # RFT / RPT / TMP
    pay_group: str
    supervisor_id: Optional[str]
    supervisor_company: Optional[str]
    eeo_class: str
    clock_badge: str
    workers_comp: str
    pay_type: str                 # Salary / Hourly
    base_rate: Decimal            # hourly rate (hourly) or hourly equivalent (salaried)
    annual_salary: Decimal
    pay_grade: str
    rate_effective_date: dt.date
    k401_percent: Decimal
    medical: Decimal              # per regular check
    dental: Decimal
    fitw_rate: Decimal
    direct_deposit: bool
    overtime_likely: bool
    relationship_id: str
    garnishment: Decimal = Decimal("0.00")      # post-tax GARN deduction per regular check (set by a control)
    history: list = field(default_factory=list)   # [StatusEvent], oldest first
    future_rate: Optional[tuple] = None            # (effective date, new annual salary, new base rate)
    eligible_for_rehire: Optional[bool] = None
    position_effective_date: Optional[dt.date] = None
    default_hours: Decimal = Decimal("80")

    # -- status, derived from the history so payroll and the API always agree --
    @property
    def current(self) -> StatusEvent:
        return self.history[-1]

    @property
    def status(self) -> str:
        return self.current.status

    @property
    def status_type(self) -> str:
        return STATUSES[self.status][0]

    @property
    def status_description(self) -> str:
        return STATUSES[self.status][1]

    @property
    def hire_date(self) -> dt.date:
        return self.history[0].date

    @property
    def rehire_date(self) -> Optional[dt.date]:
        hires = [e.date for e in self.history[1:] if e.status == "A" and e.reason.startswith("Rehire")]
        return hires[-1] if hires else None

    @property
    def termination_date(self) -> Optional[dt.date]:
        return self.current.date if self.status_type == "T" else None

    @property
    def display_name(self) -> str:
        return f"{self.preferred_name or self.first_name} {self.last_name}"

    @property
    def period_salary(self) -> Decimal:
        return money(self.annual_salary / PERIODS_PER_YEAR)

    def status_on(self, day: dt.date) -> Optional[str]:
        """Status in force on ``day`` (None before the first hire)."""
        found = None
        for event in self.history:
            if event.date > day:
                break
            found = event.status
        return found

    def active_days(self, begin: dt.date, end: dt.date) -> int:
        """Days in [begin, end] worked: active days, plus each termination day (the last day worked)."""
        last_days = {e.date for e in self.history if e.status in ("T", "XT")}
        days = 0
        day = begin
        while day <= end:
            if day in last_days or self.status_on(day) == "A":
                days += 1
            day += dt.timedelta(days=1)
        return days


@dataclass
class PayLine:
    det: str                    # E earning, D deduction, T tax
    det_code: str
    det_type: str               # "EE" employee side, "ER" employer-paid (memo: not part of net)
    amount: Decimal
    hours: Optional[Decimal] = None
    rate: Optional[Decimal] = None
    eligible_compensation: Optional[Decimal] = None


@dataclass
class PayStatement:
    employee_id: str
    check_date: dt.date
    process: int                # the run id within the check date
    transaction_number: int
    voucher_number: int
    check_number: int           # 0 when paid by direct deposit
    begin_date: dt.date
    end_date: dt.date
    transaction_type: str
    auto_pay: bool
    workers_comp: str
    direct_deposit: bool
    lines: list = field(default_factory=list)
    kind: str = "regular"       # regular, off_cycle, manual, void
    voids: Optional[int] = None            # on a void: the transaction number it cancels
    voided_by: Optional[int] = None        # on a voided statement: the void's transaction number

    def total(self, det: str, det_type: Optional[str] = None) -> Decimal:
        return sum((l.amount for l in self.lines if l.det == det and (det_type is None or l.det_type == det_type)),
                   Decimal("0.00"))

    @property
    def gross(self) -> Decimal:
        return self.total("E")

    @property
    def deductions(self) -> Decimal:
        return self.total("D", "EE")

    @property
    def employee_taxes(self) -> Decimal:
        return self.total("T", "EE")

    @property
    def employer_taxes(self) -> Decimal:
        return self.total("T", "ER")

    @property
    def net(self) -> Decimal:
        return self.gross - self.deductions - self.employee_taxes

    @property
    def net_check(self) -> Decimal:
        """Net pay paid by paper check (the whole net of someone without direct deposit)."""
        return Decimal("0.00") if self.direct_deposit else self.net

    @property
    def direct_deposit_amount(self) -> Decimal:
        return self.net if self.direct_deposit else Decimal("0.00")

    def code_total(self, det_code: str, field_name: str = "amount") -> Decimal:
        return sum((getattr(l, field_name) or Decimal("0")) for l in self.lines if l.det_code == det_code)


@dataclass
class PayRun:
    check_date: dt.date
    run_id: int
    process_date: dt.datetime
    begin_date: dt.date
    end_date: dt.date
    off_cycle: bool
    statements: list = field(default_factory=list)

    @property
    def process_id(self) -> str:
        return f"{self.check_date:%Y%m%d}{self.run_id:02d}"

    def totals(self) -> dict:
        """{(det, detCode, detType): Decimal} over every statement of the run."""
        out: dict = {}
        for st in self.statements:
            for line in st.lines:
                key = (line.det, line.det_code, line.det_type)
                out[key] = out.get(key, Decimal("0.00")) + line.amount
        return out


@dataclass
class Company:
    company_id: str
    name: str
    fein: str
    seed: object
    today: dt.date
    cost_centers: dict            # level -> [CostCenter]
    positions: list               # [Position]
    pay_grades: list              # [PayGrade]
    work_locations: list          # [WorkLocation]
    employees: dict = field(default_factory=dict)     # employee id -> Employee (insertion = id order)
    pay_runs: list = field(default_factory=list)      # [PayRun], chronological
    next_transaction: int = 1001
    next_voucher: int = 500001
    next_check: int = 10001
    next_employee_number: int = 1001
    rng: random.Random = None     # used only by mutators after generation
    by_employee: dict = field(default_factory=dict)   # employee id -> [PayStatement]
    garnishments: bool = False    # GARN is one of the company's deduction codes once a garnishment was set
    hidden_reads: dict = field(default_factory=dict)  # employee id -> API reads still answered "no such employee"

    # -- reference data --
    def codes(self, resource: str):
        """WebLink company codes as [(code, description)], or None for an unknown resource."""
        resource = resource.lower()
        if resource in ("costcenter1", "costcenter2", "costcenter3"):
            return [(c.code, c.name) for c in self.cost_centers[int(resource[-1])]]
        if resource == "positions":
            return [(p.code, p.title) for p in self.positions]
        if resource == "paygrade":
            return [(g.code, g.description) for g in self.pay_grades]
        if resource == "earnings":
            return list(EARNING_CODES)
        if resource == "deductions":
            return list(DEDUCTION_CODES) + ([GARNISHMENT_CODE] if self.garnishments else [])
        if resource == "taxes":
            return list(EMPLOYEE_TAX_CODES + EMPLOYER_TAX_CODES)
        return None

    def cost_center(self, level: int, code: str) -> Optional[CostCenter]:
        return next((c for c in self.cost_centers[level] if c.code == code), None)

    def position(self, code: str) -> Optional[Position]:
        return next((p for p in self.positions if p.code == code), None)

    def location(self, code: str) -> Optional[WorkLocation]:
        return next((w for w in self.work_locations if w.code == code), None)

    # -- employees and pay --
    def employee(self, employee_id: str) -> Optional[Employee]:
        return self.employees.get(str(employee_id))

    def sorted_employees(self) -> list:
        return sorted(self.employees.values(), key=_id_key)

    # -- what the API shows: Paylocity's data can lag its webhooks, so a person may be hidden at first --
    def api_employee(self, employee_id: str) -> Optional[Employee]:
        """The employee as a read of the API finds them: None while hidden (each such read spends one)."""
        employee_id = str(employee_id)
        if self.hidden_reads.get(employee_id):
            self.hidden_reads[employee_id] -= 1
            return None
        return self.employee(employee_id)

    def api_employees(self) -> list:
        """The employees a listing of the API shows: the hidden ones are left out (a listing spends no read)."""
        return [e for e in self.sorted_employees() if not self.hidden_reads.get(e.employee_id)]

    def new_employee_id(self) -> str:
        while str(self.next_employee_number) in self.employees:
            self.next_employee_number += 1
        eid = str(self.next_employee_number)
        self.next_employee_number += 1
        return eid

    def statements(self, employee_id: str, year: Optional[int] = None, check_date: Optional[dt.date] = None):
        """Pay statements of one employee, optionally for a year and a check date, oldest first."""
        out = [st for st in self.by_employee.get(str(employee_id), ())
               if (year is None or st.check_date.year == year)
               and (check_date is None or st.check_date == check_date)]
        out.sort(key=lambda s: (s.check_date, s.process, s.transaction_number))
        return out

    def add_run(self, run: "PayRun") -> None:
        self.pay_runs.append(run)
        self.pay_runs.sort(key=lambda r: (r.check_date, r.run_id))
        for st in run.statements:
            self.by_employee.setdefault(st.employee_id, []).append(st)

    def add_statement(self, run: "PayRun", statement: "PayStatement") -> None:
        """A statement added to a run after processing (a void, a manual check)."""
        run.statements.append(statement)
        self.by_employee.setdefault(statement.employee_id, []).append(statement)

    def remove_statement(self, run: "PayRun", statement: "PayStatement") -> None:
        run.statements.remove(statement)
        self.by_employee[statement.employee_id].remove(statement)
        for other in run.statements:     # a void left alone, or a voided statement whose void is gone
            if other.voided_by == statement.transaction_number:
                other.voided_by = None

    def run(self, process_id: str) -> Optional[PayRun]:
        return next((r for r in self.pay_runs if r.process_id == str(process_id)), None)

    def runs_on(self, check_date) -> list:
        day = as_date(check_date)
        return [r for r in self.pay_runs if r.check_date == day]


def _id_key(emp: Employee):
    return (len(emp.employee_id), emp.employee_id)


def regular_check_dates(today: dt.date, count: int) -> list:
    """The last ``count`` biweekly check dates on or before ``today``, oldest first."""
    periods = (today - PAY_ANCHOR).days // PAY_PERIOD_DAYS
    last = PAY_ANCHOR + dt.timedelta(days=PAY_PERIOD_DAYS * periods)
    return [last - dt.timedelta(days=PAY_PERIOD_DAYS * k) for k in range(count - 1, -1, -1)]


def pay_period(check_date: dt.date) -> tuple:
    """(begin, end) of the 14-day period a check date pays: it ends a week before the check."""
    end = check_date - dt.timedelta(days=7)
    return end - dt.timedelta(days=PAY_PERIOD_DAYS - 1), end


# ----------------------------------------------------------------------------------------------------------
# generation

def build_structure(company_id: str, index: int, seed, today: dt.date) -> Company:
    cost_centers = {
        1: [CostCenter(1, c, n, is_active=(c != "9")) for c, n in DIVISIONS],
        2: [CostCenter(2, c, n) for c, n, *_ in DEPARTMENTS],
        3: [CostCenter(3, c, n) for c, n in REGIONS],
    }
    positions = [Position("CEO", "Chief Executive Officer", "30", "G6", True, "1.1", "EXEC", "Leadership")]
    for code, name, _div, prefix, family in DEPARTMENTS:
        positions.append(Position(f"{prefix}MGR", f"{name} Manager", code, "G5", True, "1.2", "MGR", family,
                                  supervisor_position="CEO"))
        positions.append(Position(f"{prefix}LD", f"{name} Team Lead", code, "G4", True, "1.2", "LEAD", family,
                                  supervisor_position=f"{prefix}MGR"))
        positions.append(Position(f"{prefix}2", f"{name} Specialist II", code, "G3", code in ("10", "30"), "2",
                                  "IC2", family, supervisor_position=f"{prefix}LD"))
        positions.append(Position(f"{prefix}1", f"{name} Specialist I", code, "G2", False, "5", "IC1", family,
                                  supervisor_position=f"{prefix}LD"))
    positions.append(Position("LEGACY1", "Legacy Clerk", "50", "G1", False, "5", "IC1", "Operations",
                              closed_date=dt.date(2023, 6, 30)))
    grades = [PayGrade(c, d, money(lo), money(lo * 1.25), money(lo * 1.5)) for c, d, lo in PAY_GRADES]
    locations = [WorkLocation(*row) for row in WORK_LOCATIONS]
    return Company(
        company_id=company_id,
        name=COMPANY_NAMES[index % len(COMPANY_NAMES)],
        fein=f"00-{(index * 7919 + 1234567) % 10000000:07d}",
        seed=seed, today=today, cost_centers=cost_centers, positions=positions, pay_grades=grades,
        work_locations=locations, rng=random.Random(f"{seed}:{company_id}:mutations"),
    )


def _phone(rng: random.Random) -> str:
    # 555-0100..0199 are reserved for fiction.
    return f"({rng.choice((217, 312, 608, 219))}) 555-01{rng.randint(0, 99):02d}"


def make_person(company: Company, rng: random.Random, employee_id: str, *, department: str, position: Position,
                hire_date: dt.date, supervisor_id: Optional[str]) -> Employee:
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    city, state, county = rng.choice(CITIES)
    location = rng.choice(company.work_locations)
    grade = next(g for g in company.pay_grades if g.code == position.pay_grade)
    salaried = position.exempt or rng.random() < 0.3
    annual = money(Decimal(rng.randint(int(grade.minimum), int(grade.maximum)) // 500 * 500))
    if salaried:
        base_rate = money(annual / 2080)
    else:
        base_rate = money(Decimal(rng.randint(1800, 4800)) / 100)
        annual = money(base_rate * 2080)
    domain = f"{company.company_id.lower()}.example.com"
    emp = Employee(
        employee_id=employee_id, first_name=first, last_name=last,
        middle_name=rng.choice((None, "A", "J", "M", "R")), preferred_name=rng.choice((None, None, None, first[:3])),
        gender=rng.choice(("F", "M", "X")), marital_status=rng.choice(("S", "M")),
        birth_date=dt.date(rng.randint(1960, 2003), rng.randint(1, 12), rng.randint(1, 28)),
        home_address1=f"{rng.randint(10, 9999)} {rng.choice(STREETS)} St", home_city=city, home_state=state,
        home_postal_code=f"{rng.randint(60000, 62999):05d}", home_county=county,
        personal_email=f"{first.lower()}.{last.lower()}{employee_id}@example.net",
        home_phone=_phone(rng), mobile_phone=_phone(rng),
        work_email=f"{first.lower()}.{last.lower()}.{employee_id}@{domain}",
        work_phone=_phone(rng), work_phone_ext=str(rng.randint(100, 999)), work_mobile_phone=_phone(rng),
        work_location=location.code,
        cost_center1=next(d[2] for d in DEPARTMENTS if d[0] == department), cost_center2=department,
        cost_center3=rng.choice(REGIONS)[0], position_code=position.code, job_title=position.title,
        employee_type=rng.choice(("RFT", "RFT", "RFT", "RPT")), pay_group="BIWEEKLY",
        supervisor_id=supervisor_id, supervisor_company=None, eeo_class=position.eeo_class,
        clock_badge=f"{int(employee_id):06d}" if employee_id.isdigit() else employee_id,
        workers_comp="8810" if position.exempt else "5403",
        pay_type="Salary" if salaried else "Hourly", base_rate=base_rate, annual_salary=annual,
        pay_grade=grade.code, rate_effective_date=hire_date,
        k401_percent=Decimal(rng.choice((0, 0, 3, 4, 5, 6, 8, 10))),
        medical=money(rng.choice((0, 85.5, 85.5, 142.3, 210.75))), dental=money(rng.choice((0, 9.8, 18.4))),
        fitw_rate=Decimal(rng.choice(("0.08", "0.10", "0.12", "0.14"))),
        direct_deposit=rng.random() < 0.9, overtime_likely=(not salaried) and rng.random() < 0.5,
        relationship_id="%08x-%04x-4%03x-8%03x-%012x" % (rng.getrandbits(32), rng.getrandbits(16),
                                                         rng.getrandbits(12), rng.getrandbits(12),
                                                         rng.getrandbits(48)),
        history=[StatusEvent(hire_date, "A", "New Hire")],
        position_effective_date=hire_date,
    )
    return emp


def generate_company(company_id: str, index: int, seed, employees: int, today: dt.date,
                     history_runs: int = 3) -> Company:
    """Build a company with ``employees`` people (pay history comes from ``generate_companies``)."""
    rng = random.Random(f"{seed}:{company_id}")
    company = build_structure(company_id, index, seed, today)
    check_dates = regular_check_dates(today, max(1, history_runs))
    first_begin, _ = pay_period(check_dates[0])
    last_begin, last_end = pay_period(check_dates[-1])

    def hire_day(lo_days: int, hi_days: int) -> dt.date:
        return today - dt.timedelta(days=rng.randint(lo_days, hi_days))

    positions_by_prefix = {p.code: p for p in company.positions}
    managers: dict = {}           # department -> [employee ids that can supervise]
    plain: list = []              # ids of non-supervisors (candidates for special statuses)
    for i in range(employees):
        eid = company.new_employee_id()
        if i == 0:
            dept, pos, sup, hired = "30", positions_by_prefix["CEO"], None, hire_day(3650, 4000)
            emp = make_person(company, rng, eid, department=dept, position=pos, hire_date=hired, supervisor_id=sup)
            company.employees[eid] = emp
            ceo = eid
            continue
        if i <= len(DEPARTMENTS):
            code, _n, _d, prefix, _f = DEPARTMENTS[i - 1]
            emp = make_person(company, rng, eid, department=code, position=positions_by_prefix[f"{prefix}MGR"],
                              hire_date=hire_day(2000, 3600), supervisor_id=ceo)
            managers[code] = [eid]
            company.employees[eid] = emp
            continue
        code, _n, _d, prefix, _f = DEPARTMENTS[rng.randrange(len(DEPARTMENTS))]
        team = managers.setdefault(code, [ceo])
        in_dept = sum(1 for e in company.employees.values() if e.cost_center2 == code)
        if in_dept % 8 == 0 and i < employees - 1:
            pos, sup = positions_by_prefix[f"{prefix}LD"], team[0]
            emp = make_person(company, rng, eid, department=code, position=pos, hire_date=hire_day(900, 3000),
                              supervisor_id=sup)
            team.append(eid)
        else:
            pos = positions_by_prefix[f"{prefix}{rng.choice((1, 1, 2))}"]
            emp = make_person(company, rng, eid, department=code, position=pos, hire_date=hire_day(40, 3000),
                              supervisor_id=rng.choice(team))
            plain.append(eid)
        company.employees[eid] = emp

    # A few recent hires that no historical run has paid yet (the newest employees).
    for eid in plain[-2:] if len(plain) > 10 else []:
        _set_hire_date(company.employees[eid], today - dt.timedelta(days=rng.randint(1, 6)))
    candidates = [e for e in plain[:-2]] if len(plain) > 10 else list(plain)
    rng.shuffle(candidates)
    _assign_special_statuses(company, rng, candidates, employees, first_begin, last_begin, last_end)
    _assign_future_raises(company, rng)
    return company


def generate_companies(company_ids, seed, employees: int, today: dt.date, history_runs: int = 3) -> dict:
    """All companies of a sandbox, one person transferred from the first to the second, then pay history."""
    from .payroll import generate_history   # payroll needs the data classes above

    companies = {cid: generate_company(cid, i, seed, employees, today, history_runs)
                 for i, cid in enumerate(company_ids)}
    check_dates = regular_check_dates(today, max(1, history_runs))
    ids = list(companies)
    if len(ids) >= 2 and employees >= 10:
        source, target = companies[ids[0]], companies[ids[1]]
        day = pay_period(check_dates[0])[0] - dt.timedelta(days=30)
        supervisors = {e.supervisor_id for e in source.employees.values()}
        movable = [e for e in source.sorted_employees()
                   if e.status == "A" and len(e.history) == 1 and e.employee_id not in supervisors
                   and e.hire_date < day - dt.timedelta(days=60) and e.future_rate is None]
        target_supervisors = {e.supervisor_id for e in target.employees.values()}
        slot = target.sorted_employees()[-1]
        if movable and slot.employee_id not in target_supervisors:
            del target.employees[slot.employee_id]   # keep every company at `employees` people
            transfer_person(source, movable[-1].employee_id, target, day, new_id=slot.employee_id)
    for company in companies.values():
        generate_history(company, check_dates)
    return companies


def _assign_special_statuses(company, rng, candidates, employees, first_begin, last_begin, last_end):
    """Terminations (with dates and reasons), one final check, one rehire, one leave of absence."""
    today = company.today
    pool = list(candidates)

    def take():
        return company.employees[pool.pop()] if pool else None

    final = take()   # terminated inside the latest regular period: paid a final check
    if final:
        _set_hire_date(final, min(final.hire_date, last_begin - dt.timedelta(days=200)))
        final.history.append(StatusEvent(last_end - dt.timedelta(days=3), "T", "Resigned - Relocation"))
        final.eligible_for_rehire = True
    rehired = take()
    if rehired:
        first_hire = first_begin - dt.timedelta(days=rng.randint(900, 1400))
        left = first_hire + dt.timedelta(days=rng.randint(200, 400))
        back = left + dt.timedelta(days=rng.randint(120, 300))
        rehired.history = [StatusEvent(first_hire, "A", "New Hire"), StatusEvent(left, "T", "Resigned - Personal"),
                           StatusEvent(back, "A", "Rehire")]
        rehired.rate_effective_date = back
        rehired.position_effective_date = back
        rehired.eligible_for_rehire = True
    on_leave = take()
    if on_leave:
        start = last_begin - dt.timedelta(days=1)   # paid in earlier runs, not in the latest
        _set_hire_date(on_leave, min(on_leave.hire_date, start - dt.timedelta(days=300)))
        on_leave.history.append(StatusEvent(start, "L", "Medical Leave"))
    for _ in range(max(1, employees * 8 // 100) if employees >= 10 else 0):
        emp = take()
        if not emp:
            break
        earliest = emp.hire_date + dt.timedelta(days=30)
        latest = first_begin - dt.timedelta(days=1)
        if earliest >= latest:
            _set_hire_date(emp, latest - dt.timedelta(days=400))
            earliest = emp.hire_date + dt.timedelta(days=30)
        day = earliest + dt.timedelta(days=rng.randint(0, (latest - earliest).days))
        emp.history.append(StatusEvent(day, "T", rng.choice(TERMINATION_REASONS)))
        emp.eligible_for_rehire = rng.random() < 0.7
        emp.work_phone_ext = None
        emp.work_mobile_phone = None
    for emp in company.employees.values():
        if emp.hire_date > today:
            _set_hire_date(emp, today)


def _set_hire_date(emp: Employee, day: dt.date) -> None:
    emp.history[0] = StatusEvent(day, "A", "New Hire")
    emp.rate_effective_date = day
    emp.position_effective_date = day


def _assign_future_raises(company, rng):
    for emp in company.sorted_employees():
        if emp.status == "A" and rng.random() < 0.05:
            effective = company.today + dt.timedelta(days=rng.randint(20, 80))
            factor = Decimal(rng.choice(("1.03", "1.04", "1.05")))
            emp.future_rate = (effective, money(emp.annual_salary * factor), money(emp.base_rate * factor))


def transfer_person(source: Company, employee_id: str, target: Company, day: dt.date,
                    new_id: Optional[str] = None) -> Employee:
    """Terminate ``employee_id`` in ``source`` as transferred and hire the same person into ``target``."""
    person = source.employees[employee_id]
    person.history.append(StatusEvent(day - dt.timedelta(days=1), "XT", f"Transfer to {target.company_id}"))
    eid = new_id or target.new_employee_id()
    rng = target.rng
    dept_code = person.cost_center2
    managers = [e for e in target.sorted_employees()
                if e.cost_center2 == dept_code and e.position_code.endswith(("MGR", "LD")) and e.status == "A"]
    clone = Employee(**{k: getattr(person, k) for k in person.__dataclass_fields__})
    clone.employee_id = eid
    clone.history = [StatusEvent(day, "A", f"Transfer from {source.company_id}")]
    clone.work_email = f"{person.first_name.lower()}.{person.last_name.lower()}.{eid}@" \
                       f"{target.company_id.lower()}.example.com"
    clone.supervisor_id = managers[0].employee_id if managers else None
    clone.supervisor_company = None
    clone.rate_effective_date = day
    clone.position_effective_date = day
    clone.future_rate = None
    clone.relationship_id = person.relationship_id
    clone.clock_badge = f"{int(eid):06d}" if eid.isdigit() else eid
    if not target.location(clone.work_location):
        clone.work_location = target.work_locations[0].code
    if rng.random() < 0.5:
        clone.work_location = rng.choice(target.work_locations).code
    target.employees[eid] = clone
    return clone
