// Telegram message formatting, built as DOM nodes from the text and its entities (offsets in
// UTF-16 code units, which is what JavaScript strings count). The bot's HTML is never parsed
// here: every character of text becomes a text node, so nothing a message says can become
// markup, and only the tags Telegram itself draws are made.
"use strict";

const SAFE_LINK = /^(https?:|tel:|mailto:)/i;

function entityElement(entity, onDeepLink) {
  switch (entity.type) {
    case "bold": return document.createElement("b");
    case "italic": return document.createElement("i");
    case "underline": return document.createElement("u");
    case "strikethrough": return document.createElement("s");
    case "code": return document.createElement("code");
    case "pre": return document.createElement("pre");
    case "blockquote":
    case "expandable_blockquote": return document.createElement("blockquote");
    case "spoiler": {
      const spoiler = document.createElement("span");
      spoiler.className = "spoiler";
      spoiler.title = "Show";
      spoiler.addEventListener("click", () => spoiler.classList.add("shown"));
      return spoiler;
    }
    case "text_link": {
      const link = document.createElement("a");
      const url = String(entity.url || "");
      const start = deepLinkStart(url);
      if (start !== null && onDeepLink) {
        link.href = "#";
        link.addEventListener("click", (event) => { event.preventDefault(); onDeepLink(start); });
      } else if (SAFE_LINK.test(url)) {
        link.href = url;
        link.target = "_blank";
        link.rel = "noopener noreferrer";
      }
      link.title = url;
      return link;
    }
    default: return document.createElement("span");
  }
}

// A t.me/<bot>?start=<payload> link opens the bot with /start <payload>, as Telegram does.
function deepLinkStart(url) {
  const match = /^https?:\/\/t\.me\/[A-Za-z0-9_]+\?start=([A-Za-z0-9_-]{1,64})$/.exec(url);
  return match ? match[1] : null;
}

function renderFormatted(text, entities, onDeepLink) {
  const fragment = document.createDocumentFragment();
  const sorted = [...(entities || [])]
    .filter((e) => Number.isInteger(e.offset) && Number.isInteger(e.length) && e.length > 0)
    .sort((a, b) => a.offset - b.offset || b.length - a.length);

  function build(parent, start, end, list) {
    let position = start;
    let index = 0;
    while (index < list.length) {
      const entity = list[index];
      if (entity.offset < position) { index += 1; continue; } // overlapping: drawn as text
      if (entity.offset > position) {
        parent.appendChild(document.createTextNode(text.slice(position, entity.offset)));
      }
      const entityEnd = Math.min(entity.offset + entity.length, end);
      const inner = [];
      let next = index + 1;
      while (next < list.length && list[next].offset < entityEnd) {
        if (list[next].offset + list[next].length <= entityEnd) inner.push(list[next]);
        next += 1;
      }
      const element = entityElement(entity, onDeepLink);
      build(element, entity.offset, entityEnd, inner);
      parent.appendChild(element);
      position = entityEnd;
      index = next;
    }
    if (position < end) parent.appendChild(document.createTextNode(text.slice(position, end)));
  }

  build(fragment, 0, text.length, sorted);
  return fragment;
}

window.renderFormatted = renderFormatted;
window.deepLinkStart = deepLinkStart;
