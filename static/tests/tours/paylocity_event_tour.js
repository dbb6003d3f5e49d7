/**
 * The HR administrator's journey: a failed event found in Events, its error read, Replay pressed, the event
 * done, and the employee it produced opened.
 */
import { registry } from "@web/core/registry";
import { tourData } from "./paylocity_tour_data";

registry.category("web_tour.tours").add("paylocity_event_tour", {
    url: "/odoo/paylocity",
    steps: () => {
        const data = tourData();
        return [
            {
                content: "Operations",
                trigger: ".o_main_navbar .o-dropdown:contains('Operations')",
                run: "click",
            },
            {
                trigger: ".o-dropdown--menu .dropdown-item:contains('Events')",
                run: "click",
            },
            {
                content: "Open the failed event",
                trigger: ".o_list_view .o_data_row:contains('Failed') .o_data_cell[name='name']",
                run: "click",
            },
            {
                content: "Read why it failed",
                trigger: `.o_form_view .alert-danger:contains('${data.error}')`,
            },
            {
                content: "Replay it",
                trigger: ".o_form_statusbar button[name='action_replay']:contains('Replay')",
                run: "click",
            },
            {
                content: "Queued",
                trigger: ".o_notification:contains('1 event(s) queued for replay')",
            },
            {
                content: "The event is done",
                trigger: ".o_form_statusbar .o_statusbar_status .o_arrow_button_current:contains('Done')",
            },
            {
                content: "and the error is gone",
                trigger: ".o_form_view:not(:has(.alert-danger))",
            },
            {
                content: "Open the employee it produced",
                trigger: ".o_form_view .o_field_widget[name='employee_id'] a",
                run: "click",
            },
            {
                content: "The employee, as Paylocity knows them",
                trigger: ".o_form_view .o_field_widget[name='name'] input",
                run() {
                    if (!this.anchor.value.includes(data.employee)) {
                        throw new Error(`the employee opened is "${this.anchor.value}", not "${data.employee}"`);
                    }
                },
            },
        ];
    },
});
