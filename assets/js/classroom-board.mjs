// The class session board: fetches the results every few seconds and swaps them in when they change.
// The server answers 304 while nothing has changed. Without JavaScript, "Refresh results" reloads the page.
const board = document.getElementById("board-results");

if (board) {
  const url = board.dataset.liveUrl;
  const seconds = Number(board.dataset.pollSeconds || 3);
  let etag = null;

  const poll = async () => {
    if (document.hidden) return;
    try {
      const headers = etag ? { "If-None-Match": etag } : {};
      const response = await fetch(url, { credentials: "same-origin", headers, cache: "no-store" });
      if (response.status === 200) {
        etag = response.headers.get("ETag");
        const focusedName = document.activeElement && board.contains(document.activeElement)
          ? document.activeElement.closest("form")?.querySelector("[name=question_id]")?.value : null;
        board.innerHTML = await response.text();
        if (focusedName) board.querySelector(`[name=question_id][value="${focusedName}"]`)?.closest("form")?.querySelector("button")?.focus();
      }
    } catch {
      // A dropped connection: the next tick tries again.
    }
  };
  setInterval(poll, seconds * 1000);
}
