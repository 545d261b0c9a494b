/* The demo site's own script (the widget leaves it and its globals alone). */
(function () {
  "use strict";
  var button = document.getElementById("site-button");
  var output = document.getElementById("site-output");
  button.addEventListener("click", function () {
    output.hidden = !output.hidden;
  });
  window.siteScriptRan = true;
})();
