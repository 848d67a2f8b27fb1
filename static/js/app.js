/* Small progressive enhancements; every page works without JavaScript. */
(function () {
  "use strict";
  // Confirm destructive buttons that carry data-confirm.
  document.addEventListener("click", function (ev) {
    var el = ev.target.closest("[data-confirm]");
    if (el && !window.confirm(el.getAttribute("data-confirm"))) { ev.preventDefault(); }
  });
  // Auto-submit selects marked data-autosubmit (month pickers, filters).
  document.addEventListener("change", function (ev) {
    var el = ev.target;
    if (el.matches && el.matches("select[data-autosubmit]") && el.form) { el.form.submit(); }
  });
})();
