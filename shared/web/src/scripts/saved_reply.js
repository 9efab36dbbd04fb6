
// A saved reply fills the reply's text at once; without JavaScript the form
// reloads the page with it filled.
(function () {
  var form = document.currentScript.previousElementSibling;
  var text = document.getElementById("f-message");
  form.addEventListener("submit", function (e) {
    var chosen = form.elements.resposta.selectedOptions[0];
    if (!chosen || !text) return;
    e.preventDefault();
    text.value = chosen.dataset.text;
    text.focus();
  });
})();
