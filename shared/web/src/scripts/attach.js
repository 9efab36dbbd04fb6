
// Each file goes straight to storage: ask for a signed slot, post the file to it,
// then keep its reference in the form. The message itself carries no file bytes.
(function () {
  var box = document.currentScript.previousElementSibling;
  var input = box.querySelector("input[type=file]"), list = box.querySelector("ul.files");
  var form = box.closest("form"), pending = 0;
  input.hidden = false;
  // Looked up when used: the button comes after this script in the page.
  function busy(on) {
    var b = form.querySelector("button[type=submit]");
    if (b) b.disabled = on;
  }
  function reason(body) {
    var e = (body && body.error) || {}, f = e.fields || {};
    return f.attachments || f.name || f.size || e.message || "não foi possível enviar";
  }
  // A slot for a ticket's message is bound to that ticket, proven by its link.
  function ask(file) {
    var b = { name: file.name, size: file.size };
    if (box.dataset.ticket) { b.ticket = box.dataset.ticket; b.k = box.dataset.k; }
    return b;
  }
  function upload(file) {
    var li = document.createElement("li");
    li.textContent = file.name + " – enviando…";
    list.appendChild(li);
    pending++; busy(true);
    fetch(box.dataset.slot, { method: "POST", credentials: "same-origin",
      headers: { "Accept": "application/json", "Content-Type": "application/json" },
      body: JSON.stringify(ask(file)) })
      .then(function (r) { return r.json().then(function (b) { if (!r.ok) throw new Error(reason(b)); return b; }); })
      .then(function (slot) {
        var fd = new FormData();
        Object.keys(slot.upload.fields).forEach(function (k) { fd.append(k, slot.upload.fields[k]); });
        fd.append("file", file);
        return fetch(slot.upload.url, { method: "POST", body: fd }).then(function (r) {
          if (!r.ok) throw new Error("o armazenamento recusou o arquivo (" + r.status + ")");
          return slot;
        });
      })
      // Checked by its content at once, not when the form is sent.
      .then(function (slot) {
        li.textContent = file.name + " – conferindo…";
        return fetch(box.dataset.check + "&a=" + encodeURIComponent(slot.attachment),
          { credentials: "same-origin", headers: { "Accept": "application/json" } })
          .then(function (r) { return r.json().then(function (b) { if (!r.ok) throw new Error(reason(b)); return b; }); });
      })
      .then(function (slot) {
        li.textContent = "";
        var label = document.createElement("label"), cb = document.createElement("input");
        cb.type = "checkbox"; cb.name = "attachments"; cb.value = slot.attachment; cb.checked = true;
        label.appendChild(cb); label.appendChild(document.createTextNode(" " + file.name));
        li.appendChild(label);
      })
      .catch(function (e) {
        // The server's reasons already start with the file's name.
        li.textContent = e.message.indexOf(file.name) === 0 ? e.message : file.name + ": " + e.message;
        li.className = "error";
      })
      .finally(function () { if (--pending === 0) busy(false); });
  }
  input.addEventListener("change", function () {
    Array.prototype.forEach.call(input.files, upload);
    input.value = "";
  });
})();
