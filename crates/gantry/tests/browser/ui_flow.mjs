// The web UI in a real browser (Debian's Chromium, headless, driven by
// playwright-core), against a running Gantry. Started by the Rust test
// `ui_browser.rs`, which starts the server, creates the users and checks
// the database afterwards. Exits non-zero on the first failed step.
//
// Environment: GANTRY_URL, GANTRY_ADMIN_PASSWORD, GANTRY_VIEWER_PASSWORD,
// GANTRY_PACKAGE (a .upack), GANTRY_OTHER_PACKAGE (same name and version,
// other content), GANTRY_TEST_CHROMIUM, GANTRY_TEST_PLAYWRIGHT (its
// node_modules), GANTRY_SCREENSHOTS (a folder for reviewers).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
const base = env("GANTRY_URL");
const shots = env("GANTRY_SCREENSHOTS");
mkdirSync(shots, { recursive: true });
const { chromium } = createRequire(path.join(env("GANTRY_TEST_PLAYWRIGHT"), "noop.js"))("playwright-core");

let step = "starting";
const log = (text) => { step = text; console.log(`ui: ${text}`); };
const problems = [];

const browser = await chromium.launch({
  executablePath: env("GANTRY_TEST_CHROMIUM"),
  headless: true,
  args: ["--no-sandbox"],
});
try {
  // A viewer far from UTC, so local times visibly differ from the UTC text.
  const context = await browser.newContext({
    viewport: { width: 1280, height: 800 },
    timezoneId: "Asia/Tokyo",
    locale: "en-GB",
  });
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: base });
  const page = await context.newPage();
  page.setDefaultTimeout(15000);
  // The strict CSP must never have to block anything of ours.
  page.on("console", (msg) => {
    // Refusals the flow provokes on purpose (409, 403) are logged as failed loads.
    if (msg.type() === "error" && !/status of 4\d\d/.test(msg.text())) problems.push(`${step}: console error: ${msg.text()}`);
  });
  page.on("pageerror", (e) => problems.push(`${step}: script error: ${e.message}`));
  const shot = (name) => page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });
  const curl = (...args) => execFileSync("curl", ["-sS", ...args], { encoding: "utf8" });

  log("sign in");
  await page.goto(`${base}/signin`);
  await shot("01-sign-in");
  await page.getByLabel("User name").fill("admin");
  await page.getByLabel("Password").fill(env("GANTRY_ADMIN_PASSWORD"));
  await Promise.all([page.waitForURL(`${base}/`), page.getByRole("button", { name: "Sign in" }).click()]);
  await page.getByText("admin", { exact: true }).waitFor();

  async function createFeed(name, usage) {
    await page.goto(`${base}/admin/feeds/new`);
    await page.getByLabel("Name", { exact: true }).fill(name);
    await page.getByLabel("Package type").selectOption("universal");
    await page.getByLabel("Usage").selectOption(usage);
    await Promise.all([page.waitForURL(`${base}/feeds/${name}?done=created`), page.getByRole("button", { name: "Create feed" }).click()]);
  }
  log("create the unapproved and approved feeds, and a third one");
  await createFeed("approved", "validated");
  await createFeed("unapproved", "proxy");
  await createFeed("other", "private");
  log("put unapproved in a pipeline to approved");
  await page.goto(`${base}/admin/feeds/unapproved`);
  await shot("02-manage-feed");
  await page.getByLabel("Promote to feed (pipeline)").selectOption("approved");
  await Promise.all([page.waitForURL(`${base}/feeds/unapproved?done=saved`), page.getByRole("button", { name: "Save" }).click()]);
  await page.getByText("Promotes to").waitFor();

  log("upload a package from the feed page");
  await page.goto(`${base}/feeds/unapproved`);
  await page.getByText("Upload a package").click();
  await page.getByLabel(/Package file/).setInputFiles(env("GANTRY_PACKAGE"));
  await shot("03-upload");
  await Promise.all([page.waitForURL(/\/feeds\/unapproved\/packages\/hammer\/1\.0\.0\?group=acme&done=uploaded/), page.getByRole("button", { name: "Upload" }).click()]);
  await page.getByText("The package was uploaded.").waitFor();
  // The same name and version with other content, in a third feed, by curl.
  const auth = `admin:${env("GANTRY_ADMIN_PASSWORD")}`;
  const other = curl("-w", "%{http_code}", "-o", "/dev/null", "-u", auth, "--data-binary", `@${env("GANTRY_OTHER_PACKAGE")}`, `${base}/upack/other/upload`);
  assert.equal(other, "201", "upload to other");

  log("browse to the version");
  await page.goto(`${base}/feeds`);
  await shot("04a-feeds");
  await page.getByRole("link", { name: "unapproved" }).first().click();
  await page.getByRole("link", { name: "acme/hammer" }).click();
  await shot("04b-package");
  await page.getByRole("link", { name: "1.0.0" }).first().click();
  await page.getByRole("heading", { name: /acme\/hammer/ }).waitFor();
  await shot("05-version-overview");

  log("local time with UTC on hover");
  const time = page.locator("time").first();
  const [shown, title] = [await time.textContent(), await time.getAttribute("title")];
  assert.match(title, /UTC$/);
  assert.notEqual(shown.trim(), title, "the script shows the viewer's time zone");

  log("promote through the dialog");
  await page.getByText("Actions").click();
  await page.getByRole("link", { name: "Promote Package" }).click();
  const dialog = page.getByRole("dialog", { name: "Promote Package" });
  await dialog.waitFor();
  const offered = await dialog.getByLabel("To feed").locator("option").allTextContents();
  assert.deepEqual(offered, ["approved"], "a pipeline offers only its target");
  await dialog.getByLabel("Comment").fill("Ready for testing");
  await shot("06-promote-dialog");
  await Promise.all([page.waitForURL(/\/feeds\/approved\/packages\/hammer\/1\.0\.0\?group=acme&tab=history/), dialog.getByRole("button", { name: "Promote" }).click()]);
  const promotedRow = page.locator("tr[data-action=promoted]");
  await promotedRow.waitFor();
  const rowText = (await promotedRow.textContent()).replace(/\s+/g, " ");
  assert.match(rowText, /Promoted/);
  assert.match(rowText, /by admin/);
  assert.match(rowText, /from unapproved to approved/);
  assert.match(rowText, /Ready for testing/);
  await shot("07-history");

  log("the approved feed lists it");
  await page.goto(`${base}/feeds/approved`);
  await page.getByRole("link", { name: "acme/hammer" }).waitFor();
  await shot("08-approved-feed");

  log("a refusal shows the server's reason in the dialog");
  await page.goto(`${base}/feeds/other/packages/hammer/1.0.0?group=acme`);
  await page.getByText("Actions").click();
  await page.getByRole("link", { name: "Promote Package" }).click();
  const refusal = page.getByRole("dialog", { name: "Promote Package" });
  await refusal.getByLabel("To feed").selectOption("approved");
  await refusal.getByRole("button", { name: "Promote" }).click();
  const reason = refusal.getByRole("alert");
  await reason.waitFor({ state: "visible" });
  assert.match(await reason.textContent(), /approved/, "the reason names the feed");
  await shot("09-promote-refused");
  await refusal.getByRole("link", { name: "Cancel" }).click();
  await refusal.waitFor({ state: "hidden" });

  log("create an API key, copy it, use it with curl");
  await page.goto(`${base}/admin/api-keys`);
  await page.getByLabel("Type").selectOption("feed");
  await page.getByLabel("Name", { exact: true }).fill("CI reader");
  await page.getByLabel("Feed", { exact: true }).selectOption("approved");
  await page.getByRole("button", { name: "Create key" }).click();
  const secret = (await page.locator("#new-key").textContent()).trim();
  assert.ok(secret.length >= 16, "a secret is shown");
  await page.getByRole("button", { name: "Copy" }).click();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), secret, "Copy puts the key on the clipboard");
  await shot("10-api-key-created");
  const listing = JSON.parse(curl("-H", `X-ApiKey: ${secret}`, `${base}/api/packages/approved/versions`));
  assert.equal(listing[0].name, "hammer", "the key reads the approved feed");
  writeFileSync(env("GANTRY_KEY_FILE"), `${secret}\n`);
  await page.goto(`${base}/admin/api-keys`);
  assert.equal(await page.locator("#new-key").count(), 0, "the secret is shown once");

  log("other pages render");
  for (const [name, url] of [["11-admin", "/admin"], ["12-admin-feeds", "/admin/feeds"], ["13-deployments", "/feeds/approved/packages/hammer/1.0.0?group=acme&tab=deployments"], ["13a-users", "/admin/security/users"], ["13b-permissions", "/admin/security/permissions"], ["13c-connectors", "/admin/connectors"], ["13d-my-api-keys", "/account/api-keys"]]) {
    await page.goto(`${base}${url}`);
    await shot(name);
  }

  log("every control has a label");
  for (const url of ["/feeds/unapproved", "/feeds/unapproved/packages/hammer/1.0.0?group=acme", "/admin/feeds/new", "/admin/api-keys"]) {
    await page.goto(`${base}${url}`);
    const unlabeled = await page.evaluate(() =>
      [...document.querySelectorAll("input, select, textarea")]
        .filter((el) => el.type !== "hidden" && el.labels.length === 0 && !el.getAttribute("aria-label"))
        .map((el) => el.name || el.id));
    assert.deepEqual(unlabeled, [], `${url}: controls without a label`);
  }

  log("keyboard: skip link first, visible focus, the menu opens with Enter");
  await page.goto(`${base}/feeds/unapproved/packages/hammer/1.0.0?group=acme`);
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement.textContent), "Skip to content");
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  assert.notEqual(outline, "none", "focus is visible");
  await page.locator("summary").focus();
  await page.keyboard.press("Enter");
  await page.getByRole("link", { name: "Promote Package" }).waitFor({ state: "visible" });
  await page.keyboard.press("Escape");

  log("no horizontal scrolling at 360 px");
  await page.setViewportSize({ width: 360, height: 740 });
  for (const [name, url] of [["14-narrow-feeds", "/feeds"], ["15-narrow-feed", "/feeds/unapproved"], ["16-narrow-version", "/feeds/approved/packages/hammer/1.0.0?group=acme&tab=history"], ["17-narrow-feed-form", "/admin/feeds/new"], ["18-narrow-api-keys", "/admin/api-keys"]]) {
    await page.goto(`${base}${url}`);
    await shot(name);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    const widest = await page.evaluate(() => [...document.querySelectorAll("body *")]
      .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 1)
      .map((el) => `${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""}${el.className ? "." + el.className : ""}`)
      .slice(0, 5).join(", "));
    assert.ok(overflow <= 0, `${url} scrolls sideways by ${overflow}px at 360px (${widest})`);
  }
  await page.setViewportSize({ width: 1280, height: 800 });

  log("without script: the menu's link opens the dialog as part of the page, the form posts");
  const plain = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 1280, height: 800 } });
  const noScript = await plain.newPage();
  await noScript.goto(`${base}/signin`);
  await noScript.getByLabel("User name").fill("admin");
  await noScript.getByLabel("Password").fill(env("GANTRY_ADMIN_PASSWORD"));
  await Promise.all([noScript.waitForURL(`${base}/`), noScript.getByRole("button", { name: "Sign in" }).click()]);
  await noScript.goto(`${base}/feeds/other/packages/hammer/1.0.0?group=acme`);
  await noScript.getByText("Actions").click();
  await noScript.getByRole("link", { name: "Promote Package" }).click();
  const inline = noScript.locator("#promote-dialog");
  await inline.getByLabel("To feed").selectOption("approved");
  await inline.getByLabel("Comment").fill("no script");
  await noScript.screenshot({ path: path.join(shots, "09b-promote-without-script.png"), fullPage: true });
  await inline.getByRole("button", { name: "Promote" }).click();
  await noScript.getByRole("alert").waitFor();
  assert.match(await noScript.getByRole("alert").textContent(), /approved/, "the refusal page gives the reason");
  await plain.close();

  log("sign out");
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.getByRole("link", { name: "Sign in" }).waitFor();

  log("a user without the promote right sees no Promote, and a forged post is refused");
  await page.goto(`${base}/signin`);
  await page.getByLabel("User name").fill("viewer");
  await page.getByLabel("Password").fill(env("GANTRY_VIEWER_PASSWORD"));
  await Promise.all([page.waitForURL(`${base}/`), page.getByRole("button", { name: "Sign in" }).click()]);
  await page.goto(`${base}/feeds/unapproved/packages/hammer/1.0.0?group=acme`);
  assert.equal(await page.getByRole("link", { name: "Promote Package" }).count(), 0);
  assert.equal(await page.getByText("Actions").count(), 0);
  await shot("19-version-as-viewer");
  const forged = await page.evaluate(async () => {
    const csrf = document.querySelector("input[name=csrf]").value;
    const body = new URLSearchParams({ csrf, group: "acme", toFeed: "approved", comments: "forged" });
    const response = await fetch("/feeds/other/packages/hammer/1.0.0/promote", { method: "POST", body });
    return response.status;
  });
  assert.equal(forged, 403, "a forged promote post is refused");

  assert.deepEqual(problems, [], "no console or script errors (a CSP refusal shows as one)");
  console.log("ui: every step passed");
} catch (e) {
  console.error(`ui: failed at "${step}": ${e.stack || e}`);
  if (problems.length) console.error(problems.join("\n"));
  process.exitCode = 1;
} finally {
  await browser.close();
}
