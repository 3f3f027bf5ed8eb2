/*! Latchkey Link embed: no dependencies. https://<latchkey>/link.js
 *
 *   LatchkeyLink.open({ linkToken, mode: "modal" | "popup", baseUrl?, onSuccess, onExit, onError, onEvent })
 *     → { close() }
 *
 * Events from the hosted Link page are accepted only from Latchkey's origin (where this script
 * was loaded from, or baseUrl), only from the frame or popup this call opened, and only with
 * exactly the documented shape (the same rules as lib/link/events.ts):
 *   { source: "latchkey-link", type: "ready" }
 *   { source: "latchkey-link", type: "connected", connection: { id, connector, status: "active" } }
 *   { source: "latchkey-link", type: "exit", reason: "done" | "cancel" | "closed" }
 *   { source: "latchkey-link", type: "error", error: { code, message } }
 */
(function () {
  "use strict";
  var script = document.currentScript;
  var defaultBase = script && script.src ? new URL(script.src).origin : window.location.origin;
  var SOURCE = "latchkey-link";

  function isObj(v) {
    return typeof v === "object" && v !== null && !Array.isArray(v);
  }
  function onlyKeys(o, keys) {
    return Object.keys(o).every(function (k) {
      return keys.indexOf(k) >= 0;
    });
  }
  function str(v, max) {
    return typeof v === "string" && v.length > 0 && v.length <= max;
  }

  function parseEvent(d) {
    if (!isObj(d) || d.source !== SOURCE) return null;
    if (d.type === "ready") return onlyKeys(d, ["source", "type"]) ? { source: SOURCE, type: "ready" } : null;
    if (d.type === "connected") {
      var c = d.connection;
      if (!onlyKeys(d, ["source", "type", "connection"]) || !isObj(c) || !onlyKeys(c, ["id", "connector", "status"])) return null;
      if (!str(c.id, 100) || !/^conn_[0-9A-Za-z]+$/.test(c.id) || !str(c.connector, 64) || !/^[a-z0-9_]+$/.test(c.connector) || c.status !== "active") return null;
      return { source: SOURCE, type: "connected", connection: { id: c.id, connector: c.connector, status: "active" } };
    }
    if (d.type === "exit") {
      if (!onlyKeys(d, ["source", "type", "reason"]) || (d.reason !== "done" && d.reason !== "cancel" && d.reason !== "closed")) return null;
      return { source: SOURCE, type: "exit", reason: d.reason };
    }
    if (d.type === "error") {
      var e = d.error;
      if (!onlyKeys(d, ["source", "type", "error"]) || !isObj(e) || !onlyKeys(e, ["code", "message"]) || !str(e.code, 64) || !/^[a-z_]+$/.test(e.code) || !str(e.message, 500)) return null;
      return { source: SOURCE, type: "error", error: { code: e.code, message: e.message } };
    }
    return null;
  }

  function linkUrl(base, token) {
    var u = new URL("/link", base);
    u.searchParams.set("embed_origin", window.location.origin);
    u.hash = "link_token=" + encodeURIComponent(token);
    return u.toString();
  }

  function call(fn, arg) {
    if (typeof fn === "function") {
      try {
        fn(arg);
      } catch (err) {
        setTimeout(function () {
          throw err;
        });
      }
    }
  }

  function open(opts) {
    if (!opts || typeof opts.linkToken !== "string") throw new TypeError("LatchkeyLink.open: linkToken is required");
    var base = new URL(opts.baseUrl || defaultBase).origin;
    var url = linkUrl(base, opts.linkToken);
    var popup = null;
    var frame = null;
    var overlay = null;
    var timer = null;
    var closed = false;
    var returnFocus = document.activeElement;

    function finish(reason) {
      if (closed) return;
      closed = true;
      window.removeEventListener("message", onMessage);
      document.removeEventListener("keydown", onKey, true);
      if (timer) clearInterval(timer);
      if (popup && !popup.closed) popup.close();
      if (overlay && overlay.parentNode) overlay.parentNode.removeChild(overlay);
      if (returnFocus && typeof returnFocus.focus === "function") returnFocus.focus();
      var ev = { source: SOURCE, type: "exit", reason: reason };
      call(opts.onEvent, ev);
      call(opts.onExit, reason);
    }

    function onMessage(e) {
      var expected = popup || (frame && frame.contentWindow);
      if (e.origin !== base || !expected || e.source !== expected) return;
      var ev = parseEvent(e.data);
      if (!ev) return;
      if (ev.type === "exit") return finish(ev.reason);
      call(opts.onEvent, ev);
      if (ev.type === "connected") call(opts.onSuccess, ev.connection);
      else if (ev.type === "error") call(opts.onError, ev.error);
    }

    var closeBtn = null;
    function onKey(e) {
      if (e.key === "Escape") {
        e.preventDefault();
        finish("closed");
      } else if (e.key === "Tab" && frame && closeBtn) {
        // Keep focus inside the dialog: the close button and the frame.
        if (e.shiftKey && document.activeElement === closeBtn) {
          e.preventDefault();
          frame.focus();
        } else if (!e.shiftKey && document.activeElement === frame) {
          e.preventDefault();
          closeBtn.focus();
        } else if (!overlay.contains(document.activeElement)) {
          e.preventDefault();
          closeBtn.focus();
        }
      }
    }

    if (opts.mode === "popup") {
      popup = window.open(url, "latchkey-link", "popup,width=480,height=760");
      if (!popup) {
        call(opts.onError, { code: "popup_blocked", message: "The browser blocked the Link window. Open it from a click." });
        return { close: function () {} };
      }
      timer = setInterval(function () {
        if (popup.closed) finish("closed");
      }, 400);
    } else {
      overlay = document.createElement("div");
      overlay.setAttribute("style", "position:fixed;inset:0;z-index:2147483000;background:rgba(9,9,11,.6);display:flex;align-items:center;justify-content:center;padding:8px");
      var dialog = document.createElement("div");
      var titleId = "latchkey-link-title-" + Math.random().toString(36).slice(2);
      dialog.setAttribute("role", "dialog");
      dialog.setAttribute("aria-modal", "true");
      dialog.setAttribute("aria-labelledby", titleId);
      dialog.setAttribute("data-latchkey-link", "modal");
      dialog.setAttribute("style", "background:#fff;border-radius:8px;width:100%;max-width:28rem;height:100%;max-height:760px;display:flex;flex-direction:column;overflow:hidden;box-shadow:0 20px 50px rgba(0,0,0,.3)");
      var bar = document.createElement("div");
      bar.setAttribute("style", "display:flex;align-items:center;justify-content:space-between;padding:8px 12px;border-bottom:1px solid #e4e4e7;font:600 14px system-ui,sans-serif");
      var title = document.createElement("h2");
      title.id = titleId;
      title.textContent = "Connect your accounts";
      title.setAttribute("style", "margin:0;font:inherit");
      closeBtn = document.createElement("button");
      closeBtn.type = "button";
      closeBtn.setAttribute("aria-label", "Close");
      closeBtn.textContent = "\u2715";
      closeBtn.setAttribute("style", "min-width:44px;min-height:44px;border:0;background:transparent;font-size:18px;cursor:pointer");
      closeBtn.addEventListener("click", function () {
        finish("closed");
      });
      frame = document.createElement("iframe");
      frame.src = url;
      frame.title = "Latchkey Link";
      frame.referrerPolicy = "no-referrer";
      frame.setAttribute("sandbox", "allow-scripts allow-same-origin allow-forms allow-popups allow-popups-to-escape-sandbox");
      frame.setAttribute("style", "border:0;width:100%;flex:1");
      bar.appendChild(title);
      bar.appendChild(closeBtn);
      dialog.appendChild(bar);
      dialog.appendChild(frame);
      overlay.appendChild(dialog);
      document.body.appendChild(overlay);
      document.addEventListener("keydown", onKey, true);
      closeBtn.focus();
    }
    window.addEventListener("message", onMessage);
    return {
      close: function () {
        finish("closed");
      },
    };
  }

  window.LatchkeyLink = Object.freeze({ open: open, version: 1 });
})();
