/**
 * The HR administrator's journey: a failed event found in Events, its error read, Replay pressed, the event
 * done, and the employee it produced opened.
 */
import { addTour, click, openMenu } from "./paylocity_tour_steps";

addTour("paylocity_event_tour", "/odoo/paylocity", (data) => [
    ...openMenu("Operations", "Events"),
    click(".o_list_view .o_data_row:contains('Failed') .o_data_cell[name='name']", "Open the failed event"),
    {
        content: "Read why it failed",
        trigger: `.o_form_view .alert-danger:contains('${data.error}')`,
    },
    click(".o_form_statusbar button[name='action_replay']:contains('Replay')", "Replay it"),
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
    click(".o_form_view .o_field_widget[name='employee_id'] a", "Open the employee it produced"),
    {
        content: "The employee, as Paylocity knows them",
        trigger: ".o_form_view .o_field_widget[name='name'] input",
        run() {
            if (!this.anchor.value.includes(data.employee)) {
                throw new Error(`the employee opened is "${this.anchor.value}", not "${data.employee}"`);
            }
        },
    },
]);
