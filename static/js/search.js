/* The search filters: choosing a school lists its groups in the group filter (the page works without it). */
(function () {
  "use strict";
  var school = document.getElementById("school");
  var group = document.getElementById("group");
  if (!school || !group || !school.dataset.groupOptions || !window.fetch) { return; }
  school.addEventListener("change", function () {
    var url = school.dataset.groupOptions + "?school=" + encodeURIComponent(school.value);
    fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (resp) { return resp.ok ? resp.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        var keep = group.value;
        while (group.options.length > 1) { group.remove(1); }  // the first one is "all"
        data.groups.forEach(function (g) {
          var opt = new Option(g.label, String(g.id));
          opt.selected = String(g.id) === keep;
          group.add(opt);
        });
      })
      .catch(function () { /* the filter keeps its options; the search still works */ });
  });
})();
