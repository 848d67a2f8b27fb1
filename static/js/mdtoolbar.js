/* Markdown toolbar: buttons rendered by the server ([data-md-for]) act on the textarea's selection.
   Text goes in through execCommand("insertText") so the browser's undo (Ctrl+Z) still works; where
   that is unavailable, setRangeText. Ctrl/Cmd+B, I, K are shortcuts. Arrow keys move along the toolbar.
   Other scripts may take over the image button: a cancelled "md-image" event on the textarea. */
(function () {
  "use strict";

  function insert(ta, start, end, text, selStart, selEnd) {
    // Replace [start, end) by text, then select [selStart, selEnd) (relative to start).
    ta.focus();
    ta.setSelectionRange(start, end);
    var done = false;
    try { done = document.execCommand("insertText", false, text); } catch (e) { done = false; }
    if (!done || ta.value.slice(start, start + text.length) !== text) {
      ta.setRangeText(text, start, end, "end");
      ta.dispatchEvent(new Event("input", {bubbles: true}));
    }
    ta.setSelectionRange(start + selStart, start + selEnd);
  }

  function wrap(ta, before, after, ph) {
    var s = ta.selectionStart, e = ta.selectionEnd, v = ta.value, sel = v.slice(s, e);
    // Already wrapped: unwrap (the button toggles).
    if (v.slice(s - before.length, s) === before && v.slice(e, e + after.length) === after && sel) {
      insert(ta, s - before.length, e + after.length, sel, 0, sel.length);
      return;
    }
    var inner = sel || ph;
    insert(ta, s, e, before + inner + after, before.length, before.length + inner.length);
  }

  function lines(ta, prefixFor, ph) {
    var v = ta.value, s = ta.selectionStart, e = ta.selectionEnd;
    var ls = v.lastIndexOf("\n", s - 1) + 1;
    var le = v.indexOf("\n", e > s && v[e - 1] === "\n" ? e - 1 : e);
    if (le < 0) { le = v.length; }
    var block = v.slice(ls, le);
    if (!block) {
      var p = prefixFor(0);
      insert(ta, ls, le, p + ph, p.length, p.length + ph.length);
      return;
    }
    var rows = block.split("\n");
    var pattern = new RegExp("^" + prefixFor(0).replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace("1\\.", "\\d+\\."));
    var all = rows.every(function (r) { return pattern.test(r); });
    var out = rows.map(function (r, i) {
      return all ? r.replace(pattern, "") : prefixFor(i) + r.replace(/^(#{1,6} |> |[-*] |\d+\. )/, "");
    }).join("\n");
    insert(ta, ls, le, out, 0, out.length);
  }

  function link(ta, ph) {
    var s = ta.selectionStart, e = ta.selectionEnd, sel = ta.value.slice(s, e);
    if (/^https?:\/\/\S+$/.test(sel)) {
      insert(ta, s, e, "[" + ph + "](" + sel + ")", 1, 1 + ph.length);
      return;
    }
    var text = sel || ph, url = "https://";
    insert(ta, s, e, "[" + text + "](" + url + ")", text.length + 3, text.length + 3 + url.length);
  }

  function blockBreak(ta, s) {
    // Block syntax (fences, tables) must start on a line of its own after a blank line.
    var before = ta.value.slice(0, s);
    if (!before || /\n\n$/.test(before)) { return ""; }
    return /\n$/.test(before) ? "\n" : "\n\n";
  }

  function code(ta, ph) {
    var s = ta.selectionStart, e = ta.selectionEnd, sel = ta.value.slice(s, e);
    if (sel.indexOf("\n") < 0 && sel) { wrap(ta, "`", "`", ph); return; }
    var lead = blockBreak(ta, s), inner = sel || ph;
    insert(ta, s, e, lead + "```\n" + inner + "\n```\n", lead.length + 4, lead.length + 4 + inner.length);
  }

  function table(ta, ph) {
    var heads = ph.split("|"), s = ta.selectionStart, e = ta.selectionEnd;
    var lead = blockBreak(ta, s);
    var row = function (cells) { return "| " + cells.join(" | ") + " |\n"; };
    var blank = heads.map(function () { return "  "; });
    var text = lead + row(heads) + row(heads.map(function () { return "---"; })) + row(blank) + row(blank);
    insert(ta, s, e, text, lead.length + 2, lead.length + 2 + heads[0].length);
  }

  var ACTIONS = {
    bold: function (ta, ph) { wrap(ta, "**", "**", ph); },
    italic: function (ta, ph) { wrap(ta, "*", "*", ph); },
    heading: function (ta, ph) { lines(ta, function () { return "## "; }, ph); },
    quote: function (ta, ph) { lines(ta, function () { return "> "; }, ph); },
    bullets: function (ta, ph) { lines(ta, function () { return "- "; }, ph); },
    numbers: function (ta, ph) { lines(ta, function (i) { return (i + 1) + ". "; }, ph); },
    link: link,
    code: code,
    table: table,
    image: function (ta, ph) {
      var ev = new CustomEvent("md-image", {cancelable: true});
      if (ta.dispatchEvent(ev)) {
        var s = ta.selectionStart, e = ta.selectionEnd, sel = ta.value.slice(s, e) || ph, url = "https://";
        insert(ta, s, e, "![" + sel + "](" + url + ")", sel.length + 4, sel.length + 4 + url.length);
      }
    }
  };
  var KEYS = {b: "bold", i: "italic", k: "link"};

  function setup(bar) {
    var ta = document.getElementById(bar.getAttribute("data-md-for"));
    if (!ta) { return; }
    var buttons = Array.prototype.slice.call(bar.querySelectorAll("button[data-md]"));
    var run = function (name) {
      var btn = bar.querySelector('button[data-md="' + name + '"]');
      ACTIONS[name](ta, btn ? btn.getAttribute("data-ph") || "" : "");
    };
    // One tab stop for the whole toolbar; arrows, Home and End move inside it (ARIA toolbar pattern).
    buttons.forEach(function (b, i) { b.tabIndex = i === 0 ? 0 : -1; });
    bar.addEventListener("mousedown", function (ev) {
      if (ev.target.closest("button")) { ev.preventDefault(); }  // keep the textarea's selection
    });
    bar.addEventListener("click", function (ev) {
      var b = ev.target.closest("button[data-md]");
      if (b && ACTIONS[b.getAttribute("data-md")]) { run(b.getAttribute("data-md")); }
    });
    bar.addEventListener("keydown", function (ev) {
      var i = buttons.indexOf(document.activeElement);
      if (i < 0) { return; }
      var next = {ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: buttons.length - 1}[ev.key];
      if (next === undefined) { return; }
      ev.preventDefault();
      next = (next + buttons.length) % buttons.length;
      buttons[i].tabIndex = -1;
      buttons[next].tabIndex = 0;
      buttons[next].focus();
    });
    ta.addEventListener("keydown", function (ev) {
      if (!(ev.ctrlKey || ev.metaKey) || ev.altKey || ev.shiftKey) { return; }
      var name = KEYS[ev.key.toLowerCase()];
      if (name) { ev.preventDefault(); run(name); }
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll("[data-md-for]"), setup);
  window.jyMarkdown = {insert: insert};
})();
