/**
 * Values a tour needs from its Python test (the sandbox's port and credentials change with every run).
 * The test stores them in sessionStorage before starting the tour; they survive the tour's page reloads.
 */
export const TOUR_DATA_KEY = "paylocity_connector.tour_data";

export function tourData() {
    return JSON.parse(window.sessionStorage.getItem(TOUR_DATA_KEY) || "{}");
}

export function remember(key, value) {
    window.sessionStorage.setItem(TOUR_DATA_KEY, JSON.stringify({ ...tourData(), [key]: value }));
}

export function assertPageLacks(text, where) {
    if (!text) {
        throw new Error(`nothing to look for ${where}`);
    }
    if (document.documentElement.outerHTML.includes(text)) {
        throw new Error(`the page still shows the webhook password ${where}`);
    }
}
