// Saves the answers on a consultation page every few seconds while someone types,
// so nothing is lost if the phone dies. Without JavaScript, answers are saved on Continue.
const INTERVAL_MS = 8000;

export function startAutosave(form) {
  const url = form.dataset.autosave;
  let lastSent = new URLSearchParams(new FormData(form)).toString();
  const status = document.createElement("p");
  status.className = "govuk-body-s";
  status.setAttribute("aria-live", "polite");
  form.append(status);

  setInterval(async () => {
    const body = new URLSearchParams(new FormData(form));
    const current = body.toString();
    if (current === lastSent) return;
    try {
      const response = await fetch(url, { method: "POST", body, credentials: "same-origin" });
      if (response.status === 204) {
        lastSent = current;
        status.textContent = "Your answers have been saved.";
      }
    } catch {
      // Offline for a moment: the next tick, or Continue, saves them.
    }
  }, INTERVAL_MS);
}
