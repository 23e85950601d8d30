// The live banner of the handoff queue and the conversations list: "N new conversations",
// "a customer is waiting for a person", without reloading the page.
// It asks /staff/live/summary what happened since the page was drawn. A console that
// consumes Rasa's events from the broker holds the request until something changes (long
// poll, asked again at once); otherwise the database answers and the page asks again later.
const banner = document.getElementById("live-feed");
const since = banner.dataset.liveSince;
const RETRY_MS = 5000;
const WAIT_SECONDS = 25;
let seen = null;

function plural(n, one, many) {
  return n === 1 ? one : many.replace("{n}", String(n));
}

function render(body) {
  const parts = [];
  if (body.handoff_requests > 0) {
    parts.push(plural(body.handoff_requests, "A customer is waiting for a person.",
      "{n} customers are waiting for a person."));
  }
  if (banner.dataset.liveShow === "conversations" && body.new_conversations > 0) {
    parts.push(plural(body.new_conversations, "1 new conversation.", "{n} new conversations."));
  }
  banner.textContent = parts.length ? `${parts.join(" ")} Reload to see them.` : "";
  banner.hidden = parts.length === 0;
  banner.dataset.source = body.source;
  banner.dataset.newConversations = String(body.new_conversations);
  banner.dataset.handoffRequests = String(body.handoff_requests);
}

async function ask() {
  let delay = RETRY_MS;
  try {
    const query = new URLSearchParams({ since, wait: String(WAIT_SECONDS) });
    if (seen) query.set("seen", seen);
    const response = await fetch(`/staff/live/summary?${query}`,
      { headers: { Accept: "application/json" }, credentials: "same-origin" });
    if (response.ok) {
      const body = await response.json();
      render(body);
      seen = `${body.new_conversations},${body.handoff_requests}`;
      delay = body.poll_ms;
    }
  } catch {
    // The console restarted or the network blinked: ask again after the pause.
  }
  setTimeout(ask, delay);
}

ask();
