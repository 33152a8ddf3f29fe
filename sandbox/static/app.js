// The sandbox page: a list of chats and one open chat that looks and behaves like Telegram.
// Every action goes to the sandbox's server as a Telegram user's action; the bot's answers come
// back as server-sent events.
"use strict";

const state = {
  zone: "Europe/London",
  clockAt: 0,        // the sandbox's time (seconds) when it was last read ...
  clockReadAt: 0,    // ... and the page's own time (ms) then
  moving: false,
  commands: {},
  chats: new Map(),  // chat_id -> {chat_id, kind, title, language_code, messages: Map, reply_keyboard}
  openChatId: null,
  botName: "Grow Well",
  replyTo: null,     // {chatId, messageId} of the message the next text replies to
};

const $ = (selector, root = document) => root.querySelector(selector);

// Talking to the server.

async function api(path, body) {
  const options = body === undefined ? {} : {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  };
  const response = await fetch(path, options);
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(data.error || `The sandbox answered ${response.status}`);
  return data;
}

async function loadState() {
  const data = await api("/sandbox/api/state");
  state.zone = data.zone;
  state.commands = data.commands;
  state.botName = data.bot.name;
  setClock(data.now);
  setMoving(data.moving);
  fillLanguages(data.languages);
  state.chats.clear();
  for (const chat of data.chats) addChat(chat);
  if (state.openChatId !== null && !state.chats.has(state.openChatId)) state.openChatId = null;
  renderLists();
  renderOpenChat();
}

function listen() {
  const events = new EventSource("/sandbox/api/events");
  events.onopen = () => loadState().catch((error) => toast(error.message));
  events.onmessage = (message) => handleEvent(JSON.parse(message.data));
}

function handleEvent(event) {
  if (event.type === "chat") {
    addChat(event.chat);
    renderLists();
  } else if (event.type === "message") {
    const chat = state.chats.get(event.chat_id);
    if (!chat) return;
    chat.messages.set(event.message.id, event.message);
    chat.reply_keyboard = event.reply_keyboard;
    renderLists();
    if (state.openChatId === event.chat_id) {
      renderMessage(chat, event.message);
      renderReplyKeyboard(chat);
      if (!event.message.edited) scrollToEnd();
    }
  } else if (event.type === "clock") {
    if (event.now) setClock(event.now);
    setMoving(event.moving);
  } else if (event.type === "reset") {
    state.openChatId = null;
    loadState().catch((error) => toast(error.message));
  }
}

function addChat(data) {
  const messages = new Map();
  for (const message of data.messages) messages.set(message.id, message);
  state.chats.set(data.chat_id, { ...data, messages });
}

// The clock.

function setClock(seconds) {
  state.clockAt = seconds;
  state.clockReadAt = Date.now();
  tickClock();
}

function sandboxNow() {
  return state.clockAt * 1000 + (Date.now() - state.clockReadAt);
}

function formatter(options) {
  return new Intl.DateTimeFormat("en-GB", { timeZone: state.zone, ...options });
}

function tickClock() {
  $("#clock").textContent = formatter({
    weekday: "short", day: "numeric", month: "short", year: "numeric",
    hour: "2-digit", minute: "2-digit",
  }).format(sandboxNow());
}

function setMoving(moving) {
  state.moving = moving;
  $("#moving").hidden = !moving;
  for (const button of document.querySelectorAll("[data-jump], #start-again")) {
    button.disabled = moving;
  }
}

async function jump(kind) {
  try {
    const body = { jump: kind };
    if (kind === "birth") {
      if (state.openChatId === null || state.openChatId < 0) {
        toast("Open an expecting family's chat first.");
        return;
      }
      body.chat_id = state.openChatId;
    }
    setMoving(true);
    const report = await api("/sandbox/api/time", body);
    setClock(report.to);
    const messages = report.sent === 1 ? "1 message" : `${report.sent} messages`;
    const hours = Math.round((report.to - report.from) / 3600);
    const span = hours < 24 ? plural(hours, "hour") : plural(report.days, "day");
    toast(`Moved ${span} forward, to ${formatter({ dateStyle: "full", timeStyle: "short" }).format(report.to * 1000)}: ${messages} sent (${report.seconds} s).`);
  } catch (error) {
    toast(error.message);
  } finally {
    setMoving(false);
  }
}

function plural(count, unit) {
  return count === 1 ? `1 ${unit}` : `${count} ${unit}s`;
}

// The lists of chats.

function languageName(code) {
  const option = [...$("#language-select").options].find((o) => o.value === (code || ""));
  return option ? option.textContent.split(" (")[0] : (code || "no language");
}

function lastLine(chat) {
  const messages = [...chat.messages.values()].filter((m) => !m.deleted);
  const last = messages[messages.length - 1];
  if (!last) return "";
  if (last.document) return `📄 ${last.document.filename}`;
  return last.text.split("\n")[0];
}

function renderLists() {
  const families = $("#families");
  const groups = $("#groups");
  families.replaceChildren();
  groups.replaceChildren();
  for (const chat of state.chats.values()) {
    const item = document.createElement("li");
    item.dataset.chatId = chat.chat_id;
    item.className = chat.chat_id === state.openChatId ? "open" : "";
    const title = document.createElement("div");
    title.className = "item-title";
    title.textContent = chat.title;
    const sub = document.createElement("div");
    sub.className = "item-sub";
    sub.dir = "auto";
    sub.textContent = lastLine(chat) || (chat.kind === "family" ? languageName(chat.language_code) : "");
    item.append(title, sub);
    item.addEventListener("click", () => openChat(chat.chat_id));
    // Staff: the staff member's own chat first, then the teams' groups.
    if (chat.kind === "family") families.appendChild(item);
    else if (chat.kind === "staff") groups.prepend(item);
    else groups.appendChild(item);
  }
  $("#no-families").hidden = families.children.length > 0;
  $("#no-groups").hidden = groups.children.length > 0;
}

// The open chat.

function openChat(chatId) {
  if (state.openChatId !== chatId) state.replyTo = null;
  state.openChatId = chatId;
  renderLists();
  renderOpenChat();
  const input = $("#chat .text");
  if (input) input.focus();
}

function renderOpenChat() {
  const pane = $("#chat");
  const chat = state.chats.get(state.openChatId);
  if (!chat) {
    pane.replaceChildren($("#empty-chat") || emptyChat());
    pane.removeAttribute("dir");
    return;
  }
  const view = $("#chat-template").content.cloneNode(true);
  pane.replaceChildren(view);
  pane.dataset.chatId = chat.chat_id;
  // Telegram's layout follows the app's language: right to left for Arabic.
  pane.dir = chat.language_code === "ar" ? "rtl" : "ltr";
  const isGroup = chat.kind === "group";
  $(".avatar", pane).textContent = (isGroup ? chat.title : state.botName).slice(0, 1).toUpperCase();
  $(".chat-title", pane).textContent = isGroup ? chat.title : state.botName;
  $(".chat-sub", pane).textContent = {
    family: `bot · as seen by ${chat.title}, Telegram app in ${languageName(chat.language_code)}`,
    staff: `bot · as seen by ${chat.title}, health visitor (the staff desk) · press Reply on a request's message to write to the family`,
    group: "staff group · you press the buttons here as Sam Taylor",
  }[chat.kind];
  const composer = $(".composer", pane);
  const startBar = $(".start-bar", pane);
  if (isGroup) {
    composer.hidden = true;
    startBar.hidden = true;
  } else {
    const fresh = chat.messages.size === 0;
    composer.hidden = fresh;
    startBar.hidden = !fresh;
    $(".start", pane).addEventListener("click", () => sendText(chat.chat_id, "/start"));
    composer.addEventListener("submit", (event) => {
      event.preventDefault();
      const input = $(".text", composer);
      const text = input.value.trim();
      if (!text) return;
      input.value = "";
      const replyTo = state.replyTo && state.replyTo.chatId === chat.chat_id ? state.replyTo.messageId : null;
      setReplyTo(null);
      sendText(chat.chat_id, text, replyTo);
    });
    $(".menu-button", pane).addEventListener("click", () => toggleCommands(chat));
    $(".replying-cancel", pane).addEventListener("click", () => setReplyTo(null));
  }
  for (const message of chat.messages.values()) renderMessage(chat, message);
  renderReplyKeyboard(chat);
  showReplying();
  scrollToEnd();
}

// Replying to a message, as Telegram's "Reply": the staff member writes to a family this way.

function setReplyTo(chatId, messageId) {
  state.replyTo = chatId === null ? null : { chatId, messageId };
  showReplying();
  if (state.replyTo) $("#chat .composer .text").focus();
}

function showReplying() {
  const bar = $("#chat .replying");
  if (!bar) return;
  const chat = state.chats.get(state.openChatId);
  const target = state.replyTo && chat && state.replyTo.chatId === chat.chat_id
    ? chat.messages.get(state.replyTo.messageId) : null;
  bar.hidden = !target;
  $(".replying-text", bar).textContent = target ? firstLine(target) : "";
}

function firstLine(message) {
  return (message.text || (message.document ? message.document.filename : "")).split("\n")[0];
}

function quoteOf(chat, messageId) {
  const quoted = chat.messages.get(messageId);
  const quote = document.createElement("div");
  quote.className = "quote";
  quote.dir = "auto";
  quote.textContent = quoted && !quoted.deleted ? firstLine(quoted) : "Deleted message";
  return quote;
}

function emptyChat() {
  const div = document.createElement("div");
  div.className = "empty-chat";
  div.textContent = "Choose a family, or press New family.";
  return div;
}

function scrollToEnd() {
  const list = $("#chat .messages");
  if (list) list.scrollTop = list.scrollHeight;
}

function dayKey(ms) {
  return formatter({ year: "numeric", month: "2-digit", day: "2-digit" }).format(ms);
}

function renderMessage(chat, message) {
  const list = $("#chat .messages");
  if (!list) return;
  const existing = list.querySelector(`[data-message-id="${message.id}"]`);
  if (message.deleted) {
    if (existing) existing.remove();
    return;
  }
  const ms = message.date * 1000;
  if (!existing) {
    const bubbles = list.querySelectorAll(".msg");
    const previous = bubbles[bubbles.length - 1];
    if (!previous || previous.dataset.day !== dayKey(ms)) {
      const separator = document.createElement("div");
      separator.className = "day";
      separator.textContent = formatter({ weekday: "long", day: "numeric", month: "long", year: "numeric" }).format(ms);
      list.appendChild(separator);
    }
  }
  const bubble = document.createElement("div");
  bubble.className = `msg ${message.from}`;
  bubble.dataset.messageId = message.id;
  bubble.dataset.day = dayKey(ms);
  const arrived = formatter({
    weekday: "short", day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit",
  }).format(ms);
  bubble.dataset.arrived = arrived;
  bubble.title = arrived;
  if (message.reply_to) bubble.appendChild(quoteOf(chat, message.reply_to));
  if (message.document) bubble.appendChild(documentCard(message.document));
  if (message.text) {
    const text = document.createElement("div");
    text.className = "text";
    text.dir = "auto";
    text.appendChild(window.renderFormatted(message.text, message.entities,
      (payload) => sendText(chat.chat_id, `/start ${payload}`)));
    bubble.appendChild(text);
  }
  const stamp = document.createElement("span");
  stamp.className = "stamp";
  stamp.textContent = (message.edited ? "edited " : "") + formatter({ hour: "2-digit", minute: "2-digit" }).format(ms);
  bubble.appendChild(stamp);
  const wrapper = document.createElement("div");
  wrapper.className = `row ${message.from}`;
  wrapper.dataset.messageId = message.id;
  wrapper.appendChild(bubble);
  if (message.buttons && message.buttons.length) wrapper.appendChild(inlineKeyboard(chat, message));
  if (chat.kind === "staff" && message.from === "bot" && message.text) {
    const reply = document.createElement("button");
    reply.type = "button";
    reply.className = "reply-action";
    reply.textContent = "↩ Reply";
    reply.title = "Reply to this message: what you write next answers it";
    reply.addEventListener("click", () => setReplyTo(chat.chat_id, message.id));
    wrapper.appendChild(reply);
  }
  if (existing) existing.replaceWith(wrapper);
  else list.appendChild(wrapper);
}

function documentCard(document_) {
  const card = document.createElement("a");
  card.className = "document";
  card.href = `/sandbox/api/files/${encodeURIComponent(document_.file_id)}`;
  card.download = document_.filename;
  const icon = document.createElement("span");
  icon.className = "doc-icon";
  icon.textContent = "⬇";
  const name = document.createElement("span");
  name.className = "doc-name";
  name.textContent = document_.filename;
  const size = document.createElement("span");
  size.className = "doc-size";
  size.textContent = document_.size < 1024 ? `${document_.size} B` : `${(document_.size / 1024).toFixed(1)} KB`;
  card.append(icon, name, size);
  return card;
}

function inlineKeyboard(chat, message) {
  const keyboard = document.createElement("div");
  keyboard.className = "inline-keyboard";
  for (const row of message.buttons) {
    const line = document.createElement("div");
    line.className = "kb-row";
    for (const button of row) {
      const element = document.createElement("button");
      element.type = "button";
      element.dir = "auto";
      element.textContent = button.text;
      if (button.callback_data !== undefined) element.dataset.callback = button.callback_data;
      if (button.callback_data !== undefined) {
        element.addEventListener("click", () => press(chat.chat_id, message.id, button.callback_data));
      } else if (button.url) {
        const start = window.deepLinkStart(button.url);
        element.addEventListener("click", () => {
          if (start !== null) sendText(chat.chat_id, `/start ${start}`);
          else if (/^https?:/i.test(button.url)) window.open(button.url, "_blank", "noopener,noreferrer");
        });
        element.classList.add("link");
      } else {
        element.disabled = true;
      }
      line.appendChild(element);
    }
    keyboard.appendChild(line);
  }
  return keyboard;
}

function renderReplyKeyboard(chat) {
  const area = $("#chat .reply-keyboard");
  if (!area) return;
  area.replaceChildren();
  const rows = chat.kind === "group" ? null : chat.reply_keyboard;
  area.hidden = !rows || rows.length === 0;
  for (const row of rows || []) {
    const line = document.createElement("div");
    line.className = "kb-row";
    for (const label of row) {
      const button = document.createElement("button");
      button.type = "button";
      button.dir = "auto";
      button.textContent = label;
      button.addEventListener("click", () => sendText(chat.chat_id, label));
      line.appendChild(button);
    }
    area.appendChild(line);
  }
}

function toggleCommands(chat) {
  const area = $("#chat .commands");
  if (!area.hidden) { area.hidden = true; return; }
  const commands = state.commands[chat.language_code] || state.commands[""] || [];
  area.replaceChildren();
  for (const command of commands) {
    const item = document.createElement("button");
    item.type = "button";
    item.className = "command";
    const name = document.createElement("span");
    name.className = "command-name";
    name.textContent = `/${command.command}`;
    const description = document.createElement("span");
    description.className = "command-description";
    description.dir = "auto";
    description.textContent = command.description;
    item.append(name, description);
    item.addEventListener("click", () => { area.hidden = true; sendText(chat.chat_id, `/${command.command}`); });
    area.appendChild(item);
  }
  area.hidden = false;
}

async function sendText(chatId, text, replyTo = null) {
  try {
    const body = replyTo === null ? { text } : { text, reply_to: replyTo };
    await api(`/sandbox/api/chats/${chatId}/messages`, body);
    if (state.openChatId === chatId) {
      $("#chat .start-bar").hidden = true;
      $("#chat .composer").hidden = false;
    }
  } catch (error) {
    toast(error.message);
  }
}

async function press(chatId, messageId, data) {
  try {
    await api(`/sandbox/api/chats/${chatId}/press`, { message_id: messageId, data });
  } catch (error) {
    toast(error.message);
  }
}

// New family, start again, messages to the visitor.

function fillLanguages(languages) {
  const select = $("#language-select");
  if (select.options.length) return;
  for (const language of languages) {
    const option = document.createElement("option");
    option.value = language.code;
    option.textContent = language.name;
    select.appendChild(option);
  }
}

function setUpNewFamily() {
  const dialog = $("#family-dialog");
  const form = $("#family-form");
  $("#new-family").addEventListener("click", () => { form.reset(); dialog.showModal(); });
  $("#family-cancel").addEventListener("click", () => dialog.close());
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    try {
      const chat = await api("/sandbox/api/families", {
        first_name: String(data.get("first_name") || "").trim(),
        language_code: String(data.get("language_code") || "") || null,
      });
      dialog.close();
      addChat(chat);
      openChat(chat.chat_id);
    } catch (error) {
      toast(error.message);
    }
  });
}

let toastTimer = null;
function toast(text) {
  const element = $("#toast");
  element.textContent = text;
  element.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { element.hidden = true; }, 6000);
}

document.addEventListener("DOMContentLoaded", () => {
  setUpNewFamily();
  for (const button of document.querySelectorAll("[data-jump]")) {
    button.addEventListener("click", () => jump(button.dataset.jump));
  }
  $("#start-again").addEventListener("click", async () => {
    if (!window.confirm("Remove every family and message, and set the clock back to today?")) return;
    try { await api("/sandbox/api/start-again", {}); } catch (error) { toast(error.message); }
  });
  setInterval(tickClock, 1000);
  listen();
});
