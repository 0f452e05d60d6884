/*
 * The /demo page: a customer and an agent chatting, with the Coachline sidebar beside them.
 *
 * This page plays the part of a host page and of its backend: it asks the demo routes for a
 * browser token (GET /demo/token) and posts turns through POST /demo/conversations/{id}/turns,
 * which adds them with the demo tenant's key, as a chat platform's backend would. The sidebar
 * itself only ever sees the short-lived token.
 */
(function () {
  "use strict";

  const $ = (id) => document.getElementById(id);
  const els = {
    log: $("log"),
    error: $("error"),
    sidebar: $("sidebar"),
    conversationId: $("conversation-id"),
    newConversation: $("new-conversation"),
    customer: { form: $("customer-form"), text: $("customer-text"), send: $("customer-send") },
    agent: { form: $("agent-form"), text: $("agent-text"), send: $("agent-send") },
  };

  let conversationId = "";
  let sidebar = null;
  let generation = 0; // bumps on "New conversation": late answers for an old one are dropped

  function randomHex(bytes) {
    const values = crypto.getRandomValues(new Uint8Array(bytes));
    return Array.from(values, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  /** The server's words for a failed response ({"error": {"message"}}), else the status. */
  async function failure(response) {
    let data = null;
    try { data = await response.json(); } catch (_) { /* not JSON */ }
    const message = data && data.error && data.error.message;
    return new Error(message || `the server answered ${response.status} ${response.statusText}`.trim());
  }

  function showError(message) {
    els.error.textContent = message || "";
  }

  async function fetchToken(id) {
    const response = await fetch(`/demo/token?conversation_id=${encodeURIComponent(id)}`, { cache: "no-store" });
    if (!response.ok) throw await failure(response);
    return response.json();
  }

  function clearLog() {
    els.log.replaceChildren();
    const empty = document.createElement("p");
    empty.className = "empty";
    empty.textContent = "No messages yet. Write as the customer to start.";
    els.log.appendChild(empty);
  }

  function appendMessage(role, text) {
    const empty = els.log.querySelector(".empty");
    if (empty) empty.remove();
    const message = document.createElement("div");
    message.className = `msg msg-${role}`;
    const who = document.createElement("span");
    who.className = "who";
    who.textContent = role === "agent" ? "Agent" : "Customer";
    message.append(who, document.createTextNode(text));
    els.log.appendChild(message);
    els.log.scrollTop = els.log.scrollHeight;
  }

  /** Put an idea into the agent's reply (after a space when there is text already). */
  function insertIdea(text) {
    const box = els.agent.text;
    const current = box.value;
    box.value = current.trim() ? `${current.replace(/\s+$/, "")} ${text}` : text;
    box.focus();
    box.setSelectionRange(box.value.length, box.value.length);
    // Setting .value fires no "input" event; send one so the sidebar checks the new draft.
    box.dispatchEvent(new Event("input", { bubbles: true }));
  }

  async function startConversation() {
    const mine = ++generation;
    if (sidebar) { sidebar.destroy(); sidebar = null; }
    conversationId = `demo-${randomHex(8)}`;
    const id = conversationId;
    els.conversationId.textContent = id;
    clearLog();
    showError("");
    els.agent.text.value = "";
    try {
      const first = await fetchToken(id);
      if (mine !== generation) return;
      if (!window.Coachline) throw new Error("the sidebar script (/widget/coachline.js) did not load");
      sidebar = window.Coachline.mount(els.sidebar, {
        baseUrl: "",
        conversationId: id,
        token: first.token,
        expiresAt: first.expires_at,
        getToken: async () => {
          const fresh = await fetchToken(id);
          return { token: fresh.token, expires_at: fresh.expires_at };
        },
        draftInput: els.agent.text,
        onInsertIdea: insertIdea,
      });
    } catch (err) {
      if (mine === generation) showError(`Couldn't start the demo: ${err.message}`);
    }
  }

  async function send(role) {
    const pane = els[role];
    const text = pane.text.value.trim();
    if (!text || pane.send.disabled) return;
    const mine = generation;
    const id = conversationId;
    pane.send.disabled = true;
    showError("");
    try {
      const response = await fetch(`/demo/conversations/${encodeURIComponent(id)}/turns`, {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify({ role, text }),
      });
      if (!response.ok) throw await failure(response);
      if (mine !== generation) return; // a new conversation started meanwhile
      // Shown from here; the sidebar updates itself from its stream.
      appendMessage(role, text);
      pane.text.value = "";
      if (role === "agent") pane.text.dispatchEvent(new Event("input", { bubbles: true })); // clears the draft flags
    } catch (err) {
      if (mine === generation) showError(`Couldn't send the ${role}'s message: ${err.message}`);
    } finally {
      pane.send.disabled = false;
    }
  }

  for (const role of ["customer", "agent"]) {
    const pane = els[role];
    pane.form.addEventListener("submit", (event) => {
      event.preventDefault();
      send(role);
    });
    pane.text.addEventListener("keydown", (event) => {
      // Enter sends, Shift+Enter adds a line; never while an IME is composing text.
      if (event.key === "Enter" && !event.shiftKey && !event.altKey && !event.ctrlKey && !event.metaKey && !event.isComposing) {
        event.preventDefault();
        send(role);
      }
    });
  }
  els.newConversation.addEventListener("click", () => {
    startConversation();
    els.customer.text.focus();
  });

  startConversation();
})();
