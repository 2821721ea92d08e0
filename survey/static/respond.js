// Read-aloud for respondent forms: progressive enhancement. The button appears only when the
// browser has a speech voice for the form's language; without JavaScript the form is complete.
(function () {
  "use strict";
  var script = document.currentScript;
  var synth = window.speechSynthesis;
  if (!script || !synth || !window.SpeechSynthesisUtterance) { return; }
  var lang = script.getAttribute("data-lang");
  var label = script.getAttribute("data-read-aloud");

  function voiceFor(language) {
    var voices = synth.getVoices();
    for (var i = 0; i < voices.length; i++) {
      if (voices[i].lang.toLowerCase().indexOf(language) === 0) { return voices[i]; }
    }
    return null;
  }

  function speak(text) {
    var utterance = new SpeechSynthesisUtterance(text);
    var voice = voiceFor(lang);
    utterance.lang = lang;
    if (voice) { utterance.voice = voice; }
    synth.cancel();
    synth.speak(utterance);
  }

  function addButtons() {
    if (!voiceFor(lang) || document.querySelector(".read-aloud")) { return; }
    var questions = document.querySelectorAll("fieldset.question");
    Array.prototype.forEach.call(questions, function (fieldset) {
      var statement = fieldset.querySelector(".statement");
      var options = fieldset.querySelectorAll(".option span");
      var button = document.createElement("button");
      button.type = "button";
      button.className = "read-aloud";
      button.textContent = "\u25B6 " + label;
      button.addEventListener("click", function () {
        var parts = [statement.textContent];
        Array.prototype.forEach.call(options, function (option) { parts.push(option.textContent); });
        speak(parts.join(". "));
      });
      fieldset.insertBefore(button, fieldset.querySelector(".options"));
    });
  }

  addButtons();
  if (typeof synth.addEventListener === "function") {
    synth.addEventListener("voiceschanged", addButtons);
  }
})();
