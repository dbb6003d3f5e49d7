# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""Property-based attack on the webhook route, in real Odoo over real HTTP: whatever body and content type arrive,
the answer is 2xx or 4xx (never 5xx), a refused body is never stored (only the refusal's metadata, counted), and an
accepted one is exactly one event."""
import json

from hypothesis import given, settings
from hypothesis import strategies as st

from odoo.tests import HttpCase, tagged

from .common import employee_change_body, new_hire_body, payroll_body, time_off_body
from .test_webhook_intake import QUIET, WebhookHttpMixin

# Keys the classifier reads, so generated bodies reach its branches; values of any JSON type.
KEYS = ('companyId', 'employeeId', 'processId', 'checkDate', 'runId', 'timeOffStartDate', 'hoursPerDay',
        'terminationDate', 'employeeHireDate', 'employeeGender', 'employeeFirstName', 'employeeCostCenter1')
scalars = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20)
           | st.sampled_from(['W1001', 'W2002', 'E1', '2026011601', '2026-01-16', '01/16/2026']))
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=8)
shaped = st.fixed_dictionaries({}, optional={key: json_values for key in KEYS})
valid = st.sampled_from([new_hire_body('E500'), employee_change_body('E501'), payroll_body('2026011601'),
                         time_off_body('E502'), new_hire_body('E503', company='W2002')])
bodies = st.one_of(   # half of them Paylocity's own bodies (accepted, or refused for another company)
    valid.map(lambda body: json.dumps(body).encode()),
    st.one_of(
        st.binary(max_size=400),
        st.binary(min_size=4097, max_size=4200),                      # over the test limit (4096 bytes)
        json_values.map(lambda value: json.dumps(value).encode()),
        shaped.map(lambda body: json.dumps(body).encode()),
        st.sampled_from([b'{"companyId": "W1001", "employeeId": "E1", "x": ' + b'[' * 1000 + b']' * 1000 + b'}',
                         b'companyId=W1001&employeeId=E1', b'\xef\xbb\xbf{}', b'{"a": NaN}', b'{"a": "\\ud800"}']),
    ).map(bytes),   # mapped, so that one_of does not flatten it into the outer choice
)
content_types = st.one_of(
    st.sampled_from(['application/json', 'application/json; charset=latin-1', 'application/x-www-form-urlencoded',
                     'multipart/form-data; boundary=x', 'multipart/form-data', 'text/plain', 'application/octet-stream',
                     '*/*', 'application/json; boundary=']),
    st.from_regex(r'\A[a-z]{1,8}/[a-z0-9.+-]{1,12}\Z'),
)


@tagged('post_install', '-at_install')
class TestWebhookIntakeProperties(WebhookHttpMixin, HttpCase):

    def state(self):
        """(events that are not refusals, refusals counted, refused rows that hold a payload)"""
        self.env.cr.execute("""
            SELECT count(*) FILTER (WHERE state != 'rejected'),
                   coalesce(sum(reject_count) FILTER (WHERE state = 'rejected'), 0),
                   count(*) FILTER (WHERE state = 'rejected' AND payload IS NOT NULL)
              FROM paylocity_event""")
        return self.env.cr.fetchone()

    @settings(max_examples=80)   # the rest from the profile (tests/__init__.py)
    @given(body=bodies, content_type=content_types, good_credentials=st.sampled_from([True, True, True, False]))
    def test_any_body_is_answered_2xx_or_4xx_and_a_refused_one_is_not_stored(self, body, content_type,
                                                                             good_credentials):
        events, refusals, refused_payloads = self.state()
        with QUIET:
            response = self.post(data=body, auth=good_credentials, headers={'Content-Type': content_type})
        self.assertLess(response.status_code, 500, "never a server error")
        self.env.invalidate_all()
        after_events, after_refusals, after_refused_payloads = self.state()
        if response.status_code >= 300:
            self.assertGreaterEqual(response.status_code, 400)
            self.assertIn('error', response.json())
            self.assertEqual(after_events, events, "nothing is stored for a refused body")
            self.assertEqual(after_refusals, refusals + 1, "the refusal is counted")
        else:
            self.assertIn(response.json()['status'], ('received', 'duplicate'))
            self.assertEqual(after_events, events + 1, "an accepted body is one event")
            self.assertEqual(after_refusals, refusals)
        self.assertEqual(after_refused_payloads, refused_payloads, "a refused delivery never keeps a body")
