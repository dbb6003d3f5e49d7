# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from ..paylocity.tests.hypothesis_profiles import load_profile

load_profile()   # the property tests' profile, as in the plain suite (PAYLOCITY_HYPOTHESIS_PROFILE)

from . import test_connection_check
from . import test_connection_model
from . import test_connection_hosts
from . import test_event_processing
from . import test_neutralize
from . import test_secrets
from . import test_security
from . import test_token_store
from . import test_rate_window
from . import test_webhook_credentials
from . import test_webhook_intake
from . import test_webhook_intake_properties
from . import test_event_wakeup
from . import test_employee_sync
from . import test_payroll_posting
from . import test_payroll_never_twice
from . import test_payroll_holds
from . import test_payroll_failures
from . import test_payroll_employee_list
from . import test_gl_rule
from . import test_payroll_webhook_http
from . import test_employee_poll
from . import test_employee_push
from . import test_employee_self_service
from . import test_employee_companies
from . import test_reference_data
from . import test_overview
from . import test_tours
from . import test_job_queue
from . import test_payroll_verification
from . import test_payroll_cash
from . import test_fault_matrix
from . import test_access
