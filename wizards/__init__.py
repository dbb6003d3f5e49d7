# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from . import paylocity_webhook_credentials
from . import paylocity_pay_run_repost
