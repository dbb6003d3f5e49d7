"""The employee sync's decisions: what an update writes, what a status change means, what is linked or created."""
import datetime

from paylocity import sync_plan
from paylocity.directory import Entry

OWNED = ("work_email", "work_phone", "mobile_phone")


def entry(**values):
    values.setdefault("employee_id", "E1")
    values.setdefault("name", "Ada Lovelace")
    values.setdefault("status_type", "A")
    return Entry(**values)


def plan(e, current, desired, previous=None, active=True, previous_status="A", bound=False):
    return sync_plan.plan_update(e, current=current, desired=desired, previous=previous or {}, owned=OWNED,
                                 employee_active=active, previous_status=previous_status, bound=bound)


def test_update_writes_what_differs_and_leaves_owned_fields_once_set():
    current = {"name": "Ada  Lovelace", "job_title": "Analyst", "work_email": "ada@odoo.example", "work_phone": ""}
    desired = {"name": "Ada Lovelace", "job_title": "Engineer", "work_email": "ada@paylocity.example",
               "work_phone": "555-0100"}
    got = plan(entry(), current, desired)
    # Whitespace is no change; an owned field is only filled while empty.
    assert got.changes == {"job_title": "Engineer", "work_phone": "555-0100"}
    assert (got.action, got.outcome, got.label) == ("update", "updated", "Updated: job_title, work_phone")
    assert got.overwritten == ()


def test_an_odoo_edit_of_a_paylocity_field_is_reported_as_overwritten():
    previous = {"job_title": "Analyst", "department_id": 7, "work_email": "old@paylocity.example"}
    current = {"job_title": "Chief Analyst", "department_id": 7, "work_email": ""}
    desired = {"job_title": "Engineer", "department_id": 8, "work_email": "new@paylocity.example"}
    got = plan(entry(), current, desired, previous)
    assert got.changes == {"job_title": "Engineer", "department_id": 8, "work_email": "new@paylocity.example"}
    # job_title was edited in Odoo (differs from what Paylocity gave); the department was not; owned fields never.
    assert got.overwritten == ("job_title",)


def test_status_changes_terminate_rehire_or_only_report():
    terminated = plan(entry(status_type="T", termination_date="2026-02-01"), {}, {}, active=True)
    assert (terminated.action, terminated.outcome, terminated.label) == (
        "terminate", "terminated", "Terminated: employee archived")
    rehired = plan(entry(status_type="A"), {}, {}, active=False, previous_status="T")
    assert (rehired.action, rehired.outcome) == ("rehire", "rehired")
    on_leave = plan(entry(status_type="L"), {}, {}, previous_status="A")
    assert (on_leave.action, on_leave.outcome, on_leave.label) == (
        "update", "updated", "Paylocity status changed (on leave of absence)")
    still_gone = plan(entry(status_type="T"), {}, {}, active=False, previous_status="T")
    assert (still_gone.action, still_gone.outcome) == ("update", "unchanged")
    unknown = plan(entry(status_type=None), {}, {}, active=False, previous_status=None)
    assert (unknown.action, unknown.outcome, unknown.label) == ("update", "unchanged", "Nothing to write in Odoo")
    bound = plan(entry(), {"name": "x"}, {"name": "Ada Lovelace"}, bound=True)
    assert (bound.outcome, bound.label, bound.changes) == (
        "bound", "Bound to the existing employee", {"name": "Ada Lovelace"})


def test_outcome_message_names_what_was_not_applied():
    assert sync_plan.outcome_message("Employee created") == "Employee created."
    assert sync_plan.outcome_message("Employee created", ["cost center 9 (level 1) is not aligned"]) == \
        "Employee created. Not applied: cost center 9 (level 1) is not aligned."


def test_referenced_codes_follow_the_department_level():
    e = entry(cost_centers=("10", "20", None), position_code="DEV", work_location="Boston")
    assert list(sync_plan.referenced_codes(e, "2")) == [
        ("costcenter2", "20"), ("position", "DEV"), ("work_location", "Boston")]
    assert list(sync_plan.referenced_codes(e, None)) == [("position", "DEV"), ("work_location", "Boston")]
    assert list(sync_plan.referenced_codes(entry(), "3")) == []


def test_supervisors_are_linked_within_the_company_only():
    assert sync_plan.supervisor_to_link(entry(supervisor_id="E9"), "C1") == "E9"
    assert sync_plan.supervisor_to_link(entry(supervisor_id="E9", supervisor_company_id="c1"), "C1") == "E9"
    assert sync_plan.supervisor_to_link(entry(supervisor_id="E9", supervisor_company_id="C2"), "C1") is None
    assert sync_plan.supervisor_to_link(entry(supervisor_id="E1"), "C1") is None      # themself
    assert sync_plan.supervisor_to_link(entry(), "C1") is None
    assert sync_plan.supervisor_key(entry(supervisor_id="E9", supervisor_company_id="C2"), "C1") == "C2/E9"
    assert sync_plan.supervisor_key(entry(supervisor_id="E9", supervisor_company_id="C1"), "C1") == "E9"
    assert sync_plan.supervisor_key(entry(), "C1") is None


def test_leavers_before_the_lookback_are_not_created():
    today = datetime.date(2026, 3, 1)
    old = entry(status_type="T", termination_date="2025-01-01")
    recent = entry(status_type="T", termination_date="2026-02-15")
    assert sync_plan.left_before_lookback(old, today, 365)
    assert not sync_plan.left_before_lookback(recent, today, 365)
    assert not sync_plan.left_before_lookback(old, today, 0)                         # 0: import every leaver
    assert not sync_plan.left_before_lookback(entry(status_type="T"), today, 30)    # no date: imported


def test_departure_note_and_date():
    e = entry(status_type="T", status_code="XT", status_reason="Transfer to C2", termination_date="2026-02-01")
    assert sync_plan.departure_note(e) == "Paylocity: Transfer to C2 (status XT, effective 2026-02-01)."
    assert sync_plan.departure_note(entry(status_type="T")) == "Paylocity: terminated (status T)."
    assert sync_plan.departure_date(e, datetime.date(2026, 3, 1)) == datetime.date(2026, 2, 1)
    assert sync_plan.departure_date(entry(status_type="T"), datetime.date(2026, 3, 1)) == datetime.date(2026, 3, 1)


def test_only_values_an_hr_officer_wrote_are_pushed():
    owned = ('work_email', 'work_phone', 'mobile_phone')
    known = {'work_email': 'ann@old.example', 'work_phone': '111', 'mobile_phone': '222'}
    current = {'work_email': 'ann@new.example', 'work_phone': '999', 'mobile_phone': '333'}
    # work_email written by HR; work_phone by the employee themself after HR's value; mobile_phone never by HR
    approved = {'work_email': 'ann@new.example', 'work_phone': '555'}
    assert sync_plan.values_to_push(owned, current, known, approved) == {'work_email': 'ann@new.example'}
    assert sync_plan.values_to_push(owned, current, known, {}) == {}


def test_an_approved_value_already_in_paylocity_or_not_owned_is_not_pushed():
    known = {'work_email': 'ann@example.com'}
    current = {'work_email': ' ann@example.com ', 'job_title': 'Boss'}
    approved = {'work_email': 'ann@example.com', 'job_title': 'Boss'}
    assert sync_plan.values_to_push(('work_email',), current, known, approved) == {}
    # an emptied field is "sent" as empty: patch_body leaves it out, Odoo never erases Paylocity data
    assert sync_plan.values_to_push(('work_email',), {'work_email': False}, known,
                                    {'work_email': False}) == {'work_email': False}
