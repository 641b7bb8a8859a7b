// Gantry's page script. No inline script anywhere: the Content-Security-Policy
// allows only this file. Everything here is an enhancement of plain HTML.
"use strict";

// Dates: show each <time> in the viewer's time zone; the title keeps UTC.
function localTimes(root) {
  const format = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });
  for (const el of root.querySelectorAll("time[datetime]")) {
    const date = new Date(el.getAttribute("datetime"));
    if (!Number.isNaN(date.getTime())) el.textContent = format.format(date);
  }
}

// Copy buttons: data-copy names the element whose text to copy.
function copyButtons(root) {
  for (const button of root.querySelectorAll("button[data-copy]")) {
    button.addEventListener("click", async () => {
      const source = document.getElementById(button.dataset.copy);
      if (!source) return;
      const label = button.textContent;
      try {
        await navigator.clipboard.writeText(source.textContent);
        button.textContent = "Copied";
      } catch {
        // No clipboard access (plain HTTP on another host): select the text instead.
        const range = document.createRange();
        range.selectNodeContents(source);
        const selection = window.getSelection();
        selection.removeAllRanges();
        selection.addRange(range);
        button.textContent = "Press Ctrl+C";
      }
      setTimeout(() => { button.textContent = label; }, 2000);
    });
  }
}

// Dialogs: data-dialog opens one; data-close closes the one it is in.
// Openers and Cancel may be links (the page with the dialog open, and the
// page again), which is how they work without this script.
function dialogs(root) {
  for (const opener of root.querySelectorAll("[data-dialog]")) {
    opener.addEventListener("click", (event) => {
      const dialog = document.getElementById(opener.dataset.dialog);
      if (!dialog) return;
      event.preventDefault();
      const menu = opener.closest("details");
      if (menu) menu.open = false;
      if (dialog.open) dialog.close();
      dialog.showModal();
    });
  }
  for (const closer of root.querySelectorAll("[data-close]")) {
    closer.addEventListener("click", (event) => {
      const dialog = closer.closest("dialog");
      if (!dialog) return;
      event.preventDefault();
      dialog.close();
    });
  }
}

// Forms marked data-fetch are sent by script so that a refusal is shown in
// the dialog (the server's own words) instead of replacing the page.
function fetchForms(root) {
  for (const form of root.querySelectorAll("form[data-fetch]")) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const error = form.querySelector(".form-error");
      const submit = form.querySelector("button[type=submit]");
      if (error) { error.hidden = true; error.textContent = ""; }
      if (submit) submit.disabled = true;
      try {
        const response = await fetch(form.action, {
          method: "POST",
          body: new URLSearchParams(new FormData(form)),
          headers: { "X-Gantry-Fetch": "1" },
          credentials: "same-origin",
        });
        if (response.ok) {
          window.location.assign(response.url);
          return;
        }
        const text = (await response.text()).trim();
        if (error) {
          error.textContent = text || `The server answered ${response.status}.`;
          error.hidden = false;
        }
      } catch (e) {
        if (error) { error.textContent = `The server could not be reached: ${e.message}`; error.hidden = false; }
      } finally {
        if (submit) submit.disabled = false;
      }
    });
  }
}

// Menus (<details>) close on Escape and when focus or a click leaves them.
function menus(root) {
  for (const menu of root.querySelectorAll("details.menu")) {
    menu.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && menu.open) {
        menu.open = false;
        menu.querySelector("summary")?.focus();
      }
    });
  }
  document.addEventListener("click", (event) => {
    for (const menu of root.querySelectorAll("details.menu[open]")) {
      if (!menu.contains(event.target)) menu.open = false;
    }
  });
}

// A dialog the server rendered open (the page was asked for with
// ?dialog=...) becomes a modal one.
function openDialogs(root) {
  for (const dialog of root.querySelectorAll("dialog[open]")) {
    dialog.close();
    dialog.showModal();
  }
}

document.addEventListener("DOMContentLoaded", () => {
  localTimes(document);
  openDialogs(document);
  copyButtons(document);
  dialogs(document);
  fetchForms(document);
  menus(document);
});
