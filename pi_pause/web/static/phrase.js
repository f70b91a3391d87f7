// "Will it hear this?": asks about what is typed in the phrase field and shows the answer
// beside it, without reloading the page. Without this script the same button still works:
// the page comes back at the field with the answer.
document.addEventListener("DOMContentLoaded", function () {
  var form = document.getElementById("phrase-form");
  var button = document.getElementById("phrase-check");
  var verdict = document.getElementById("phrase-verdict");
  if (!form || !button || !verdict || !window.fetch) return;

  function show(text, ok) {
    verdict.textContent = text;
    verdict.className = "note" + (ok === undefined ? "" : ok ? " ok" : " error");
    verdict.hidden = false;
  }

  button.addEventListener("click", function (event) {
    event.preventDefault();
    show("Checking…");
    fetch(button.formAction, {method: "POST", body: new FormData(form), credentials: "same-origin",
                              headers: {"Accept": "application/json"}})
      .then(function (reply) { return reply.json(); })
      .then(function (answer) {
        show([answer.plain].concat(answer.plain_warnings || []).join(" "), answer.ok);
      })
      .catch(function () { show("The check did not answer; try again.", false); });
  });
});
