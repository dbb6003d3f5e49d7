/**
 * What the Paylocity tours share: their registration with the test's data (paylocity_tour_data.js), and the
 * steps they all take (a click, a menu of the app's top bar).
 */
import { registry } from "@web/core/registry";
import { tourData } from "./paylocity_tour_data";

/** Register the tour ``name`` starting at ``url``; ``steps(data)`` builds its steps from the test's data. */
export function addTour(name, url, steps) {
    registry.category("web_tour.tours").add(name, { url, steps: () => steps(tourData()) });
}

/** Click ``trigger``; ``content`` says what for (a failed tour names it). */
export function click(trigger, content) {
    return content ? { content, trigger, run: "click" } : { trigger, run: "click" };
}

/** Open ``item`` of the top bar's ``menu``. */
export function openMenu(menu, item, content = menu) {
    return [
        click(`.o_main_navbar .o-dropdown:contains('${menu}')`, content),
        click(`.o-dropdown--menu .dropdown-item:contains('${item}')`),
    ];
}
