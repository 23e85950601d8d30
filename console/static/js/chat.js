// The customer chat page: one WebSocket to /ws/chat, messages rendered as text only.
// The same script runs the widget's frame (data-mode="widget", see console/chat/widget.py):
// there it first takes the shop-signed identity from the embedding page (postMessage, only
// from a trusted origin), trades it for a chat ticket at /widget/session, and offers the
// ticket as a WebSocket subprotocol instead of relying on a (third-party) cookie.
//
// Every piece of text from the customer, the assistant or an agent goes into the page
// through textContent (never parsed as HTML), so markup in a message shows literally.

const chat = document.getElementById("chat");
const scroller = document.getElementById("chat-scroll");
const list = document.getElementById("messages");
const typing = document.getElementById("typing-indicator");
const statusBar = document.getElementById("connection-status");
const composer = document.getElementById("composer");
const input = document.getElementById("message-input");
const sendButton = document.getElementById("send-button");
const counter = document.getElementById("char-counter");

const MAX_CHARS = Number(chat.dataset.maxChars) || 1000;
const WIDGET = chat.dataset.mode === "widget";
const PARENT_ORIGINS = [location.origin, ...(chat.dataset.parentOrigins || "").split(" ").filter(Boolean)];
// A frame opened without a page to hand it an identity chats as a guest after this wait.
const IDENTITY_WAIT_MS = 2000;
const CHAT_PROTOCOL = "concierge-chat";
const CLOSE_CHAT_EXPIRED = 4401;
const CLOSE_TOO_BIG = 1009;
const OFFLINE_TEXT = "You're offline, so that message wasn't sent. We're reconnecting — press Retry in a moment.";
const LOST_TEXT = "The connection dropped before the assistant answered. Press Retry to send it again.";

const state = {
  ws: null,
  nextId: 1,
  pending: new Map(), // message id -> {li, text}
  reconnectDelay: 500,
  ended: false,
  ticket: null, // the widget's signed sender id; the full page uses its cookie instead
};

function el(tag, className, attrs = {}) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  return node;
}

function scrollToEnd() {
  scroller.scrollTop = scroller.scrollHeight;
}

function addBubble(role, text, { author = null, image = null } = {}) {
  const li = el("li", `message message--${role}`, { "data-role": role, "data-testid": "message" });
  if (author) {
    const who = el("span", "message-author", { "data-testid": "message-author" });
    who.textContent = author;
    li.append(who);
  }
  if (text) {
    const bubble = el("p", "bubble", { "data-testid": "bubble-text" });
    bubble.textContent = text;
    li.append(bubble);
  }
  if (image) {
    const img = el("img", "bubble-image", {
      "data-testid": "bubble-image",
      alt: "Image sent by the assistant",
      loading: "lazy",
      referrerpolicy: "no-referrer",
    });
    img.src = image;
    img.addEventListener("load", scrollToEnd);
    li.append(img);
  }
  list.append(li);
  scrollToEnd();
  return li;
}

function addNotice(text) {
  const li = addBubble("system", text);
  li.setAttribute("role", "alert");
  return li;
}

function addQuickReplies(buttons) {
  const group = el("li", "quick-replies", {
    "data-testid": "quick-replies",
    role: "group",
    "aria-label": "Suggested replies",
  });
  for (const { title, payload } of buttons) {
    const button = el("button", "quick-reply", { type: "button", "data-testid": "quick-reply" });
    button.textContent = title;
    button.dataset.payload = payload;
    button.addEventListener("click", () => {
      button.classList.add("quick-reply--chosen");
      sendMessage(payload, title);
    });
    group.append(button);
  }
  list.append(group);
  scrollToEnd();
}

function retireQuickReplies() {
  for (const button of list.querySelectorAll(".quick-replies:not(.quick-replies--used) button")) {
    button.disabled = true;
  }
  for (const group of list.querySelectorAll(".quick-replies")) group.classList.add("quick-replies--used");
}

function renderAssistantMessages(role, messages) {
  for (const message of messages) {
    const author = role === "agent" ? `${message.name || "Support agent"} · customer service` : null;
    if (message.text || message.image || author) {
      addBubble(role, message.text, { author, image: message.image });
    }
    if (Array.isArray(message.buttons) && message.buttons.length) addQuickReplies(message.buttons);
  }
}

function updateTyping() {
  typing.hidden = state.pending.size === 0;
  if (!typing.hidden) scrollToEnd();
}

function setStatus(kind, text) {
  statusBar.dataset.state = kind;
  statusBar.textContent = text || "";
  statusBar.hidden = !text;
}

function markFailed(li, text) {
  li.classList.add("message--failed");
  li.querySelector(".message-status")?.remove();
  const status = el("span", "message-status", { "data-testid": "message-status" });
  status.append("Not delivered · ");
  const retry = el("button", "link-button", { type: "button", "data-testid": "retry" });
  retry.textContent = "Retry";
  retry.addEventListener("click", () => {
    status.remove();
    li.classList.remove("message--failed");
    deliver(li, text);
  });
  status.append(retry);
  li.append(status);
}

function failPending(noticeText) {
  if (state.pending.size === 0) return;
  for (const { li, text } of state.pending.values()) markFailed(li, text);
  state.pending.clear();
  updateTyping();
  addNotice(noticeText);
}

function deliver(li, text) {
  const ws = state.ws;
  if (!ws || ws.readyState !== WebSocket.OPEN) {
    markFailed(li, text);
    addNotice(state.ended ? "This chat has ended. Start a new chat from the front page." : OFFLINE_TEXT);
    return;
  }
  const id = `c${state.nextId++}`;
  state.pending.set(id, { li, text });
  ws.send(JSON.stringify({ type: "message", id, text }));
  updateTyping();
}

function sendMessage(text, shownText = text) {
  if (!text.trim() || state.ended) return;
  retireQuickReplies();
  document.getElementById("chat-welcome")?.classList.add("chat-welcome--compact");
  const li = addBubble("customer", shownText);
  deliver(li, text);
}

function handleFrame(raw) {
  let frame;
  try {
    frame = JSON.parse(raw);
  } catch {
    return;
  }
  const entry = frame.reply_to ? state.pending.get(frame.reply_to) : undefined;
  if (entry) state.pending.delete(frame.reply_to);

  if (frame.type === "ready") {
    chat.dataset.connected = "true";
  } else if (frame.type === "bot" || frame.type === "agent") {
    renderAssistantMessages(frame.type, frame.messages || []);
  } else if (frame.type === "error") {
    if (entry && frame.code !== "empty_message") markFailed(entry.li, entry.text);
    addNotice(frame.text || "Something went wrong — please try again.");
  }
  updateTyping();
}

function endChat() {
  state.ended = true;
  input.disabled = true;
  sendButton.disabled = true;
  setStatus("ended", "");
  if (WIDGET) {
    statusBar.replaceChildren("This chat has ended. Reload the page to start a new one.");
  } else {
    statusBar.replaceChildren("This chat has ended. ");
    const link = el("a", "", { href: "/", "data-testid": "start-again" });
    link.textContent = "Start a new chat";
    statusBar.append(link);
  }
  statusBar.hidden = false;
}

function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const url = `${scheme}://${location.host}/ws/chat`;
  const ws = state.ticket ? new WebSocket(url, [CHAT_PROTOCOL, `ticket.${state.ticket}`]) : new WebSocket(url);
  state.ws = ws;
  ws.addEventListener("open", () => {
    state.reconnectDelay = 500;
    setStatus("online", "");
  });
  ws.addEventListener("message", (event) => handleFrame(event.data));
  ws.addEventListener("close", (event) => {
    chat.dataset.connected = "false";
    if (state.ws !== ws) return;
    if (event.code === CLOSE_CHAT_EXPIRED) {
      failPending("This chat has ended, so that message wasn't sent.");
      endChat();
      return;
    }
    failPending(event.code === CLOSE_TOO_BIG ? "That message is too long to send. Please shorten it." : LOST_TEXT);
    setStatus("reconnecting", "Connection lost — reconnecting…");
    setTimeout(connect, state.reconnectDelay);
    state.reconnectDelay = Math.min(state.reconnectDelay * 2, 10000);
  });
}

function refreshComposer() {
  const length = input.value.length;
  counter.textContent = `${length} / ${MAX_CHARS}`;
  counter.classList.toggle("counter--near", length >= MAX_CHARS * 0.9);
  sendButton.disabled = state.ended || !input.value.trim();
  input.style.height = "auto";
  input.style.height = `${input.scrollHeight}px`;
}

function submitComposer() {
  const text = input.value.slice(0, MAX_CHARS);
  if (!text.trim()) return;
  sendMessage(text);
  input.value = "";
  refreshComposer();
  input.focus();
}

composer.addEventListener("submit", (event) => {
  event.preventDefault();
  submitComposer();
});
input.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    submitComposer();
  }
});
input.addEventListener("input", refreshComposer);
for (const starter of document.querySelectorAll("[data-testid='starter']")) {
  starter.addEventListener("click", () => sendMessage(starter.dataset.text));
}

function receiveIdentity() {
  // The embedding page answers "ready" with the identity its server signed (or none).
  return new Promise((resolve) => {
    if (window.parent === window) {
      resolve(null);
      return;
    }
    const timer = setTimeout(() => resolve(null), IDENTITY_WAIT_MS);
    window.addEventListener("message", function onMessage(event) {
      if (event.source !== window.parent || !PARENT_ORIGINS.includes(event.origin)) return;
      if (!event.data || event.data.type !== "concierge:identity") return;
      clearTimeout(timer);
      window.removeEventListener("message", onMessage);
      resolve(typeof event.data.identity === "string" ? event.data.identity : null);
    });
    window.parent.postMessage({ type: "concierge:ready" }, "*");
  });
}

function showWho(customer) {
  const who = document.getElementById("chat-identity");
  const name = el("strong", "");
  name.textContent = customer ? customer.name : "guest";
  who.replaceChildren(customer ? "Signed in as " : "Chatting as ", name);
  if (customer) document.getElementById("chat-greeting").textContent = `Hi ${customer.name}! How can we help?`;
}

async function startWidget() {
  const identity = await receiveIdentity();
  let answer = null;
  try {
    const response = await fetch("/widget/session", {
      method: "POST",
      credentials: "omit",
      headers: { "Content-Type": "application/json", "X-Concierge-Widget": "1" },
      body: JSON.stringify({ identity }),
    });
    if (response.ok) answer = await response.json();
  } catch {
    answer = null;
  }
  if (!answer || !answer.ticket) {
    state.ended = true;
    input.disabled = true;
    setStatus("ended", "The chat could not start just now. Please reload the page to try again.");
    return;
  }
  state.ticket = answer.ticket;
  showWho(answer.customer);
  connect();
}

refreshComposer();
if (WIDGET) startWidget();
else connect();
input.focus();
