# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from . import webhook
