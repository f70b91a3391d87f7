// "Record a take": the Pi needs a few seconds to say its cue and listen, so the page says
// what is happening meanwhile (without this script the page simply waits for the verdict).
document.addEventListener("DOMContentLoaded", function () {
  var form = document.getElementById("voices-form");
  var note = document.getElementById("voices-waiting");
  if (!form || !note) return;
  form.addEventListener("submit", function (event) {
    var what = event.submitter ? event.submitter.value : "";
    if (what === "take") note.textContent = "Listen for the Pi: say your phrase after its tone.";
    else if (what === "finish") note.textContent = "Learning the voice; this can take a minute.";
    else return;
    note.hidden = false;
  });
});
