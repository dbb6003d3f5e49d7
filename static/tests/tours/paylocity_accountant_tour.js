/**
 * The accountant's journey: from the overview to a pay run held in Needs mapping with its code named, draft
 * mappings created from the run, an account chosen, Post, and the entry opened from the run.
 */
import { registry } from "@web/core/registry";
import { tourData } from "./paylocity_tour_data";

registry.category("web_tour.tours").add("paylocity_accountant_tour", {
    url: "/odoo/paylocity",
    steps: () => {
        const data = tourData();
        return [
            {
                content: "The overview counts one run waiting for a mapping",
                trigger: `.o_kanban_record:contains('${data.connection}') button[name='action_overview_runs_needs_mapping']:contains('1')`,
                run: "click",
            },
            {
                content: "Open the held run",
                trigger: ".o_list_view .o_data_row:contains('Needs mapping') .o_data_cell",
                run: "click",
            },
            {
                content: "The run names the code it cannot map",
                trigger: `.o_form_view .alert-warning:contains('${data.code}')`,
            },
            {
                content: "and lists it with its amount",
                trigger: `.o_notebook div[name='unmapped_ids'] .o_data_row:contains('${data.code}')`,
            },
            {
                content: "Create draft mappings for it",
                trigger: ".o_form_statusbar button[name='action_create_draft_rules']",
                run: "click",
            },
            {
                content: "One draft mapping made",
                trigger: ".o_notification:contains('1 draft mapping(s) created')",
            },
            {
                content: "Open the mappings",
                trigger: ".o_main_navbar .o-dropdown:contains('Configuration')",
                run: "click",
            },
            {
                trigger: ".o-dropdown--menu .dropdown-item:contains('Mappings')",
                run: "click",
            },
            {
                content: "Choose the draft mapping's debit account",
                trigger: `.o_list_view .o_data_row:contains('${data.code}') .o_data_cell[name='debit_account_id']`,
                run: "click",
            },
            {
                trigger: ".o_selected_row .o_field_widget[name='debit_account_id'] input",
                run: `edit ${data.account}`,
            },
            {
                trigger: `.o-autocomplete--dropdown-menu .dropdown-item:contains('${data.account}')`,
                run: "click",
            },
            { content: "Save the mapping", trigger: ".o_list_button_save", run: "click" },
            {
                content: "Saved, with no problem left",
                trigger: `.o_list_view .o_data_row:not(.o_selected_row):contains('${data.code}'):contains('${data.account}')`,
            },
            {
                content: "Back to the run",
                trigger: ".o_main_navbar .o-dropdown:contains('Operations')",
                run: "click",
            },
            {
                trigger: ".o-dropdown--menu .dropdown-item:contains('Pay Runs')",
                run: "click",
            },
            {
                trigger: ".o_list_view .o_data_row:contains('Needs mapping') .o_data_cell",
                run: "click",
            },
            {
                content: "Post it",
                trigger: ".o_form_statusbar button[name='action_post']",
                run: "click",
            },
            {
                content: "The run is posted",
                trigger: ".o_form_statusbar .o_statusbar_status .o_arrow_button_current:contains('Posted')",
            },
            {
                content: "Open its entry",
                trigger: "button.oe_stat_button[name='action_view_entry']",
                run: "click",
            },
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
        ];
    },
});
