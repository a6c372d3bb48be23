// Rookery console: a little progressive enhancement. Every page works without it.
// A page holding an element with data-refresh="N" reloads itself every N seconds while it
// shows something still moving (a delivery that is pending or being sent).
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const moving = document.querySelector("[data-refresh]");
  if (moving) {
    const seconds = Number(moving.getAttribute("data-refresh")) || 5;
    setTimeout(() => window.location.reload(), seconds * 1000);
  }
});
