// The agent's live chat page: polls for customer messages and sends replies without reloading.
const live = document.getElementById("live");
const list = document.getElementById("live-messages");
const composer = document.getElementById("live-composer");
const input = document.getElementById("live-input");
const errorBox = document.getElementById("live-error");
const POLL_MS = 1000;
let lastId = Number(live.dataset.lastId || 0);

function show(message) {
  if (message.id <= lastId) return;
  lastId = message.id;
  const li = document.createElement("li");
  li.className = "live-message";
  li.dataset.author = message.author;
  li.setAttribute("data-testid", "live-message");
  li.textContent = message.text; // never innerHTML: customer text is untrusted
  list.append(li);
  list.scrollTop = list.scrollHeight;
}

function showError(text) {
  errorBox.textContent = text || "";
  errorBox.hidden = !text;
}

async function poll() {
  try {
    const response = await fetch(`/staff/handoffs/${live.dataset.handoffId}/messages?after=${lastId}`,
      { headers: { Accept: "application/json" }, credentials: "same-origin" });
    if (response.ok) {
      const body = await response.json();
      body.messages.forEach(show);
      live.dataset.status = body.status;
      live.dataset.connected = String(body.connected);
    }
  } catch {
    // The console restarted or the network blinked: try again on the next tick.
  }
  if (live.dataset.status === "taken") setTimeout(poll, POLL_MS);
}

if (composer) {
  composer.addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) return showError("Type a message before sending.");
    const response = await fetch(composer.action, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": live.dataset.csrf },
      body: JSON.stringify({ text }),
    });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) return showError(body.error || "The message could not be sent.");
    showError(body.delivered ? "" : "The customer's chat is not open; they will not see this now.");
    show(body.message);
    input.value = "";
    input.focus();
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      composer.requestSubmit();
    }
  });
}

live.dataset.ready = "true";
poll();
