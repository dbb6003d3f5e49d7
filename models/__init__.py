# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from . import encryption
from . import paylocity_connection
from . import paylocity_code
from . import paylocity_employee
from . import paylocity_connection_webhook
from . import paylocity_event
from . import paylocity_event_attempt
from . import paylocity_connection_sync
from . import paylocity_event_employee
from . import hr_employee
from . import paylocity_token
from . import res_config_settings
