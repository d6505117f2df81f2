// The web chat with JavaScript on: the same forms as without it, sent to the JSON API instead, and the
// answer appended to the conversation log (an aria-live region, so screen readers announce it) without
// reloading the page. Without JavaScript the forms post to "/" and the page comes back whole.
// The server renders every message (escaped); this file only inserts that HTML. No timers: nothing
// here hurries the reader.
(function () {
  "use strict";

  var live = document.getElementById("live"); // the aria-live region around the list of messages
  var log = document.getElementById("log");
  var form = document.getElementById("ask");
  var input = document.getElementById("text");
  var status = document.getElementById("status");
  if (!live || !log || !form || !input || !status || !window.fetch) {
    return; // the plain forms still work
  }
  var busy = false;

  function say(text) {
    status.textContent = text;
  }

  function append(items) {
    items.forEach(function (html) {
      log.insertAdjacentHTML("beforeend", html);
    });
    var last = log.lastElementChild;
    if (last) {
      // the start of the answer, so it is read from its first line
      last.scrollIntoView({ block: "start" });
    }
    return last;
  }

  function send(url, body, onFail) {
    if (busy) {
      say("Still waiting for the last answer. Please try again when it has arrived.");
      return Promise.resolve(null);
    }
    busy = true;
    live.setAttribute("aria-busy", "true");
    say("Sending…");
    return fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(body),
      credentials: "same-origin",
      cache: "no-store"
    })
      .then(function (response) {
        return response.json();
      })
      .then(function (data) {
        if (!data || !Array.isArray(data.items)) {
          throw new Error("unexpected answer");
        }
        say("");
        return append(data.items);
      })
      .catch(function () {
        say("Your message could not be sent: the chat did not answer. Please check your connection and try again.");
        if (onFail) {
          onFail();
        }
        return null;
      })
      .then(function (last) {
        busy = false;
        live.removeAttribute("aria-busy");
        return last;
      });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value;
    input.value = "";
    send("/api/message", { text: text }, function () {
      input.value = text; // not lost: the visitor can send it again
    }).then(function () {
      input.focus();
    });
  });

  // buttons under answers: each is a submit button of a small form; a click (Enter or Space too) sends it
  log.addEventListener("click", function (event) {
    var target = event.target;
    var button = target && target.closest ? target.closest("button[name=card]") : null;
    if (!button) {
      return;
    }
    event.preventDefault();
    send("/api/press", { card: button.value }).then(function (last) {
      if (last) {
        last.focus({ preventScroll: true }); // keyboard users land on the new answer and Tab to its buttons
      }
    });
  });
})();
