/* Boards: quote a selected passage, reply to a post in place, show prep fields only for prep threads.
   Every page works without this file: "回复" links carry ?reply_to= and the form is plain HTML. */
(function () {
  "use strict";
  var form = document.querySelector(".reply-form");
  var body = document.getElementById("reply-body");
  var parent = document.getElementById("reply-parent");
  var replyingTo = document.getElementById("replying-to");
  var home = form ? form.parentNode : null;  // where the form lives when answering the thread itself

  function selectionIn(el) {
    var sel = window.getSelection ? window.getSelection() : null;
    if (!sel || sel.isCollapsed || !sel.rangeCount) { return ""; }
    var range = sel.getRangeAt(0);
    if (!el.contains(range.commonAncestorContainer)) { return ""; }
    return sel.toString().trim();
  }

  function setParent(id, author) {
    if (!parent) { return; }
    parent.value = id || "";
    if (replyingTo) {
      var cancel = document.getElementById("cancel-reply-to");
      replyingTo.hidden = !id;
      replyingTo.firstChild && replyingTo.firstChild.nodeType === 3 && (replyingTo.firstChild.nodeValue = "");
      var label = replyingTo.querySelector(".replying-label");
      if (!label) {
        label = document.createElement("span");
        label.className = "replying-label";
        replyingTo.insertBefore(label, cancel || null);
      }
      label.textContent = id ? ("回复 @" + author + " ") : "";
    }
  }

  if (form && body) {
    // Show the quote buttons: they need a selection, so they only make sense with JavaScript.
    document.querySelectorAll(".quote-button").forEach(function (b) { b.hidden = false; });

    document.addEventListener("click", function (ev) {
      var quote = ev.target.closest(".quote-button");
      if (quote) {
        var article = quote.closest("article");
        var bodyEl = article && article.querySelector(".post-body");
        if (!bodyEl) { return; }
        var text = selectionIn(bodyEl) || bodyEl.textContent.trim().slice(0, 200);
        var quoted = text.split("\n").map(function (line) { return "> " + line; }).join("\n");
        var who = bodyEl.getAttribute("data-author") || "";
        body.value = (body.value ? body.value.replace(/\s*$/, "\n\n") : "") +
          (who ? "> **" + who + "**：\n" : "") + quoted + "\n\n";
        var pid = bodyEl.getAttribute("data-post-id");
        if (pid) { setParent(pid, who); }
        body.focus();
        body.scrollIntoView({ block: "center" });
        return;
      }
      var link = ev.target.closest(".reply-link");
      if (link) {
        ev.preventDefault();
        setParent(link.getAttribute("data-parent-id"), link.getAttribute("data-author") || "");
        // Reply inline: the one reply form moves under the post being answered.
        var footer = link.closest(".post-actions");
        if (footer) { footer.parentNode.insertBefore(form, footer.nextSibling); }
        body.focus();
        return;
      }
      var cancel = ev.target.closest("#cancel-reply-to");
      if (cancel) {
        ev.preventDefault();
        setParent("", "");
        if (home && form.parentNode !== home) { home.appendChild(form); }
      }
    });
  }

  // New-thread form: lesson-preparation fields only matter for kind = prep.
  var kind = document.getElementById("thread-kind");
  var prepFields = document.getElementById("prep-fields");
  if (kind && prepFields) {
    var sync = function () { prepFields.hidden = kind.value !== "prep"; };
    kind.addEventListener("change", sync);
    sync();
  }
})();
