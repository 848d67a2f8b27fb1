/* Blog editor and comments: outline per category, live preview, local draft backup, reply-to, upload size. */
(function () {
  "use strict";

  var editor = document.getElementById("entry-editor");
  if (editor) {
    var body = editor.querySelector("textarea[name=body]");
    var category = editor.querySelector("select[name=category]");
    var outlines = {};
    Array.prototype.forEach.call(category.options, function (o) { outlines[o.value] = o.getAttribute("data-outline") || ""; });
    var isOutline = function (text) {
      var t = text.trim();
      if (!t) { return true; }
      return Object.keys(outlines).some(function (k) { return outlines[k] && outlines[k].trim() === t; });
    };
    // Switching category replaces the outline only while the body is still an untouched outline.
    category.addEventListener("change", function () {
      if (isOutline(body.value) && outlines[category.value] !== undefined) { body.value = outlines[category.value]; }
    });

    // Keep a copy of the text in this browser, so nothing is lost to a network error or an expired form.
    var key = editor.getAttribute("data-draft-key");
    try {
      var saved = window.localStorage.getItem(key);
      if (saved && saved !== body.value && isOutline(body.value)) { body.value = saved; }
      var timer = null;
      body.addEventListener("input", function () {
        clearTimeout(timer);
        timer = setTimeout(function () { window.localStorage.setItem(key, body.value); }, 500);
      });
      editor.addEventListener("submit", function (ev) {
        var action = ev.submitter && ev.submitter.value;
        if (action !== "preview") { window.localStorage.setItem(key, body.value); }
      });
    } catch (e) { /* storage unavailable: the server keeps drafts anyway */ }

    // Preview through the server, with the same renderer as published entries.
    var button = document.getElementById("preview-button");
    var pane = document.getElementById("preview-pane");
    var target = document.getElementById("preview-body");
    if (button && window.fetch) {
      button.addEventListener("click", function (ev) {
        ev.preventDefault();
        var data = new FormData();
        data.append("body", body.value);
        data.append("csrf_token", editor.querySelector("input[name=csrf_token]").value);
        fetch(editor.getAttribute("data-preview-url"), {method: "POST", body: data, credentials: "same-origin"})
          .then(function (r) { return r.json(); })
          .then(function (json) {
            if (json.html !== undefined) {
              target.innerHTML = json.html;  // sanitized by the server's one renderer
              pane.hidden = false;
            }
          });
      });
    }
  }

  // Reply to a comment without reloading.
  var parent = document.getElementById("parent_id");
  var note = document.getElementById("reply-note");
  document.addEventListener("click", function (ev) {
    var link = ev.target.closest(".reply-link");
    if (link && parent) {
      ev.preventDefault();
      parent.value = link.getAttribute("data-reply");
      note.hidden = false;
      var ta = document.querySelector("#comment-form textarea");
      if (ta) { ta.focus(); }
    }
    if (ev.target.id === "reply-cancel" && parent) { parent.value = ""; note.hidden = true; }
  });

  // Refuse a too-big file before sending it.
  var upload = document.querySelector("form.upload-form");
  if (upload) {
    upload.addEventListener("submit", function (ev) {
      var input = upload.querySelector("input[type=file]");
      var max = parseInt(upload.getAttribute("data-max-bytes"), 10);
      var err = upload.querySelector(".upload-size-error");
      if (input.files.length && input.files[0].size > max) {
        ev.preventDefault();
        err.textContent = upload.getAttribute("data-too-large");
        err.hidden = false;
      }
    });
  }
})();
