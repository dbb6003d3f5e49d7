# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from . import test_connection_check
from . import test_connection_model
from . import test_event_processing
from . import test_neutralize
from . import test_secrets
from . import test_security
from . import test_token_store
from . import test_webhook_credentials
from . import test_webhook_intake
from . import test_employee_sync
from . import test_payroll_posting
from . import test_employee_poll
from . import test_employee_push
from . import test_employee_companies
from . import test_reference_data
