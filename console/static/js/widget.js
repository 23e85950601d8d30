// Concierge's chat widget for a shop's own pages. One tag embeds it:
//
//   <script src="https://concierge.example/widget.js" data-identity="TOKEN" async></script>
//
// data-identity is the short-lived identity the shop's server signed for its logged-in
// customer (leave it out for visitors: they chat as guests). The script draws a launcher;
// on the first click it opens the chat from the console's origin in an iframe and hands
// the identity over by postMessage, to that origin only and only once (never in a URL).
// Optional: data-label (the launcher's text), data-open="true" (open at once).
(() => {
  const script = document.currentScript;
  if (!script || window.__conciergeWidget) return;
  window.__conciergeWidget = true;
  const consoleOrigin = new URL(script.src).origin;
  let identity = script.dataset.identity || null;
  const label = script.dataset.label || "Chat with us";

  const launcher = document.createElement("button");
  launcher.type = "button";
  launcher.id = "concierge-launcher";
  launcher.textContent = label;
  launcher.setAttribute("aria-expanded", "false");
  Object.assign(launcher.style, {
    position: "fixed", right: "20px", bottom: "20px", zIndex: "2147483000",
    padding: "12px 18px", borderRadius: "999px", border: "0", cursor: "pointer",
    background: "#1f5f8b", color: "#fff", font: "600 15px system-ui, sans-serif",
    boxShadow: "0 4px 14px rgba(0,0,0,.2)",
  });

  let frame = null;

  function openFrame() {
    frame = document.createElement("iframe");
    frame.id = "concierge-chat";
    frame.title = "Chat with the shop's customer service";
    frame.src = `${consoleOrigin}/widget`;
    frame.setAttribute("allow", "clipboard-write");
    Object.assign(frame.style, {
      position: "fixed", right: "20px", bottom: "76px", zIndex: "2147483000",
      width: "min(380px, calc(100vw - 40px))", height: "min(600px, calc(100vh - 100px))",
      border: "1px solid #d0d7de", borderRadius: "12px", background: "#fff",
      boxShadow: "0 8px 30px rgba(0,0,0,.25)",
    });
    document.body.append(frame);
  }

  window.addEventListener("message", (event) => {
    if (!frame || event.source !== frame.contentWindow || event.origin !== consoleOrigin) return;
    if (event.data && event.data.type === "concierge:ready") {
      // Once: the token is single-use, and a reloaded frame should not replay it.
      frame.contentWindow.postMessage({ type: "concierge:identity", identity }, consoleOrigin);
      identity = null;
    }
  });

  launcher.addEventListener("click", () => {
    if (!frame) openFrame();
    else frame.hidden = !frame.hidden;
    launcher.setAttribute("aria-expanded", String(!frame.hidden));
  });

  function mount() {
    document.body.append(launcher);
    if (script.dataset.open === "true") launcher.click();
  }
  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);
})();
