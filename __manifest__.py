# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
{
    'name': 'Paylocity Connector',
    'version': '19.0.2.2.0',
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
        'data/ir_cron_data.xml',
        'views/paylocity_connection_views.xml',
        'views/paylocity_code_views.xml',
        'views/paylocity_employee_views.xml',
        'views/hr_employee_views.xml',
        'views/paylocity_event_views.xml',
        'views/paylocity_gl_rule_views.xml',
        'views/paylocity_pay_run_views.xml',
        'views/paylocity_reconciliation_views.xml',
        'views/paylocity_overview_views.xml',
        'views/res_config_settings_views.xml',
        'views/paylocity_menus.xml',
        'wizards/paylocity_webhook_credentials_views.xml',
        'wizards/paylocity_pay_run_repost_views.xml',
    ],
    'demo': [
        'data/paylocity_demo.xml',
        'data/paylocity_employee_demo.xml',
        'data/paylocity_payroll_demo.xml',
    ],
    'assets': {
        'web.assets_backend': [
            'paylocity_connector/static/src/scss/paylocity_overview.scss',
        ],
        'web.assets_tests': [
            'paylocity_connector/static/tests/tours/**/*',
        ],
    },
    'application': True,
    'installable': True,
    'sequence': 190,
}
