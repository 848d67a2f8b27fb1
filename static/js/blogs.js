/* Blog editor and comments: outline per category, live preview, drafts kept in this browser and on the
   server (autosave), paste/drag of files into attachments, reply-to, upload size. Every page works
   without this file; it only keeps more of what the teacher typed. */
(function () {
  "use strict";

  function fmt(text, values) {
    return String(text).replace(/\{(\w+)\}/g, function (m, k) { return values[k] !== undefined ? values[k] : m; });
  }

  function storage() {
    try { var s = window.localStorage; s.getItem("x"); return s; } catch (e) { return null; }
  }

  // A page reached after a successful save names the browser copy it made obsolete.
  var cleared = document.querySelector('meta[name="jy-clear-draft"]');
  if (cleared && storage()) { storage().removeItem(cleared.getAttribute("content")); }

  var editor = document.getElementById("entry-editor");
  var configEl = document.getElementById("editor-config");
  if (editor && configEl) { setupEditor(editor, JSON.parse(configEl.textContent)); }

  function setupEditor(editor, cfg) {
    var M = cfg.messages;
    var body = editor.querySelector("textarea[name=body]");
    var title = editor.querySelector("input[name=title]");
    var category = editor.querySelector("select[name=category]");
    var status = document.getElementById("editor-status");
    var store = storage();
    var key = cfg.localKey;
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

    function say(text, isError) {
      status.textContent = text;
      status.classList.toggle("error", !!isError);
    }

    function tokens(value) {
      Array.prototype.forEach.call(document.querySelectorAll("input[name=csrf_token]"), function (i) { i.value = value; });
    }
    function token() { return editor.querySelector("input[name=csrf_token]").value; }

    var FIELDS = ["title", "body", "category", "tags", "stage", "subject", "grade", "textbook", "unit"];
    function snapshot() {
      var out = {};
      FIELDS.forEach(function (n) { var el = editor.elements[n]; out[n] = el ? el.value : ""; });
      return out;
    }
    function fill(d) {
      FIELDS.forEach(function (n) {
        var el = editor.elements[n];
        // Server drafts keep the teaching fields under "fields"; the browser copy keeps them flat.
        var v = d.fields && d.fields[n] !== undefined ? d.fields[n] : d[n];
        if (el && typeof v === "string" && (v || n === "body" || n === "title")) { el.value = v; }
      });
      body.dispatchEvent(new Event("input", {bubbles: true}));
    }

    // --- the copy in this browser (survives a closed tab, an expired session, a failed submit) ---
    var initial = JSON.stringify(snapshot());
    var serverAt = cfg.serverDraft ? cfg.serverDraft.saved_at : null;
    function readLocal() {
      if (!store) { return null; }
      var raw = store.getItem(key);
      if (!raw) { return null; }
      try {
        var d = JSON.parse(raw);
        if (d && typeof d.body === "string") { return d; }
      } catch (e) { /* an older plain-text copy */ }
      return {body: raw, title: "", at: 0};
    }
    function writeLocal() {
      if (!store) { return; }
      var d = snapshot();
      d.at = Date.now();
      d.serverAt = serverAt;
      try { store.setItem(key, JSON.stringify(d)); } catch (e) { /* full: the server copy remains */ }
    }

    // --- offer the newer of the server draft and the browser copy ---
    var local = readLocal();
    var current = snapshot();
    var differs = function (d) { return d && (d.body !== current.body || (d.title && d.title !== current.title)); };
    var offer = null;
    if (differs(local) && !isOutline(local.body)) {
      // The browser copy is newer unless the server received a save it never saw (another device).
      if (!(cfg.serverDraft && local.serverAt !== cfg.serverDraft.saved_at)) {
        offer = {draft: local, text: fmt(M.restoreLocal, {t: local.at ? new Date(local.at).toLocaleString() : ""})};
      }
    }
    var empty = function (d) { return isOutline(d.body) && !(d.title || "").trim(); };
    if (!offer && cfg.serverDraft && differs(cfg.serverDraft) && !empty(cfg.serverDraft)) {
      offer = {draft: cfg.serverDraft, text: fmt(M.restoreServer, {t: cfg.serverDraft.saved_label})};
    }
    var banner = document.getElementById("draft-restore");
    if (offer && banner) {
      document.getElementById("draft-restore-text").textContent = offer.text;
      banner.hidden = false;
      document.getElementById("draft-restore-yes").addEventListener("click", function () {
        fill(offer.draft);
        banner.hidden = true;
        say(M.restored);
        dirty = true;
        schedule();
        body.focus();
      });
      document.getElementById("draft-restore-later").addEventListener("click", function () { banner.hidden = true; });
      document.getElementById("draft-restore-no").addEventListener("click", function () {
        banner.hidden = true;
        if (store) { store.removeItem(key); }
        if (cfg.serverDraft) { post(cfg.discardUrl, new FormData()); }
        say(M.discarded);
      });
    }

    // --- autosave to the server: at most every intervalMs while typing, and when the page is hidden ---
    var dirty = false, timer = null, inflight = null, submitting = false, localTimer = null;
    function changed() {
      dirty = JSON.stringify(snapshot()) !== initial || dirty;
      clearTimeout(localTimer);
      localTimer = setTimeout(writeLocal, 400);
      schedule();
    }
    function schedule() {
      if (!timer && dirty && !submitting) { timer = setTimeout(function () { timer = null; save(); }, cfg.intervalMs); }
    }
    function formData() {
      var data = new FormData();
      var snap = snapshot();
      Object.keys(snap).forEach(function (k) { data.append(k, snap[k]); });
      var version = editor.elements.version;
      if (version) { data.append("version", version.value); }
      data.append("csrf_token", token());
      return data;
    }
    function post(url, data) {
      data.set("csrf_token", token());
      return fetch(url, {method: "POST", body: data, credentials: "same-origin",
                         headers: {"Accept": "application/json"}});
    }
    function refreshToken() {
      return fetch(cfg.tokenUrl, {credentials: "same-origin", headers: {"Accept": "application/json"}})
        .then(function (r) { if (!r.ok) { throw r; } return r.json(); })
        .then(function (j) { tokens(j.csrf_token); });
    }
    function save(retried) {
      if (!dirty || submitting || !window.fetch) { return; }
      if (empty(snapshot())) { dirty = false; return; }  // an untouched outline is not worth a draft
      if (navigator.onLine === false) { say(M.offline, true); schedule(); return; }
      dirty = false;
      say(M.saving);
      var sent = JSON.stringify(snapshot());
      inflight = post(cfg.autosaveUrl, formData()).then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (j) { return {r: r, j: j}; });
      }).then(function (res) {
        inflight = null;
        if (submitting) { return; }
        if (res.r.ok) {
          serverAt = res.j.saved_at;
          if (res.j.csrf_token) { tokens(res.j.csrf_token); }
          writeLocal();
          say(fmt(M.saved, {t: res.j.saved_label}));
          initial = sent;
          return;
        }
        dirty = true;
        var code = res.j.error && res.j.error.code;
        if ((code === "csrf_failed" || res.r.status === 401) && !retried) {
          // A new session in another tab: take its token and try once more.
          return refreshToken().then(function () { save(true); }, function () { say(M.loggedOut, true); schedule(); });
        }
        say(res.r.status === 401 ? M.loggedOut
          : fmt(M.saveFailed, {m: (res.j.error && res.j.error.message) || res.r.status}), true);
        schedule();
      }, function () {
        inflight = null;
        dirty = true;
        say(M.offline, true);
        schedule();
      });
    }
    editor.addEventListener("input", changed);
    editor.addEventListener("change", changed);
    window.addEventListener("online", function () { if (dirty) { save(); } });
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "hidden" && dirty && !submitting && !empty(snapshot())) {
        writeLocal();
        if (navigator.sendBeacon && navigator.sendBeacon(cfg.autosaveUrl, formData())) { dirty = false; }
      }
    });
    editor.addEventListener("submit", function (ev) {
      var action = ev.submitter && ev.submitter.value;
      if (action === "preview") { return; }
      submitting = true;       // no autosave may land after the entry is saved
      clearTimeout(timer);
      writeLocal();            // kept until the next page says the save went through
    });

    // --- preview through the server, with the same renderer as published entries ---
    var button = document.getElementById("preview-button");
    var pane = document.getElementById("preview-pane");
    var target = document.getElementById("preview-body");
    if (button && window.fetch) {
      button.addEventListener("click", function (ev) {
        ev.preventDefault();
        var data = new FormData();
        data.append("body", body.value);
        post(editor.getAttribute("data-preview-url"), data)
          .then(function (r) { return r.json(); })
          .then(function (json) {
            if (json.html !== undefined) {
              target.innerHTML = json.html;  // sanitized by the server's one renderer
              pane.hidden = false;
            } else if (json.error) {
              say(json.error.message, true);
            }
          }, function () { say(M.offline, true); });
      });
    }

    // --- paste and drop files: upload each into the attachments, then insert its Markdown ---
    var seq = 0;
    var picker = document.createElement("input");
    picker.type = "file";
    picker.multiple = true;
    picker.hidden = true;
    picker.accept = cfg.types.map(function (t) { return "." + t; }).join(",");
    picker.setAttribute("aria-hidden", "true");
    picker.tabIndex = -1;
    editor.appendChild(picker);
    picker.addEventListener("change", function () { uploadAll(picker.files); picker.value = ""; });
    body.addEventListener("md-image", function (ev) { ev.preventDefault(); picker.click(); });

    body.addEventListener("paste", function (ev) {
      var dt = ev.clipboardData;
      if (!dt || !dt.files || !dt.files.length) { return; }
      // Copying from Word or a web page also carries a picture of the text: paste the text then.
      if ((dt.getData("text/plain") || "").trim()) { return; }
      ev.preventDefault();
      uploadAll(dt.files, true);
    });
    body.addEventListener("dragover", function (ev) {
      if (ev.dataTransfer && Array.prototype.indexOf.call(ev.dataTransfer.types || [], "Files") >= 0) {
        ev.preventDefault();
        body.classList.add("drop-target");
      }
    });
    body.addEventListener("dragleave", function () { body.classList.remove("drop-target"); });
    body.addEventListener("drop", function (ev) {
      body.classList.remove("drop-target");
      if (ev.dataTransfer && ev.dataTransfer.files && ev.dataTransfer.files.length) {
        ev.preventDefault();
        uploadAll(ev.dataTransfer.files);
      }
    });

    function uploadAll(files, pasted) {
      Array.prototype.forEach.call(files, function (f) { upload(f, pasted); });
    }

    function replacePlaceholder(mark, text) {
      var at = body.value.indexOf(mark);
      if (at < 0) {  // the teacher deleted the placeholder: put the link at the end
        if (!text) { return; }
        at = body.value.length;
        text = (body.value && !/\n$/.test(body.value) ? "\n\n" : "") + text;
        mark = "";
      }
      var s = body.selectionStart, e = body.selectionEnd, delta = text.length - mark.length;
      body.setRangeText(text, at, at + mark.length, "preserve");
      if (s >= at + mark.length) { body.setSelectionRange(s + delta, e + delta); }
      body.dispatchEvent(new Event("input", {bubbles: true}));
    }

    function upload(file, pasted) {
      var name = file.name || "image.png";
      if (pasted && /^image\.(png|jpe?g)$/i.test(name)) {
        // A screenshot from the clipboard is always called image.png: give it a name worth keeping.
        var d = new Date(), two = function (n) { return (n < 10 ? "0" : "") + n; };
        name = M.screenshot + "-" + d.getFullYear() + two(d.getMonth() + 1) + two(d.getDate()) + "-" +
          two(d.getHours()) + two(d.getMinutes()) + two(d.getSeconds()) + "." + name.split(".").pop().toLowerCase();
      }
      var ext = (name.split(".").pop() || "").toLowerCase();
      if (!/\./.test(name) && file.type === "image/png") { name = "image.png"; ext = "png"; }
      if (cfg.types.indexOf(ext) < 0) { say(fmt(M.uploadFailed, {n: name, m: M.badType}), true); return; }
      if (file.size > cfg.maxBytes) { say(fmt(M.uploadFailed, {n: name, m: M.tooLarge}), true); return; }
      if (navigator.onLine === false) { say(fmt(M.uploadFailed, {n: name, m: M.uploadOffline}), true); return; }
      seq += 1;
      var mark = "[" + fmt(M.placeholder, {n: name}) + " #" + seq + "]";
      var s = body.selectionStart, e = body.selectionEnd;
      // Each file is a paragraph of its own, so an image is not run into the sentence before it.
      var before = body.value.slice(0, s);
      var lead = !before || /\n\n$/.test(before) ? "" : (/\n$/.test(before) ? "\n" : "\n\n");
      var end = lead.length + mark.length + 2;
      window.jyMarkdown.insert(body, s, e, lead + mark + "\n\n", end, end);
      say(fmt(M.uploading, {n: name}));
      var data = new FormData();
      data.append("file", file, name);
      data.append("csrf_token", token());
      var xhr = new XMLHttpRequest();
      xhr.open("POST", cfg.uploadUrl);
      xhr.setRequestHeader("Accept", "application/json");
      xhr.upload.onprogress = function (ev) {
        if (ev.lengthComputable) { say(fmt(M.uploadProgress, {n: name, p: Math.round(ev.loaded * 100 / ev.total)})); }
      };
      xhr.onload = function () {
        var j = {};
        try { j = JSON.parse(xhr.responseText); } catch (err) { j = {}; }
        if (xhr.status === 201 && j.markdown) {
          replacePlaceholder(mark, j.markdown);
          listFile(j);
          say(fmt(M.uploaded, {n: j.name}));
          return;
        }
        replacePlaceholder(mark, "");
        var msg = (j.error && j.error.message) || "";
        if (xhr.status === 401) { msg = M.loggedOut; }
        else if (xhr.status === 413) { msg = M.tooLarge; }
        else if (xhr.status === 429) { msg = M.rateLimited; }
        say(fmt(M.uploadFailed, {n: name, m: msg || xhr.status}), true);
      };
      xhr.onerror = function () {
        replacePlaceholder(mark, "");
        say(fmt(M.uploadFailed, {n: name, m: M.uploadOffline}), true);
      };
      xhr.send(data);
    }

    function listFile(j) {
      var list = document.getElementById("entry-files") || document.getElementById("pending-files");
      if (j.pending) {
        var hidden = document.createElement("input");
        hidden.type = "hidden";
        hidden.name = "attachment_ids";
        hidden.value = j.id;
        editor.appendChild(hidden);
      }
      if (!list) { return; }
      var empty = list.querySelector("li.muted");
      if (empty) { empty.remove(); }
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = j.url;
      a.textContent = j.name;
      var size = document.createElement("span");
      size.className = "muted";
      size.textContent = " " + (j.size / 1024).toFixed(1) + " KB";
      li.appendChild(a);
      li.appendChild(size);
      list.appendChild(li);
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
