"""Property-based attack on webhook intake's plain part: whatever arrives (any bytes, any JSON, any headers), the
core answers with a classified event or a ``WebhookShapeError`` (which the route turns into 400), never with
another exception (which would be a 500 with a traceback)."""
import base64
import json
import sys

from hypothesis import example, given
from hypothesis import strategies as st

from paylocity.errors import ConfigurationError
from paylocity.webhooks import (
    EVENT_TYPES,
    KEPT_KEYS,
    MAX_JSON_DEPTH,
    WebhookEvent,
    WebhookShapeError,
    check_basic_auth,
    classify,
    ip_allowed,
    parse_cidrs,
    payload_text,
)

# Every key the classifier reads, in Paylocity's spelling, so generated bodies reach every branch.
KNOWN_KEYS = (
    "companyId", "employeeId", "processId", "checkDate", "runId", "processDate", "status", "timeOffStartDate",
    "timeOffEndDate", "hoursPerDay", "isAllDayEvent", "supervisorWorkEmail", "terminationDate", "employeeTermDate",
    "terminationReason", "employeeHireDate", "companyName", "employeeGender", "employeeType",
    "employeeFirstName", "employeeLastName", "employeeWorkEMailAddress", "employeeCostCenter1", "employeeCostCenter2",
    "employeeCostCenter3",
)
LONE_SURROGATES = ("\ud800", "\udbff", "\udc00", "\udfff")

scalars = (st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30)
           | st.sampled_from(LONE_SURROGATES)
           | st.dates().map(lambda d: d.isoformat()) | st.datetimes().map(lambda d: d.isoformat())
           | st.from_regex(r"\A\d{10}\Z") | st.from_regex(r"\A\d{8}0[1-9]\Z"))
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=10), inner, max_size=4), max_leaves=12)
identifiers = st.text(max_size=12) | st.integers() | st.sampled_from(["C01", "1234", " W1001 ", "a:b", ""])
webhook_like = st.fixed_dictionaries(
    {"companyId": identifiers, "employeeId": identifiers},
    optional={key: json_values for key in KNOWN_KEYS[2:]},
)


def nested(depth, key="x", extra=None):
    """A webhook-shaped body whose ``key`` holds arrays nested ``depth`` levels deep."""
    body = json.dumps(dict(extra or {}, companyId="C01", employeeId="1234", **{key: 0}))
    return body.replace("0}", "[" * depth + "]" * depth + "}").encode()


def classify_or_refuse(body):
    """The promise: an event whose fields can be stored as they are, or a short ``WebhookShapeError``."""
    try:
        event = classify(body)
    except WebhookShapeError as exc:
        assert str(exc) and len(str(exc)) < 120
        return None
    assert isinstance(event, WebhookEvent)
    assert event.event_type in EVENT_TYPES
    assert event.dedup_key.startswith(event.event_type + ":" + event.company_id + ":")
    for text in (event.dedup_key, event.company_id, event.employee_id or ""):
        text.encode("utf-8")                       # storable as PostgreSQL text
        assert "\x00" not in text
    json.dumps(event.summary, allow_nan=False).encode("utf-8")   # storable as JSON text, without NaN
    # Only allow-listed keys of the body are kept, with scalar values: never a person's other details.
    allowed = KEPT_KEYS[event.event_type]
    for key, value in event.kept.items():
        assert key.lower() in allowed or (event.event_type == "termination" and key.lower().endswith("date"))
        assert value is None or isinstance(value, (str, bool, int, float))
    payload_text(event.kept).encode("utf-8")
    return event


@given(st.binary(max_size=600))
@example(b"")
@example(b"\xff\xfe{}")
@example(b'{"companyId": "C01", "employeeId": "1", "hoursPerDay": NaN, "timeOffStartDate": "2026-01-01"}')
def test_any_bytes_are_classified_or_refused(raw):
    classify_or_refuse(raw)


@given(json_values)
def test_any_json_document_is_classified_or_refused(value):
    raw = json.dumps(value).encode("utf-8")        # NaN and Infinity as Python writes them, surrogates escaped
    classify_or_refuse(raw)
    classify_or_refuse(value)


@given(webhook_like)
@example({"companyId": "C01", "employeeId": "1", "timeOffStartDate": "2026-01-01", "note": "\ud800"})
@example({"companyId": "C01", "employeeId": "1", "employeeFirstName": "\udfff"})
@example({"companyId": "C01", "employeeId": "1", "timeOffStartDate": "2026-01-01", "hoursPerDay": float("nan")})
@example({"companyId": "C01", "employeeId": "1", "timeOffStartDate": "2026-01-01", "hoursPerDay": float("inf")})
def test_any_webhook_shaped_body_is_classified_or_refused(body):
    raw = json.dumps(body).encode("utf-8")
    first = classify_or_refuse(raw)
    again = classify_or_refuse(raw)
    assert first == again, "a re-delivery of the same body is the same event (same de-duplication key)"
    assert (classify_or_refuse(body) is None) == (first is None)


def test_a_lone_surrogate_is_refused_not_a_crash():
    # json.loads accepts the escape; hashing or storing the text then raised UnicodeEncodeError (HTTP 500).
    body = b'{"companyId": "C01", "employeeId": "1", "employeeFirstName": "\\ud800"}'
    try:
        classify(body)
    except WebhookShapeError as exc:
        assert "Unicode" in str(exc)
    else:
        raise AssertionError("a lone surrogate must be refused")


def test_nan_infinity_and_overflowing_numbers_are_refused():
    for number in (b"NaN", b"Infinity", b"-Infinity", b"1e400", b"-1E+999"):
        body = b'{"companyId": "C01", "employeeId": "1", "timeOffStartDate": "2026-01-01", "hoursPerDay": %s}' % number
        try:
            classify(body)
        except WebhookShapeError as exc:
            assert "number" in str(exc)
        else:
            raise AssertionError("%s must be refused" % number.decode())


def test_deep_nesting_is_refused_with_a_clear_reason_at_every_depth():
    assert classify(nested(MAX_JSON_DEPTH - 1)).event_type == "employee_change"
    for depth in (MAX_JSON_DEPTH, 990, 1000, 100000):
        for extra in ({}, {"timeOffStartDate": "2026-01-01"}, {"employeeFirstName": "Ada"}):
            try:
                classify(nested(depth, extra=extra))
            except WebhookShapeError as exc:
                assert "nested more than %d levels" % MAX_JSON_DEPTH in str(exc)
            else:
                raise AssertionError("a body nested %d deep must be refused" % depth)


def test_deep_nesting_is_refused_inside_a_deep_call_stack():
    """Odoo calls the classifier a few hundred frames deep. There, a body nested just shallower than the stack
    left passed json.loads and then exhausted the stack while being hashed (RecursionError → HTTP 500)."""

    def at_depth(frames, body):
        if frames:
            return at_depth(frames - 1, body)
        return classify(body)

    for used in (50, 300):
        room = sys.getrecursionlimit() - used
        for depth in range(room - 150, room + 5):    # pytest itself takes some frames
            for extra in ({"timeOffStartDate": "2026-01-01"}, {"employeeFirstName": "Ada"}):
                try:
                    at_depth(used, nested(depth, extra=extra))
                except WebhookShapeError:
                    pass                  # a 400; any other exception fails the test
                else:
                    raise AssertionError("a body nested %d deep must be refused" % depth)


# --- headers -------------------------------------------------------------------------------------------

header_text = st.text(max_size=200) | st.none() | st.integers() | st.binary(max_size=40) | st.builds(
    lambda user, password: "Basic " + base64.b64encode(user + b":" + password).decode(),
    st.binary(max_size=20), st.binary(max_size=20))


@given(header_text, st.text(max_size=20), st.text(max_size=20))
def test_any_authorization_header_is_a_yes_or_no(header, username, password):
    assert check_basic_auth(header, username, password) in (True, False)


@given(st.text(max_size=60) | st.none() | st.integers(),
       st.lists(st.text(max_size=30), max_size=4) | st.text(max_size=80) | st.none())
@example("::ffff:198.245.157.1", ["198.245.157.0/24"])
@example("[::1]", "::1/128")
def test_any_sender_address_and_allow_list_is_a_yes_or_no(address, cidrs):
    assert ip_allowed(address, cidrs) in (True, False)


@given(st.text(max_size=120) | st.lists(st.text(max_size=30), max_size=5) | st.none())
def test_any_allow_list_text_is_normalised_or_refused_clearly(text):
    try:
        result = parse_cidrs(text)
    except ConfigurationError as exc:
        assert "is not an IP address or CIDR range" in str(exc)
    else:
        assert isinstance(result, tuple)
        assert parse_cidrs(",".join(result)) == result     # normalising twice changes nothing
