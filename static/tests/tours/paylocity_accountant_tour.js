/**
 * The accountant's journey: from the overview to a pay run held in Needs mapping with its code named, draft
 * mappings created from the run, an account chosen, Post, and the entry opened from the run.
 */
import { addTour, click, openMenu } from "./paylocity_tour_steps";

addTour("paylocity_accountant_tour", "/odoo/paylocity", (data) => [
    click(`.o_kanban_record:contains('${data.connection}') button[name='action_overview_runs_needs_mapping']:contains('1')`,
          "The overview counts one run waiting for a mapping"),
    click(".o_list_view .o_data_row:contains('Needs mapping') .o_data_cell", "Open the held run"),
    {
        content: "The run names the code it cannot map",
        trigger: `.o_form_view .alert-warning:contains('${data.code}')`,
    },
    {
        content: "and lists it with its amount",
        trigger: `.o_notebook div[name='unmapped_ids'] .o_data_row:contains('${data.code}')`,
    },
    click(".o_form_statusbar button[name='action_create_draft_rules']", "Create draft mappings for it"),
    {
        content: "One draft mapping made",
        trigger: ".o_notification:contains('1 draft mapping(s) created')",
    },
    ...openMenu("Configuration", "Mappings", "Open the mappings"),
    click(`.o_list_view .o_data_row:contains('${data.code}') .o_data_cell[name='debit_account_id']`,
          "Choose the draft mapping's debit account"),
    {
        trigger: ".o_selected_row .o_field_widget[name='debit_account_id'] input",
        run: `edit ${data.account}`,
    },
    click(`.o-autocomplete--dropdown-menu .dropdown-item:contains('${data.account}')`),
    click(".o_list_button_save", "Save the mapping"),
    {
        content: "Saved, with no problem left",
        trigger: `.o_list_view .o_data_row:not(.o_selected_row):contains('${data.code}'):contains('${data.account}')`,
    },
    ...openMenu("Operations", "Pay Runs", "Back to the run"),
    click(".o_list_view .o_data_row:contains('Needs mapping') .o_data_cell"),
    click(".o_form_statusbar button[name='action_post']", "Post it"),
    {
        content: "The run is posted",
        trigger: ".o_form_statusbar .o_statusbar_status .o_arrow_button_current:contains('Posted')",
    },
    click("button.oe_stat_button[name='action_view_entry']", "Open its entry"),
    {
        content: "The journal entry, posted, made from this run",
        trigger: ".o_form_view .o_statusbar_status .o_arrow_button_current:contains('Posted')",
    },
    {
        trigger: ".o_form_view .o_field_widget[name='ref']",
        run() {
            const input = this.anchor.querySelector("input");
            const value = input ? input.value : this.anchor.textContent;
            if (!value.includes(data.reference)) {
                throw new Error(`the entry's reference is "${value}", not the run's`);
            }
        },
    },
]);
