(function () {
  "use strict";
  function select(node) {
    var range = document.createRange();
    range.selectNodeContents(node);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }
  document.querySelectorAll(".cmd").forEach(function (box) {
    var code = box.querySelector("code");
    if (!code) { return; }
    var button = document.createElement("button");
    button.type = "button";
    button.className = "copy";
    button.textContent = "Copy";
    button.setAttribute("aria-label", "Copy command");
    button.addEventListener("click", function () {
      var text = code.textContent;
      var shown = function (label) {
        button.textContent = label;
        window.setTimeout(function () { button.textContent = "Copy"; }, 1600);
      };
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(text).then(function () { shown("Copied"); },
          function () { select(code); shown("Selected"); });
      } else {
        select(code);
        shown("Selected");
      }
    });
    box.appendChild(button);
    box.classList.add("has-copy");
  });
})();
