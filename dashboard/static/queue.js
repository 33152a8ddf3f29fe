/* Live queue: listen to the server's stream and swap in the fresh table when the queue
   changes, saying so in the page's status region. Without JavaScript (or EventSource) the
   page keeps working: the Refresh link reloads it. */
(function () {
  "use strict";
  var results = document.getElementById("queue-results");
  var live = document.getElementById("queue-live");
  if (!results || !live || !window.EventSource || !window.fetch) {
    return;
  }
  var stream = new URL(results.getAttribute("data-stream"), window.location.href);
  stream.searchParams.set("since", results.getAttribute("data-signature") || "");
  var source = new EventSource(stream.toString());
  var busy = false;
  var again = false;

  function announce(fresh) {
    if (fresh === 1) {
      live.textContent = "1 new request";
    } else if (fresh > 1) {
      live.textContent = fresh + " new requests";
    } else {
      live.textContent = "The queue was updated";
    }
  }

  function focusedLink() {
    var active = document.activeElement;
    if (active && results.contains(active) && active.getAttribute("href")) {
      return active.getAttribute("href");
    }
    return null;
  }

  function refresh(fresh) {
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    var url = new URL(window.location.href);
    url.searchParams.set("fragment", "1");
    fetch(url.toString(), { credentials: "same-origin", headers: { Accept: "text/html", "X-Automatic": "1" } })
      .then(function (response) {
        if (!response.ok || response.redirected) {
          // A redirect is the sign-in page: the session ended, so do not show it here.
          throw new Error("status " + response.status);
        }
        return response.text();
      })
      .then(function (html) {
        var keep = focusedLink();
        results.innerHTML = html;
        if (keep) {
          var links = results.querySelectorAll("a[href]");
          for (var i = 0; i < links.length; i += 1) {
            if (links[i].getAttribute("href") === keep) {
              links[i].focus();
              break;
            }
          }
        }
        announce(fresh);
      })
      .catch(function () {
        live.textContent = "The queue changed. Use Refresh to see it (you may need to sign in again).";
      })
      .then(function () {
        busy = false;
        if (again) {
          again = false;
          refresh(0);
        }
      });
  }

  source.addEventListener("queue", function (event) {
    var data = {};
    try {
      data = JSON.parse(event.data);
    } catch (error) {
      data = {};
    }
    refresh(typeof data["new"] === "number" ? data["new"] : 0);
  });

  source.addEventListener("error", function () {
    if (source.readyState === EventSource.CLOSED) {
      live.textContent = "Live updates stopped. Use Refresh to see the latest.";
    }
  });
})();
