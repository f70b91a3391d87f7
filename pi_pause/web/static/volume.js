// Shows the volume slider's value as it moves (the page works without it too).
const slider = document.getElementById("voice.volume");
const shown = document.getElementById("volume-value");
if (slider && shown) {
  slider.addEventListener("input", () => { shown.textContent = Math.round(slider.value * 100) + "%"; });
}
