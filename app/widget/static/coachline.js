/*!
 * Coachline sidebar widget: live coaching beside a support agent's chat.
 *
 *   <script src="https://YOUR-HOST/widget/coachline.js"></script>
 *   const sidebar = Coachline.mount(element, {
 *     baseUrl: "", conversationId: "chat-4471", token, expiresAt,
 *     getToken: async () => ({ token, expires_at }),
 *     draftInput: textarea, onInsertIdea: (text) => {},
 *   });
 *   sidebar.destroy();
 *
 * One plain file: no build step, no dependencies, no network beyond the Coachline service.
 * Server text is only ever put into the page with textContent / text nodes (never innerHTML),
 * and there are no inline handlers or style attributes, so it runs under a strict CSP.
 */
(function (global) {
  "use strict";

  if (global.Coachline && typeof global.Coachline.mount === "function") return; // loaded twice

  const VERSION = "1.0.0";
  const REFRESH_LEAD_MS = 60 * 1000; // refresh the token this long before it expires
  const BACKOFF_START_MS = 500;
  const BACKOFF_MAX_MS = 10 * 1000;
  const DRAFT_DEBOUNCE_MS = 350;
  const EXCERPT_CONTEXT = 80; // characters of the customer's words shown each side of a cue's evidence
  const MAX_TIMER_MS = 2147483647; // setTimeout's ceiling (about 24.8 days)

  // ---------------------------------------------------------------------------------------------
  // Styles. Everything is scoped under .cl-root; a host can retheme through the --cl-* properties.
  // Installed as a constructed stylesheet where the browser has them: CSSOM is not subject to a
  // page's style-src CSP, unlike a <style> element (the fallback for older browsers).
  const CSS = `
.cl-root{--cl-bg:#fff;--cl-fg:#1c2430;--cl-muted:#55606e;--cl-line:#d5dae1;--cl-soft:#f4f6f9;
--cl-accent:#1d5fd1;--cl-focus:#1d5fd1;--cl-info:#1d5fd1;--cl-warn:#9a5b00;--cl-alert:#b3261e;--cl-ok:#1e7a3d;
--cl-mark:#fff0a8;box-sizing:border-box;display:block;min-width:0;max-width:100%;margin:0;padding:.75rem;
background:var(--cl-bg);color:var(--cl-fg);border:1px solid var(--cl-line);border-radius:.5rem;
font:inherit;font-size:.9375rem;line-height:1.45;overflow-wrap:anywhere;word-break:break-word}
.cl-root *,.cl-root *::before,.cl-root *::after{box-sizing:inherit}
.cl-root h2,.cl-root h3,.cl-root h4,.cl-root p,.cl-root ul,.cl-root blockquote{margin:0;padding:0}
.cl-root ul{list-style:none}
.cl-head{display:flex;flex-wrap:wrap;align-items:baseline;justify-content:space-between;gap:.25rem .75rem;
padding-bottom:.5rem;border-bottom:1px solid var(--cl-line)}
.cl-title{font-size:1.0625rem;font-weight:700}
.cl-status{display:inline-flex;align-items:center;gap:.4rem;font-size:.875rem;color:var(--cl-muted)}
.cl-dot{flex:none;width:.625rem;height:.625rem;border-radius:50%;background:var(--cl-muted);border:1px solid transparent}
.cl-root[data-state=live] .cl-dot{background:var(--cl-ok)}
.cl-root[data-state=offline] .cl-dot,.cl-root[data-state=limited] .cl-dot{background:var(--cl-warn)}
.cl-root[data-state=expired] .cl-dot,.cl-root[data-state=denied] .cl-dot{background:var(--cl-alert)}
.cl-root[data-state=connecting] .cl-dot,.cl-root[data-state=offline] .cl-dot{animation:cl-pulse 1.2s ease-in-out infinite alternate}
.cl-section{padding-top:.75rem}
.cl-section+.cl-section{margin-top:.75rem;border-top:1px solid var(--cl-line)}
.cl-h{font-size:.8125rem;font-weight:700;letter-spacing:.04em;text-transform:uppercase;color:var(--cl-muted);margin-bottom:.4rem}
.cl-h:focus{outline:none}
.cl-muted{color:var(--cl-muted);font-size:.875rem}
.cl-state-line{display:flex;flex-wrap:wrap;align-items:center;gap:.35rem .6rem}
.cl-label{font-size:1.0625rem;font-weight:700}
.cl-why-state{font-size:.875rem;color:var(--cl-muted)}
.cl-badge{display:inline-flex;align-items:center;gap:.25rem;padding:.05rem .5rem;border-radius:999px;font-size:.8125rem;
font-weight:700;border:1px solid currentColor}
.cl-badge-upset{color:var(--cl-alert)}
.cl-badge-calm{color:var(--cl-muted);font-weight:400}
.cl-trend{margin-top:.5rem}
.cl-trend svg{display:block;width:100%;height:2.5rem;overflow:visible;color:var(--cl-accent)}
.cl-trend[data-trend=worsening] svg{color:var(--cl-alert)}
.cl-trend[data-trend=improving] svg{color:var(--cl-ok)}
.cl-trend-zero{stroke:var(--cl-line);stroke-dasharray:3 3}
.cl-trend-text{font-size:.8125rem;color:var(--cl-muted)}
.cl-list>li+li{margin-top:.6rem}
.cl-cue{padding:.5rem .6rem;border:1px solid var(--cl-line);border-left:.3rem solid var(--cl-info);border-radius:.35rem;background:var(--cl-soft)}
.cl-cue.cl-sev-warn{border-left-color:var(--cl-warn)}
.cl-cue.cl-sev-alert{border-left-color:var(--cl-alert)}
.cl-sev{font-weight:700;margin-right:.25rem}
.cl-sev-info .cl-sev{color:var(--cl-info)}
.cl-sev-warn .cl-sev{color:var(--cl-warn)}
.cl-sev-alert .cl-sev{color:var(--cl-alert)}
.cl-words{margin-top:.35rem;padding-left:.6rem;border-left:2px solid var(--cl-line);font-size:.875rem;color:var(--cl-muted)}
.cl-root mark{background:var(--cl-mark);color:var(--cl-fg);padding:0 .1em;border-radius:.15em}
.cl-root mark::before,.cl-root mark::after{clip-path:inset(100%);clip:rect(1px,1px,1px,1px);height:1px;width:1px;
overflow:hidden;position:absolute;white-space:nowrap}
.cl-root mark::before{content:" [highlight start] "}
.cl-root mark::after{content:" [highlight end] "}
.cl-card{padding:.6rem;border:1px solid var(--cl-line);border-radius:.45rem;animation:cl-in .25s ease-out}
.cl-card-title{font-size:1rem;font-weight:700}
.cl-principle{margin-top:.15rem}
.cl-why{margin-top:.3rem;font-size:.875rem;color:var(--cl-muted)}
.cl-ideas{margin-top:.45rem}
.cl-ideas>li+li{margin-top:.35rem}
.cl-idea{display:block;width:100%;min-height:2.25rem;margin:0;padding:.45rem .6rem;font:inherit;font-size:.875rem;
line-height:1.4;text-align:left;white-space:normal;overflow-wrap:anywhere;color:var(--cl-fg);background:var(--cl-soft);
border:1px solid var(--cl-line);border-radius:.35rem;cursor:pointer}
.cl-idea:hover{border-color:var(--cl-accent);background:var(--cl-bg)}
.cl-root :focus-visible{outline:3px solid var(--cl-focus);outline-offset:2px}
.cl-idea:focus-visible{border-color:var(--cl-accent)}
.cl-flag{padding:.5rem .6rem;border:1px solid var(--cl-line);border-left:.3rem solid var(--cl-warn);border-radius:.35rem}
.cl-flag-kind{font-weight:700}
.cl-better{margin-top:.3rem;font-size:.875rem}
.cl-ok{color:var(--cl-ok);font-weight:700}
.cl-sr{position:absolute!important;width:1px;height:1px;margin:-1px;padding:0;overflow:hidden;clip:rect(0 0 0 0);clip-path:inset(50%);white-space:nowrap;border:0}
@keyframes cl-in{from{opacity:0;transform:translateY(.25rem)}to{opacity:1;transform:none}}
@keyframes cl-pulse{from{opacity:1}to{opacity:.35}}
@media (prefers-reduced-motion:reduce){.cl-root *,.cl-root *::before,.cl-root *::after{animation:none!important;transition:none!important}}
@media (forced-colors:active){.cl-dot,.cl-badge,.cl-cue,.cl-flag{border:1px solid CanvasText}.cl-root mark{forced-color-adjust:none;background:Highlight;color:HighlightText}}
`;

  let stylesInstalled = false;
  function installStyles() {
    if (stylesInstalled) return;
    stylesInstalled = true;
    const doc = global.document;
    try {
      if ("adoptedStyleSheets" in doc && typeof CSSStyleSheet === "function") {
        const sheet = new CSSStyleSheet();
        sheet.replaceSync(CSS);
        doc.adoptedStyleSheets = [...doc.adoptedStyleSheets, sheet];
        return;
      }
    } catch (_) {
      /* fall back to a <style> element */
    }
    const style = doc.createElement("style");
    style.setAttribute("data-coachline", VERSION);
    style.textContent = CSS;
    (doc.head || doc.documentElement).appendChild(style);
  }

  // ---------------------------------------------------------------------------------------------
  // Small helpers

  /** h("p", {class: "x", "data-testid": "y"}, "text", child) - attributes via setAttribute, text as text nodes. */
  function h(tag, attrs, ...children) {
    const el = global.document.createElement(tag);
    if (attrs) for (const [name, value] of Object.entries(attrs)) if (value != null && value !== false) el.setAttribute(name, value === true ? "" : String(value));
    append(el, children);
    return el;
  }

  function append(el, children) {
    for (const child of children.flat()) {
      if (child == null || child === false) continue;
      el.appendChild(typeof child === "object" ? child : global.document.createTextNode(String(child)));
    }
    return el;
  }

  const SVG_NS = "http://www.w3.org/2000/svg";
  function svg(tag, attrs) {
    const el = global.document.createElementNS(SVG_NS, tag);
    for (const [name, value] of Object.entries(attrs || {})) el.setAttribute(name, String(value));
    return el;
  }

  function clear(el) {
    while (el.firstChild) el.removeChild(el.firstChild);
  }

  const KIND_WORDS = {
    robotic: "Robotic phrasing",
    policy_over_people: "Policy over people",
    repeat_ask: "Asking again",
    solution_before_empathy: "Solution before empathy",
    jargon: "Jargon",
    repeated_question: "Repeated question",
    retold_story: "Retelling their story",
    short_answer: "Short answer",
  };

  /** "solution_before_empathy" -> "Solution before empathy" (known kinds get hand-written words). */
  function readable(kind) {
    if (!kind) return "";
    if (KIND_WORDS[kind]) return KIND_WORDS[kind];
    const words = String(kind).replace(/[_-]+/g, " ").trim();
    return words.charAt(0).toUpperCase() + words.slice(1);
  }

  const num = (x) => typeof x === "number" && Number.isFinite(x);
  const fmt = (x) => (num(x) ? x.toFixed(2) : "");

  /** A token expiry as epoch milliseconds: an ISO string, a Date, or unix seconds/milliseconds. */
  function parseExpiry(value) {
    if (value == null || value === "") return null;
    if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.getTime();
    if (num(value)) return value < 1e12 ? value * 1000 : value;
    const ms = Date.parse(String(value));
    return Number.isNaN(ms) ? null : ms;
  }

  /**
   * [start, end) of a span in `text` as JavaScript string indices, or null.
   * The server counts characters as Python does (code points) while JS strings count UTF-16
   * units, so offsets are converted. Stored text can be redacted after the analysis was made
   * (offsets shift), so when the offsets don't land on span.text, the words are searched for.
   */
  function locateSpan(text, span) {
    if (!span || typeof text !== "string") return null;
    const { start, end } = span;
    const words = typeof span.text === "string" ? span.text : "";
    if (Number.isInteger(start) && Number.isInteger(end) && start >= 0 && end > start) {
      const points = Array.from(text);
      if (end <= points.length) {
        const s = points.slice(0, start).join("").length;
        const e = s + points.slice(start, end).join("").length;
        if (!words || text.slice(s, e) === words) return [s, e];
      }
    }
    if (words) {
      const at = text.indexOf(words);
      if (at >= 0) return [at, at + words.length];
    }
    return null;
  }

  /** The customer's words around [s, e), the evidence in a <mark>, trimmed to EXCERPT_CONTEXT each side. */
  function excerpt(text, range, fallbackWords) {
    const quote = h("blockquote", { class: "cl-words" });
    if (!range) {
      // Nothing to point at in the text: quote the evidence itself, highlighted.
      if (fallbackWords) append(quote, ["\u201c", h("mark", null, fallbackWords), "\u201d"]);
      else append(quote, [text.length > 240 ? text.slice(0, 240) + "\u2026" : text]);
      return quote;
    }
    const [s, e] = range;
    let from = Math.max(0, s - EXCERPT_CONTEXT);
    let to = Math.min(text.length, e + EXCERPT_CONTEXT);
    if (from > 0) { const space = text.indexOf(" ", from); if (space > -1 && space < s) from = space + 1; }
    if (to < text.length) { const space = text.lastIndexOf(" ", to); if (space > e) to = space; }
    append(quote, [
      from > 0 ? "\u2026" : "",
      text.slice(from, s),
      h("mark", null, text.slice(s, e)),
      text.slice(e, to),
      to < text.length ? "\u2026" : "",
    ]);
    return quote;
  }

  const SEVERITY = {
    alert: { icon: "\u203c", word: "Alert", rank: 0 },
    warn: { icon: "\u26a0", word: "Warning", rank: 1 },
    info: { icon: "\u2139", word: "Note", rank: 2 },
  };

  const cardKey = (s) => `${s.framework || ""}:${s.step || s.name || ""}`;

  let instances = 0;

  // ---------------------------------------------------------------------------------------------
  // The sidebar

  class Sidebar {
    constructor(element, options) {
      if (!element || typeof element.appendChild !== "function") throw new TypeError("Coachline.mount: pass the element to mount in");
      const opts = options || {};
      if (!opts.conversationId) throw new TypeError("Coachline.mount: options.conversationId is required");
      this.element = element;
      this.opts = opts;
      this.uid = `cl${++instances}`;
      this.conversationId = String(opts.conversationId);
      this.base = String(opts.baseUrl || "").replace(/\/+$/, "");
      this.token = opts.token || null;
      this.expiresAt = parseExpiry(opts.expiresAt);

      this.destroyed = false;
      this.stopped = false; // a state only a person can fix (expired session, token not allowed): no more retries
      this.ws = null;
      this.attempt = 0; // reconnect attempts since the last good subscription
      this.authRetries = 0; // 4401s in a row: a refreshed token refused too means the session is over
      this.timers = { reconnect: 0, refresh: 0, draft: 0, announce: 0, cards: 0 };
      this.life = new AbortController(); // aborts every request on destroy()
      this.draftCtl = null;
      this.draftSeq = 0;
      this.refreshing = null;

      this.lastSeq = -1;
      this.customer = null; // {text, analysis} of the last customer turn
      this.trajectory = null;
      this.suggestions = [];
      this.cardSig = null;
      this.cueSig = null;
      this.shownCards = new Set(); // keys of the cards on screen, to announce only new ones
      this.pendingNew = [];

      installStyles();
      this.build();
      this.listen();
      this.start();
    }

    // ----- DOM --------------------------------------------------------------------------------

    build() {
      const id = (name) => `${this.uid}-${name}`;
      this.statusText = h("span", null, "Connecting\u2026");
      this.status = h("p", { class: "cl-status", role: "status", "aria-atomic": "true", "data-testid": "coachline-status" },
        h("span", { class: "cl-dot", "aria-hidden": "true" }), this.statusText);
      this.announcer = h("div", { class: "cl-sr", "aria-live": "polite", "aria-atomic": "true" });

      const section = (name, title, testid) => {
        const heading = h("h3", { class: "cl-h", id: id(name), tabindex: "-1" }, title);
        const body = h("div", { "data-testid": testid });
        // A <div>, not a named <section>: named sections would each be a landmark, and the sidebar
        // should be one landmark ("Coachline") with headings inside.
        const el = h("div", { class: "cl-section" }, heading, body);
        return { el, heading, body };
      };
      this.stateSec = section("state", "Customer", "coachline-state");
      this.cuesSec = section("cues", "Cues", "coachline-cues");
      this.cardsSec = section("cards", "Suggestions", "coachline-cards");
      this.ideaHint = h("p", { id: id("idea-hint"), class: "cl-sr" }, "Inserts this idea into your reply.");
      this.cardsSec.el.appendChild(this.ideaHint);

      this.root = h("aside", { class: "cl-root", "aria-label": "Coachline", "data-state": "connecting", "data-coachline": VERSION },
        h("div", { class: "cl-head" }, h("h2", { class: "cl-title" }, "Coachline"), this.status),
        this.announcer, this.stateSec.el, this.cuesSec.el, this.cardsSec.el);

      const draft = this.opts.draftInput;
      if (draft && typeof draft.addEventListener === "function") {
        this.draftInput = draft;
        this.draftSec = section("draft", "Your draft", "coachline-draft-flags");
        this.draftHint = h("p", { class: "cl-muted" }, "Start typing a reply to check it.");
        this.draftSec.el.appendChild(this.draftHint);
        this.root.appendChild(this.draftSec.el);
      }

      this.renderState();
      this.renderCues();
      this.renderCards(true);
      this.element.appendChild(this.root);
    }

    listen() {
      this.onOnline = () => {
        if (this.stopped || this.destroyed) return;
        this.attempt = 0;
        if (!this.ws) this.connect();
      };
      this.onOffline = () => {
        if (this.stopped || this.destroyed) return;
        this.setStatus("offline", "Offline \u2014 reconnecting\u2026");
        // A socket can sit half-open for minutes after the network goes; drop it and start over.
        if (this.ws) this.ws.close(1000, "offline");
      };
      global.addEventListener("online", this.onOnline);
      global.addEventListener("offline", this.onOffline);

      // One listener for every idea button (buttons come and go with the cards). Enter and Space
      // on a <button> fire "click", so this covers the keyboard too.
      this.onCardsClick = (event) => {
        const button = event.target instanceof Element ? event.target.closest("button.cl-idea") : null;
        if (button && this.cardsSec.body.contains(button)) this.insert(button.textContent || "");
      };
      this.cardsSec.body.addEventListener("click", this.onCardsClick);

      if (this.draftInput) {
        this.onDraftInput = () => this.draftChanged();
        this.draftInput.addEventListener("input", this.onDraftInput);
      }
    }

    setStatus(state, text) {
      if (this.destroyed) return;
      this.root.setAttribute("data-state", state);
      if (this.statusText.textContent !== text) this.statusText.textContent = text;
    }

    announce(text) {
      // Clear first, then set on a later tick, so a repeat of the same words is read again.
      clearTimeout(this.timers.announce);
      this.announcer.textContent = "";
      this.timers.announce = setTimeout(() => { if (!this.destroyed) this.announcer.textContent = text; }, 120);
    }

    // ----- Rendering --------------------------------------------------------------------------

    renderState() {
      const body = this.stateSec.body;
      clear(body);
      const customer = this.customer && this.customer.analysis;
      if (!customer || !customer.state) {
        body.appendChild(h("p", { class: "cl-muted" }, "No customer messages yet."));
      } else {
        const state = customer.state;
        const label = readable(state.label || "unknown");
        const score = num(state.score) ? state.score : state.scores && state.scores[state.label];
        const line = h("p", { class: "cl-state-line" });
        // A label set by the customer's words ("cues") overrules a calm model reading, so the
        // model's score for it would mislead: show why instead.
        const fromCues = state.source === "cues" && state.reason;
        line.appendChild(h("span", { class: "cl-label" }, fromCues || !num(score) ? label : `${label} ${fmt(score)}`));
        if (customer.upset) {
          const p = customer.upset_probability;
          line.appendChild(h("span", { class: "cl-badge cl-badge-upset" },
            h("span", { "aria-hidden": "true" }, "!"), num(p) ? `Upset ${fmt(p)}` : "Upset"));
        } else if (num(customer.upset_probability)) {
          line.appendChild(h("span", { class: "cl-badge cl-badge-calm" }, `Not upset (${fmt(customer.upset_probability)})`));
        }
        body.appendChild(line);
        if (fromCues) body.appendChild(h("p", { class: "cl-why-state" }, `From their words: ${state.reason}`));
      }
      this.renderTrend(body);
    }

    renderTrend(body) {
      const t = this.trajectory;
      const points = t && Array.isArray(t.points) ? t.points.filter(num) : [];
      if (!points.length) return;
      const trend = (t && t.trend) || "unknown";
      const words = trend === "unknown" ? "not enough to tell" : trend;
      const detail = num(t.start) && num(t.now) ? ` (from ${fmt(t.start)} to ${fmt(t.now)}, on a scale of \u22121 to 1)` : "";
      const label = `Sentiment trend: ${words}${detail}`;

      // Points are -1..1 over the conversation; y grows downwards in SVG, so 1 is at the top.
      const W = 100, H = 30, pad = 2;
      const y = (v) => (H / 2 - (Math.max(-1, Math.min(1, v)) * (H / 2 - pad))).toFixed(2);
      const x = (i) => (points.length === 1 ? W / 2 : (i / (points.length - 1)) * W).toFixed(2);
      const chart = svg("svg", { viewBox: `0 0 ${W} ${H}`, preserveAspectRatio: "none", role: "img", "aria-label": label, focusable: "false" });
      const title = svg("title");
      title.textContent = label;
      chart.appendChild(title);
      chart.appendChild(svg("line", { class: "cl-trend-zero", x1: 0, x2: W, y1: H / 2, y2: H / 2, "vector-effect": "non-scaling-stroke" }));
      if (points.length === 1) {
        // One reading: a short level stroke (a circle would be stretched by preserveAspectRatio=none).
        chart.appendChild(svg("line", { x1: W / 2 - 4, x2: W / 2 + 4, y1: y(points[0]), y2: y(points[0]), stroke: "currentColor",
          "stroke-width": 3, "stroke-linecap": "round", "vector-effect": "non-scaling-stroke" }));
      } else {
        chart.appendChild(svg("polyline", { points: points.map((v, i) => `${x(i)},${y(v)}`).join(" "), fill: "none",
          stroke: "currentColor", "stroke-width": 2, "stroke-linejoin": "round", "vector-effect": "non-scaling-stroke" }));
      }
      body.appendChild(h("div", { class: "cl-trend", "data-trend": trend }, chart,
        h("p", { class: "cl-trend-text", "aria-hidden": "true" }, `Sentiment: ${words}`)));
    }

    renderCues() {
      const customer = this.customer && this.customer.analysis;
      const cues = customer && Array.isArray(customer.cues) ? customer.cues : [];
      const text = (this.customer && this.customer.text) || "";
      const sig = JSON.stringify([text, cues]);
      if (sig === this.cueSig) return;
      this.cueSig = sig;
      const body = this.cuesSec.body;
      clear(body);
      if (!cues.length) {
        body.appendChild(h("p", { class: "cl-muted" }, this.customer ? "No cues in the last customer message." : "Cues from the customer's words show here."));
        return;
      }
      const sorted = cues
        .map((cue, i) => ({ cue, i, sev: SEVERITY[cue.severity] || SEVERITY.warn }))
        .sort((a, b) => a.sev.rank - b.sev.rank || a.i - b.i); // most severe first, else server order
      const list = h("ul", { class: "cl-list", "aria-labelledby": this.cuesSec.heading.id });
      for (const { cue, sev } of sorted) {
        const level = SEVERITY[cue.severity] ? cue.severity : "warn";
        const span = cue.span || {};
        list.appendChild(h("li", { class: `cl-cue cl-sev-${level}`, "data-severity": level },
          h("p", null,
            h("span", { class: "cl-sev" }, h("span", { "aria-hidden": "true" }, sev.icon + " "), `${sev.word}:`),
            " ", h("strong", null, readable(cue.kind)), cue.reason ? ` \u2014 ${cue.reason}` : ""),
          excerpt(text, locateSpan(text, span), span.text)));
      }
      body.appendChild(list);
    }

    renderCards(initial) {
      const cards = this.suggestions.filter((s) => s && typeof s === "object");
      const sig = JSON.stringify(cards);
      if (sig === this.cardSig) return;
      this.cardSig = sig;
      const body = this.cardsSec.body;

      // Re-rendering would drop keyboard focus: remember which idea had it, restore it after.
      const active = global.document.activeElement;
      let focused = null;
      if (active && body.contains(active)) {
        const card = active.closest("[data-card]");
        focused = { card: card && card.getAttribute("data-card"), text: active.textContent };
      }

      clear(body);
      const keys = new Set();
      const fresh = [];
      if (!cards.length) {
        body.appendChild(h("p", { class: "cl-muted" }, "No suggestions right now."));
      } else {
        const list = h("ul", { class: "cl-list", "aria-labelledby": this.cardsSec.heading.id });
        for (const s of cards) {
          const key = cardKey(s);
          const name = s.name || readable(s.step) || "Suggestion";
          keys.add(key);
          if (!this.shownCards.has(key)) fresh.push(name);
          const ideas = Array.isArray(s.ideas) ? s.ideas.filter((i) => typeof i === "string" && i) : [];
          const titleId = `${this.uid}-card-${keys.size}`;
          list.appendChild(h("li", { class: "cl-card", "data-testid": "coachline-card", "data-card": key, "aria-labelledby": titleId },
            h("h4", { class: "cl-card-title", id: titleId }, name),
            s.principle ? h("p", { class: "cl-principle" }, s.principle) : null,
            s.why_now ? h("p", { class: "cl-why" }, h("strong", null, "Why now: "), s.why_now) : null,
            ideas.length ? h("ul", { class: "cl-ideas", "aria-label": `Ideas for ${name}` },
              ideas.map((idea) => h("li", null, h("button", { type: "button", class: "cl-idea", "data-testid": "coachline-idea",
                "aria-describedby": this.ideaHint.id }, idea))))
              : h("p", { class: "cl-muted cl-ideas" }, "No phrasing ideas this time: use your own words.")));
        }
        body.appendChild(list);
      }
      this.shownCards = keys;

      if (focused) {
        const buttons = Array.from(body.querySelectorAll("button.cl-idea"));
        const same = buttons.find((b) => b.textContent === focused.text && b.closest("[data-card]").getAttribute("data-card") === focused.card)
          || buttons.find((b) => b.textContent === focused.text);
        (same || this.cardsSec.heading).focus();
      }
      if (fresh.length && !initial) {
        this.pendingNew.push(...fresh);
        // Turns replayed in a burst (a reconnect) settle into one announcement.
        clearTimeout(this.timers.cards);
        this.timers.cards = setTimeout(() => {
          const names = this.pendingNew.filter((n, i, all) => all.indexOf(n) === i);
          this.pendingNew = [];
          if (names.length) this.announce(`New suggestion${names.length > 1 ? "s" : ""}: ${names.join(", ")}`);
        }, 200);
      }
    }

    // ----- Turns ------------------------------------------------------------------------------

    /** Fold one stored turn into what the sidebar shows. Returns true when it was new. */
    apply(turn) {
      if (!turn || typeof turn !== "object" || !num(turn.seq) || turn.seq <= this.lastSeq) return false;
      this.lastSeq = turn.seq;
      const analysis = turn.analysis && typeof turn.analysis === "object" ? turn.analysis : null;
      if (!analysis) return true;
      if (analysis.customer) this.customer = { text: typeof turn.text === "string" ? turn.text : "", analysis: analysis.customer };
      if (analysis.trajectory) this.trajectory = analysis.trajectory;
      // The latest turn's suggestions are the current cards, whatever its role: the engine
      // decides when a card appears or clears.
      this.suggestions = Array.isArray(analysis.suggestions) ? analysis.suggestions : [];
      return true;
    }

    render(initial) {
      if (this.destroyed) return;
      this.renderState();
      this.renderCues();
      this.renderCards(initial);
    }

    insert(text) {
      if (!text) return;
      // An idea reads 'principle: "phrasing"': the reply box gets the phrasing, not the advice.
      const quoted = /:\s*["\u201c](.+)["\u201d]\s*$/.exec(text.trim());
      if (quoted) text = quoted[1];
      try {
        if (typeof this.opts.onInsertIdea === "function") this.opts.onInsertIdea(text);
      } finally {
        this.element.dispatchEvent(new CustomEvent("coachline:insert", { bubbles: true, composed: true, detail: { text } }));
      }
    }

    // ----- HTTP -------------------------------------------------------------------------------

    /** fetch with the bearer token; one retry after a token refresh on 401. Resolves {ok, status, data, code, message}. */
    async request(method, path, body, signal) {
      for (let retried = false; ; retried = true) {
        if (!this.token && !retried && this.opts.getToken) await this.refreshToken();
        const headers = { Accept: "application/json" };
        if (this.token) headers.Authorization = `Bearer ${this.token}`;
        if (body !== undefined) headers["Content-Type"] = "application/json";
        const res = await fetch(this.base + path, {
          method, headers, signal, body: body === undefined ? undefined : JSON.stringify(body),
          credentials: "omit", cache: "no-store", // the token is the credential; cookies are never needed
        });
        let data = null;
        try { data = await res.json(); } catch (_) { /* an empty or non-JSON body */ }
        if (res.status === 401 && !retried && (await this.refreshToken())) continue;
        const error = data && data.error && typeof data.error === "object" ? data.error : {};
        return { ok: res.ok, status: res.status, data, code: error.code || "", message: error.message || "" };
      }
    }

    convPath(suffix) {
      return `/v1/conversations/${encodeURIComponent(this.conversationId)}${suffix || ""}`;
    }

    // ----- Tokens -----------------------------------------------------------------------------

    /** Ask the host for a new token (one call at a time). Resolves true when there is a new one. */
    refreshToken() {
      if (typeof this.opts.getToken !== "function" || this.destroyed) return Promise.resolve(false);
      if (!this.refreshing) {
        this.refreshing = (async () => {
          try {
            const fresh = await this.opts.getToken();
            if (this.destroyed) return false;
            if (!fresh || typeof fresh.token !== "string" || !fresh.token) return false;
            this.token = fresh.token;
            this.expiresAt = parseExpiry(fresh.expires_at != null ? fresh.expires_at : fresh.expiresAt);
            this.scheduleRefresh();
            return true;
          } catch (_) {
            return false; // the host's backend is unreachable: the caller decides what to show
          } finally {
            this.refreshing = null;
          }
        })();
      }
      return this.refreshing;
    }

    scheduleRefresh() {
      clearTimeout(this.timers.refresh);
      if (!this.expiresAt || typeof this.opts.getToken !== "function" || this.destroyed) return;
      const wait = Math.min(MAX_TIMER_MS, Math.max(0, this.expiresAt - REFRESH_LEAD_MS - Date.now()));
      this.timers.refresh = setTimeout(async () => {
        if (this.destroyed || this.stopped) return;
        if (await this.refreshToken()) return; // scheduleRefresh ran again with the new expiry
        // Failed: try again in 15 s while the old token still works; after that a 401/4401 asks again.
        if (!this.destroyed && this.expiresAt && Date.now() < this.expiresAt) {
          this.timers.refresh = setTimeout(() => this.scheduleRefresh(), 15000);
        }
      }, wait);
      // An open stream was authenticated when it opened, so it keeps going; the new token is used
      // for the next request and the next reconnect.
    }

    expired() {
      this.stopped = true;
      this.closeSocket();
      clearTimeout(this.timers.reconnect);
      this.setStatus("expired", "Session expired");
    }

    denied(reason) {
      this.stopped = true;
      this.closeSocket();
      clearTimeout(this.timers.reconnect);
      this.setStatus("denied", `Not allowed: ${reason || "this token is not for this conversation or page"}`);
    }

    // ----- Start-up ---------------------------------------------------------------------------

    async start() {
      if (!this.token) await this.refreshToken();
      if (this.destroyed) return;
      this.scheduleRefresh();
      // No GET first: the stream replays every stored turn (after=-1), and a GET of a conversation
      // nobody has spoken in yet is a 404 the browser logs as an error on every new chat.
      this.connect();
    }

    // ----- WebSocket --------------------------------------------------------------------------

    wsUrl() {
      // Same base as the HTTP calls (a baseUrl may carry a path prefix), with ws(s): for http(s):.
      const url = new URL(`${this.base}${this.convPath("/stream")}?after=${this.lastSeq}`, global.location.href);
      url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
      return url.toString();
    }

    connect() {
      if (this.destroyed || this.stopped || this.ws) return;
      clearTimeout(this.timers.reconnect);
      if (this.root.getAttribute("data-state") !== "offline" && this.root.getAttribute("data-state") !== "limited") {
        this.setStatus("connecting", "Connecting\u2026");
      }
      let ws;
      try {
        // Browsers can't set headers on a WebSocket: the token rides as the second subprotocol
        // (never in the URL, which ends up in logs); the server echoes "coachline.bearer".
        ws = new WebSocket(this.wsUrl(), this.token ? ["coachline.bearer", this.token] : []);
      } catch (_) {
        this.reconnectLater();
        return;
      }
      this.ws = ws;
      ws.onmessage = (event) => this.onMessage(ws, event);
      ws.onclose = (event) => this.onClose(ws, event);
      ws.onerror = () => { /* a "close" follows; it decides what to do */ };
    }

    onMessage(ws, event) {
      if (ws !== this.ws || this.destroyed) return;
      let message;
      try { message = JSON.parse(event.data); } catch (_) { return; }
      if (!message || typeof message !== "object") return;
      if (message.conversation_id && message.conversation_id !== this.conversationId) return;
      if (message.type === "subscribed") {
        this.attempt = 0;
        this.authRetries = 0;
        this.setStatus("live", "Live");
      } else if (message.type === "turn") {
        if (this.apply(message)) this.render(false);
      }
    }

    async onClose(ws, event) {
      if (ws !== this.ws) return; // an old socket we already let go of
      this.ws = null;
      if (this.destroyed || this.stopped) return;
      const reason = (event && event.reason) || "";
      switch (event && event.code) {
        case 4401: // bad or expired token: a new one, then straight back
          if (this.authRetries++ < 2 && (await this.refreshToken())) {
            if (!this.destroyed && !this.stopped) this.reconnectLater(true);
          } else {
            this.expired();
          }
          return;
        case 4403: // not for this conversation or origin: retrying can't help
          this.denied(reason);
          return;
        case 4429:
          this.setStatus("limited", "Rate limited \u2014 retrying\u2026");
          this.attempt = Math.max(this.attempt, 5); // straight to the longest wait
          this.reconnectLater();
          return;
        default:
          this.setStatus("offline", "Offline \u2014 reconnecting\u2026");
          this.reconnectLater();
      }
    }

    /** Exponential backoff with jitter: 0.5 s doubling to 10 s, each wait 50-100 % of its step. */
    reconnectLater(soon) {
      if (this.destroyed || this.stopped) return;
      clearTimeout(this.timers.reconnect);
      const step = soon ? 100 : Math.min(BACKOFF_MAX_MS, BACKOFF_START_MS * 2 ** this.attempt);
      this.attempt = Math.min(this.attempt + 1, 10);
      const wait = step * (0.5 + Math.random() * 0.5);
      this.timers.reconnect = setTimeout(() => this.connect(), wait);
    }

    closeSocket() {
      const ws = this.ws;
      this.ws = null;
      if (!ws) return;
      ws.onmessage = ws.onclose = ws.onerror = null;
      try { ws.close(1000, "done"); } catch (_) { /* already closed */ }
    }

    // ----- Draft checks -----------------------------------------------------------------------

    draftChanged() {
      clearTimeout(this.timers.draft);
      const text = this.draftInput.value || "";
      if (!text.trim()) {
        this.draftSeq++; // any answer still on its way is stale now
        if (this.draftCtl) this.draftCtl.abort();
        this.renderDraft(null);
        return;
      }
      this.timers.draft = setTimeout(() => this.checkDraft(text), DRAFT_DEBOUNCE_MS);
    }

    async checkDraft(text) {
      if (this.destroyed) return;
      if (this.draftCtl) this.draftCtl.abort();
      const ctl = (this.draftCtl = new AbortController());
      const seq = ++this.draftSeq;
      const lifeAbort = () => ctl.abort();
      this.life.signal.addEventListener("abort", lifeAbort);
      this.draftSec.body.setAttribute("aria-busy", "true");
      try {
        const res = await this.request("POST", this.convPath("/draft"), { text }, ctl.signal);
        if (seq !== this.draftSeq || this.destroyed) return; // the agent typed on: a newer check is coming
        if (res.ok && res.data) this.renderDraft(res.data.agent ? res.data.agent.flags || [] : []);
        else if (res.status === 401) { this.renderDraftError("Session expired."); this.expired(); }
        else if (res.status === 413) this.renderDraftError("Your draft is too long to check.");
        else this.renderDraftError(res.message || `the service answered ${res.status}`);
      } catch (err) {
        if (seq !== this.draftSeq || this.destroyed || (err && err.name === "AbortError")) return;
        this.renderDraftError("the service can't be reached");
      } finally {
        this.life.signal.removeEventListener("abort", lifeAbort);
        if (seq === this.draftSeq && !this.destroyed) this.draftSec.body.removeAttribute("aria-busy");
      }
    }

    /** flags: null clears (empty draft), [] says there is nothing to fix. */
    renderDraft(flags) {
      const body = this.draftSec.body;
      clear(body);
      body.removeAttribute("aria-busy");
      this.draftHint.hidden = flags !== null;
      if (flags === null) return;
      if (!flags.length) {
        body.appendChild(h("p", { class: "cl-ok" }, h("span", { "aria-hidden": "true" }, "\u2713 "), "No issues in your draft"));
        return;
      }
      const list = h("ul", { class: "cl-list", "aria-labelledby": this.draftSec.heading.id });
      for (const flag of flags) {
        const words = flag.span && flag.span.text;
        list.appendChild(h("li", { class: "cl-flag", "data-testid": "coachline-draft-flag", "data-kind": flag.kind || "" },
          h("p", null, h("span", { class: "cl-flag-kind" }, readable(flag.kind)), flag.reason ? ` \u2014 ${flag.reason}` : ""),
          words ? h("blockquote", { class: "cl-words" }, "\u201c", h("mark", null, words), "\u201d") : null,
          flag.better_move ? h("p", { class: "cl-better" }, h("strong", null, "Better: "), flag.better_move) : null));
      }
      body.appendChild(list);
    }

    renderDraftError(message) {
      const body = this.draftSec.body;
      clear(body);
      this.draftHint.hidden = true;
      body.appendChild(h("p", { class: "cl-muted" }, `Couldn't check your draft: ${message}`));
    }

    // ----- Teardown ---------------------------------------------------------------------------

    destroy() {
      if (this.destroyed) return;
      this.destroyed = true;
      for (const timer of Object.values(this.timers)) clearTimeout(timer);
      this.life.abort();
      if (this.draftCtl) this.draftCtl.abort();
      this.closeSocket();
      global.removeEventListener("online", this.onOnline);
      global.removeEventListener("offline", this.onOffline);
      this.cardsSec.body.removeEventListener("click", this.onCardsClick);
      if (this.draftInput) this.draftInput.removeEventListener("input", this.onDraftInput);
      if (this.root.parentNode) this.root.parentNode.removeChild(this.root);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Public API: Coachline.mount(element, options) -> { destroy() }

  global.Coachline = Object.freeze({
    version: VERSION,
    mount(element, options) {
      const sidebar = new Sidebar(element, options);
      if (sidebar.draftInput && sidebar.draftInput.value && sidebar.draftInput.value.trim()) sidebar.draftChanged();
      return Object.freeze({ destroy: () => sidebar.destroy() });
    },
  });
})(typeof window !== "undefined" ? window : globalThis);
