// The emulator console's only script: layer toggles on the item page (show or hide a layer).
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  for (const toggle of document.querySelectorAll("input.layer-toggle")) {
    const apply = () => {
      for (const part of document.querySelectorAll(`[data-layer="${toggle.dataset.layer}"]`)) {
        if (part !== toggle) part.style.display = toggle.checked ? "" : "none";
      }
    };
    toggle.addEventListener("change", apply);
    apply();
  }
});
