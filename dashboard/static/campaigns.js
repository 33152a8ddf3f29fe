// The campaign form: a character count under each message and its Telegram preview, both
// updated as the admin types. The server checks the length again when the draft is saved.
"use strict";

(function () {
  function update(textarea) {
    const code = textarea.dataset.locale;
    const max = Number(textarea.dataset.max);
    const text = textarea.value.replace(/\r\n/g, "\n").trim();
    const count = document.getElementById("count-" + code);
    if (count) {
      count.textContent = text.length + " of " + max + " characters" +
        (text.length > max ? ": too long by " + (text.length - max) : "");
      count.classList.toggle("too-long", text.length > max);
    }
    const bubble = document.querySelector('[data-preview="' + code + '"]');
    if (bubble) {
      bubble.textContent = text || "(no message yet)";
    }
  }

  document.querySelectorAll("textarea[data-locale]").forEach(function (textarea) {
    textarea.addEventListener("input", function () { update(textarea); });
  });
})();
