# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
{
    'name': 'Paylocity Connector',
    'version': '19.0.1.0.0',
    'category': 'Human Resources/Payroll',
    'summary': 'Keep employees and payroll journal entries in step with Paylocity',
    'author': 'paylocity_connector contributors',
    'license': 'LGPL-3',
    'depends': ['hr', 'account'],
    'external_dependencies': {
        'python': ['requests', 'cryptography', 'pydantic'],
    },
    'data': [
        'security/paylocity_security.xml',
        'security/ir.model.access.csv',
        'security/paylocity_employee_security.xml',
        'data/ir_cron_data.xml',
        'wizards/paylocity_webhook_credentials_views.xml',
        'views/paylocity_connection_views.xml',
        'views/res_config_settings_views.xml',
        'views/paylocity_menus.xml',
        'security/paylocity_event_security.xml',
        'data/ir_cron_events.xml',
        'views/paylocity_event_views.xml',
    ],
    'demo': [
        'data/paylocity_demo.xml',
    ],
    'application': True,
    'installable': True,
    'sequence': 190,
}
