/**
 * The administrator's journey: Settings > Paylocity, a new connection with its credentials typed in,
 * Test connection answered with success by the sandbox, and a new webhook password shown once, never again.
 */
import { assertPageLacks, remember, tourData } from "./paylocity_tour_data";
import { addTour, click } from "./paylocity_tour_steps";

const field = (name) => `.o_form_view .o_field_widget[name='${name}'] input`;
const tab = (label) => `.o_notebook .nav-link:contains('${label}')`;

addTour("paylocity_admin_tour", "/odoo/settings", (data) => [
    click(".settings_tab .tab[data-key='paylocity_connector']", "Open the Paylocity section of the settings"),
    click("#paylocity_connections_setting button:contains('Connections')", "Go to the connections"),
    click(".o_list_view .o_list_button_add", "Create a connection"),
    { trigger: field("name"), run: `edit ${data.name}` },
    { trigger: field("paylocity_company_code"), run: `edit ${data.company}` },
    click(tab("Credentials"), "Credentials"),
    { trigger: field("weblink_client_identifier"), run: `edit ${data.weblink_client_identifier}` },
    { trigger: field("weblink_client_secret"), run: `edit ${data.weblink_client_secret}` },
    { trigger: field("nextgen_client_identifier"), run: `edit ${data.nextgen_client_identifier}` },
    { trigger: field("nextgen_client_secret"), run: `edit ${data.nextgen_client_secret}` },
    click(tab("Advanced"), "The sandbox's hosts"),
    { trigger: field("weblink_base_url"), run: `edit ${data.weblink_base_url}` },
    { trigger: field("weblink_token_url"), run: `edit ${data.weblink_token_url}` },
    { trigger: field("nextgen_base_url"), run: `edit ${data.nextgen_base_url}` },
    { trigger: field("nextgen_token_url"), run: `edit ${data.nextgen_token_url}` },
    click(tab("Accounting"), "Where net pay goes"),
    { trigger: field("payroll_net_pay_account_id"), run: `edit ${data.net_pay_account}` },
    click(`.o-autocomplete--dropdown-menu .dropdown-item:contains('${data.net_pay_account}')`),
    click(".o_form_button_save", "Save"),
    click(".o_form_saved", "Saved"),
    click(tab("Credentials")),
    {
        content: "The secrets are stored, and the inputs are empty again",
        trigger: ".o_notebook .badge.text-bg-success:contains('set')",
        run() {
            for (const name of ["weblink_client_secret", "nextgen_client_secret"]) {
                const input = document.querySelector(`.o_field_widget[name='${name}'] input`);
                if (!input || input.value) {
                    throw new Error(`the ${name} input shows a value after saving`);
                }
            }
        },
    },
    click(".o_form_view .o_form_statusbar button[name='action_test_connection']", "Test the connection"),
    {
        content: "Paylocity answered both APIs",
        trigger: ".o_notification:contains('WebLink: connected to company'):contains('NextGen: connected to company')",
    },
    {
        content: "The form shows the test succeeded",
        trigger: ".o_form_view .o_field_widget[name='last_test_state'] :contains('Succeeded')",
    },
    click(tab("Webhooks"), "Webhooks"),
    click(".o_form_view .o_form_statusbar button[name='action_new_webhook_credentials']",
          "Ask for a new webhook password"),
    click(".modal:contains('stops working') .modal-footer .btn-primary",
          "Confirm: the previous password stops working"),
    {
        content: "The password is shown once: note it",
        trigger: ".modal .o_field_widget[name='password']:not(:empty)",
        run() {
            const password = this.anchor.textContent.trim();
            if (password.length < 32) {
                throw new Error(`the dialog shows no full password: "${password}"`);
            }
            remember("password", password);
        },
    },
    {
        content: "with the URL and user name to give Paylocity",
        trigger: ".modal .o_field_widget[name='webhook_url']:contains('/paylocity/webhook/')",
    },
    click(".modal button[name='action_done']", "Close the dialog"),
    {
        content: "The form says a password is set, and does not show it",
        trigger: "body:not(:has(.modal)) .o_notebook .badge:contains('set (hashed')",
        run() {
            assertPageLacks(tourData().password, "after the dialog closed");
        },
    },
    {
        content: "Open the connection afresh",
        trigger: "body",
        run() {
            window.location.reload();
        },
        expectUnloadPage: true,
    },
    click(tab("Webhooks"), "Webhooks, again"),
    {
        content: "The password is never shown again",
        trigger: ".o_notebook .badge:contains('set (hashed')",
        run() {
            assertPageLacks(tourData().password, "when the connection is opened again");
        },
    },
]);
