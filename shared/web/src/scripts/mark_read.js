
// Opening the page in a browser marks the replies read. A GET never does, because
// mail scanners open links too; without JavaScript the button above does it.
(function () {
  var f = document.getElementById("lidas");
  fetch(f.action, { method: "POST", headers: { "Accept": "application/json" }, body: new URLSearchParams(new FormData(f)) });
})();
