// The console's only script: copy buttons and confirmations (no inline script, so the CSP forbids all others).
document.addEventListener("click", (event) => {
  const copy = event.target.closest("button[data-copy]");
  if (copy) {
    const text = document.getElementById(copy.dataset.copy).textContent;
    navigator.clipboard.writeText(text).then(() => { copy.textContent = "Copied"; });
    return;
  }
  const risky = event.target.closest("button[data-confirm]");
  if (risky && !window.confirm(risky.dataset.confirm)) {
    event.preventDefault();
  }
});
