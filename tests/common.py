# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
import logging
import socket
from contextlib import contextmanager

from odoo.tests import TransactionCase, new_test_user

from ..paylocity.hosts import sandbox_hosts
from ..sandbox import SandboxServer

ADMIN_GROUP = 'paylocity_connector.group_paylocity_admin'
USER_GROUP = 'paylocity_connector.group_paylocity_user'


def closed_port_url():
    """An http URL on 127.0.0.1 where nothing listens (the port was free a moment ago)."""
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        port = sock.getsockname()[1]
    return 'http://127.0.0.1:%d' % port


class _Capture(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.lines = []

    def emit(self, record):
        try:
            self.lines.append(record.getMessage())
        except Exception:  # noqa: BLE001 - a broken log call must not break the capture
            self.lines.append(str(record.msg))


class PaylocityCase(TransactionCase):
    """A real sandbox on 127.0.0.1, two companies, a Paylocity user and administrator, and one connection.

    The registry is in test mode, so the token cache's separate cursors work inside the test transaction.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.registry_enter_test_mode_cls()
        cls.sandbox = SandboxServer(seed=1, employees=5, companies=('C1001', 'C2002'))
        cls.sandbox.start()
        cls.addClassCleanup(cls.sandbox.stop)

        # Start from no connection at all (the demo one would collide with the unique constraints).
        cls.env['paylocity.connection'].with_context(active_test=False).search([]).unlink()

        cls.company = cls.env.company
        cls.other_company = cls.env['res.company'].create({'name': 'Paylocity Other Co'})
        cls.admin_user = new_test_user(
            cls.env, login='pl_admin', groups='base.group_user,%s' % ADMIN_GROUP,
            company_id=cls.company.id, company_ids=[(6, 0, [cls.company.id])])
        cls.user = new_test_user(
            cls.env, login='pl_user', groups='base.group_user,%s' % USER_GROUP,
            company_id=cls.company.id, company_ids=[(6, 0, [cls.company.id])])
        cls.connection = cls.make_connection()

    def setUp(self):
        super().setUp()
        self.sandbox.reset_calls()
        self.sandbox.clear_faults()

    @classmethod
    def make_connection(cls, paylocity_company='C1001', credentials_of=None, sandbox=None,
                        families=('weblink', 'nextgen'), **values):
        """A connection to the sandbox company ``paylocity_company``; ``credentials_of`` picks whose sandbox
        credentials it gets; ``values`` override the rest (e.g. ``company_id``)."""
        sandbox = sandbox or cls.sandbox
        hosts = sandbox_hosts(sandbox.base_url)
        vals = {
            'name': 'Sandbox %s' % paylocity_company,
            'paylocity_company_code': paylocity_company,
            'environment': 'test',
            'company_id': cls.company.id,
            'weblink_base_url': hosts.weblink_base,
            'weblink_token_url': hosts.weblink_token,
            'nextgen_base_url': hosts.nextgen_base,
            'nextgen_token_url': hosts.nextgen_token,
            'request_timeout': 10,  # Odoo's test harness raises shorter ones to 10 s anyway
        }
        vals.update(values)
        connection = cls.env['paylocity.connection'].create(vals)
        creds = sandbox.credentials(credentials_of or paylocity_company)
        if 'weblink' in families:
            connection._set_credentials('weblink', creds.weblink_client_id, creds.weblink_client_secret)
        if 'nextgen' in families:
            connection._set_credentials('nextgen', creds.nextgen_client_id, creds.nextgen_client_secret)
        return connection

    def raw_row(self, connection):
        """The connection's row as PostgreSQL holds it (no ORM, no decryption)."""
        self.env.flush_all()
        self.env.cr.execute('SELECT * FROM paylocity_connection WHERE id = %s', (connection.id,))
        columns = [desc[0] for desc in self.env.cr.description]
        return dict(zip(columns, self.env.cr.fetchone()))

    @contextmanager
    def capture_logs(self):
        """Every log line emitted (at the loggers' own levels) while the block runs."""
        handler = _Capture()
        root = logging.getLogger()
        root.addHandler(handler)
        try:
            yield handler.lines
        finally:
            root.removeHandler(handler)
