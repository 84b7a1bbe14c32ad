// Drives headless Chromium through the /ui pages as a person would: clicks links, fills forms,
// presses buttons, and checks the page text after every step. Run by crates/server/tests/browser.rs:
//
//   node flows.mjs BASE_URL FLOW SHOT_DIR '{"user": ..., ...}'
//
// FLOW is "products" (an organisation's administrator adds and edits a product and its
// certificates), "places" (an administrator adds a farm plot with a polygon), "revoke" (an
// official revokes a planting-area code and then sees the flagged events) or "recall" (an
// official declares a recall from the trace page, the affected shop acknowledges it in its
// inbox, and the passport page shows the banner). Any failed check
// throws, and the process exits non-zero with the step and the page text.

import { chromium } from "playwright-core";

const [, , base, flow, shots, json] = process.argv;
const args = JSON.parse(json ?? "{}");
const executablePath = process.env.TP_CHROMIUM || "/usr/bin/chromium";

let current = "start";
function step(name) {
  current = name;
  console.log(`step: ${name}`);
}

async function bodyText(page) {
  return page.locator("body").innerText();
}

async function expectText(page, ...texts) {
  const body = await bodyText(page);
  for (const text of texts) {
    if (!body.includes(text)) {
      throw new Error(`expected "${text}" on ${page.url()}; the page reads:\n${body}`);
    }
  }
}

async function expectNoText(page, text) {
  const body = await bodyText(page);
  if (body.includes(text)) {
    throw new Error(`did not expect "${text}" on ${page.url()}; the page reads:\n${body}`);
  }
}

/** Clicks a button that submits a form; returns the final response (after any redirect). */
async function submit(page, button) {
  const [response] = await Promise.all([
    page.waitForNavigation({ waitUntil: "load" }),
    button.click(),
  ]);
  if (!response) throw new Error("the form did not load a page");
  return {
    status: response.status(),
    redirected: response.request().redirectedFrom() !== null,
  };
}

async function expectSaved(page, result) {
  if (result.status !== 200 || !result.redirected) {
    throw new Error(
      `the form was not accepted (status ${result.status}); the page reads:\n${await bodyText(page)}`,
    );
  }
}

async function follow(page, linkText) {
  await Promise.all([
    page.waitForNavigation({ waitUntil: "load" }),
    page.locator("nav").getByRole("link", { name: linkText, exact: true }).click(),
  ]);
}

async function signIn(page, user, password) {
  step("open the home page");
  await page.goto(`${base}/ui?lang=en`);
  await expectText(page, "National product traceability", "Sign in");
  step("sign in");
  await follow(page, "Sign in");
  await page.fill('input[name="name"]', user);
  await page.fill('input[name="password"]', password);
  const r = await submit(page, page.locator('form[action^="/ui/login"] button'));
  await expectSaved(page, r);
  await expectText(page, `Signed in as ${user}`);
}

async function shot(page, name) {
  const path = `${shots}/${name}.png`;
  await page.screenshot({ path, fullPage: true });
  console.log(`screenshot: ${path}`);
}

async function products(page) {
  const { user, password, gtin, foreignGtin } = args;
  const gtin14 = gtin.padStart(14, "0");
  await signIn(page, user, password);

  step("add a product");
  await follow(page, "Products");
  await expectText(page, "Add or change a product");
  const form = page.locator('form[action^="/ui/products?"], form[action="/ui/products"]');
  const fill = async (fields) => {
    for (const [name, value] of Object.entries(fields)) {
      await form.locator(`input[name="${name}"]`).fill(value);
    }
  };
  await fill({
    gtin,
    nameVi: "Nhãn lồng sấy khô",
    nameEn: "Dried longan",
    netContent: "500 g",
    shelfLifeDays: "365",
    standards: "TCVN 1, TCVN 2",
  });
  await form.locator('select[name="group"]').selectOption("confectionery");
  await expectSaved(page, await submit(page, form.locator("button")));
  let row = page.locator("tr", { hasText: gtin14 });
  if ((await row.count()) !== 1) throw new Error(`one row for ${gtin14} expected`);
  const added = await row.innerText();
  for (const t of ["Dried longan", "500 g"]) {
    if (!added.includes(t)) throw new Error(`the new row lacks "${t}": ${added}`);
  }

  step("edit the product: the form starts from what is stored");
  await Promise.all([
    page.waitForNavigation({ waitUntil: "load" }),
    row.getByRole("link", { name: "Edit", exact: true }).click(),
  ]);
  const stored = {
    gtin: gtin14,
    nameEn: "Dried longan",
    netContent: "500 g",
    shelfLifeDays: "365",
    standards: "TCVN 1, TCVN 2",
  };
  for (const [name, value] of Object.entries(stored)) {
    const shown = await form.locator(`input[name="${name}"]`).inputValue();
    if (shown !== value) throw new Error(`the edit form shows ${name}="${shown}", not "${value}"`);
  }
  const group = await form.locator('select[name="group"]').inputValue();
  if (group !== "confectionery") throw new Error(`the edit form shows group ${group}`);
  await fill({ nameVi: "Nhãn lồng sấy khô loại 1", nameEn: "Dried longan, grade 1", netContent: "1 kg" });
  await expectSaved(page, await submit(page, form.locator("button")));
  row = page.locator("tr", { hasText: gtin14 });
  if ((await row.count()) !== 1) throw new Error(`still one row for ${gtin14} expected`);
  const edited = await row.innerText();
  if (!edited.includes("Dried longan, grade 1") || !edited.includes("1 kg") || edited.includes("500 g")) {
    throw new Error(`the row was not changed: ${edited}`);
  }

  step("edit the product's certificates; the passport shows them");
  await Promise.all([
    page.waitForNavigation({ waitUntil: "load" }),
    row.getByRole("link", { name: "Edit", exact: true }).click(),
  ]);
  await form
    .locator('textarea[name="certificates"]')
    .fill("VietGAP; VG-33-0042; Chi cục TT&BVTV Hưng Yên; 2027-06-30");
  await expectSaved(page, await submit(page, form.locator("button")));
  await Promise.all([
    page.waitForNavigation({ waitUntil: "load" }),
    page.locator("tr", { hasText: gtin14 }).getByRole("link", { name: "Edit", exact: true }).click(),
  ]);
  const certificates = await form.locator('textarea[name="certificates"]').inputValue();
  if (!certificates.startsWith("VietGAP; VG-33-0042")) {
    throw new Error(`the edit form shows certificates "${certificates}"`);
  }
  await page.goto(`${base}/passport/01/${gtin14}?lang=en`);
  await expectText(page, "Certificates", "VietGAP VG-33-0042");
  await page.goto(`${base}/ui/products?lang=en`);

  step("a GTIN outside the organisation's prefixes is refused with the reason");
  await fill({ gtin: foreignGtin, nameVi: "Không phải của tôi" });
  const refused = await submit(page, form.locator("button"));
  if (refused.status !== 400) throw new Error(`expected 400, got ${refused.status}`);
  await expectText(page, "not under");

  step("the product list in Vietnamese");
  await follow(page, "Products");
  await follow(page, "Tiếng Việt");
  await expectText(page, "Nhãn lồng sấy khô loại 1", "Sản phẩm");
  await expectNoText(page, "Không phải của tôi");
  await shot(page, "products");

  step("sign out");
  await submit(page, page.locator('form[action^="/ui/logout"] button'));
  await expectText(page, "Đăng nhập");
  await expectNoText(page, user);
}

async function revoke(page) {
  const { user, password, code, eventId } = args;
  await signIn(page, user, password);

  step("no flagged event while the code is issued");
  await follow(page, "Flagged events");
  await expectNoText(page, eventId);

  step("revoking without a reason is refused");
  await follow(page, "Export codes");
  let row = page.locator("tr", { hasText: code });
  if ((await row.locator("td.status").innerText()) !== "issued") {
    throw new Error(`the code should start issued: ${await row.innerText()}`);
  }
  await row.locator('select[name="status"]').selectOption("revoked");
  const refused = await submit(page, row.locator("button"));
  if (refused.status !== 400) throw new Error(`expected 400, got ${refused.status}`);
  await expectText(page, "reason");

  step("revoke the code with a reason");
  await follow(page, "Export codes");
  row = page.locator("tr", { hasText: code });
  await row.locator('select[name="status"]').selectOption("revoked");
  await row.locator('input[name="reason"]').fill("dư lượng thuốc BVTV vượt ngưỡng");
  await row.locator('input[name="authority"]').fill("Chi cục Trồng trọt và BVTV");
  await expectSaved(page, await submit(page, row.locator("button")));
  row = page.locator("tr", { hasText: code });
  const status = await row.locator("td.status").innerText();
  if (status !== "revoked") throw new Error(`the code should be revoked: ${await row.innerText()}`);
  await expectText(page, "dư lượng thuốc BVTV vượt ngưỡng");

  step("the event naming the code is flagged");
  await follow(page, "Flagged events");
  const flagged = page.locator("tr", { hasText: eventId });
  if ((await flagged.count()) !== 1) {
    throw new Error(`one flagged row for ${eventId} expected; the page reads:\n${await bodyText(page)}`);
  }
  const text = await flagged.innerText();
  if (!text.includes(`code:${code}:revoked`)) throw new Error(`the flag is missing: ${text}`);
  await shot(page, "flags");
}

async function places(page) {
  const { user, password, plot, polygon, bowtie } = args;
  await signIn(page, user, password);

  step("open the places page");
  await follow(page, "Places");
  await expectText(page, "Locations", "Plots", "Add or change a plot");
  const form = page.locator("form.plot-form");
  const fill = async (geometry) => {
    await form.locator('input[name="id"]').fill(plot);
    await form.locator('input[name="name"]').fill("Thửa nhãn số 7");
    await form.locator('input[name="crop"]').fill("nhãn");
    await form.locator('select[name="provinceCode"]').selectOption("01");
    await form.locator('textarea[name="geometry"]').fill(geometry);
  };

  step("a self-intersecting polygon is refused beside the field");
  await fill(bowtie);
  const refused = await submit(page, form.locator("button"));
  if (refused.status !== 400) throw new Error(`expected 400, got ${refused.status}`);
  const error = await page.locator("form.plot-form #error-geometry").innerText();
  if (!error.includes("intersects itself")) throw new Error(`the geometry error reads: ${error}`);
  const kept = await form.locator('input[name="name"]').inputValue();
  if (kept !== "Thửa nhãn số 7") throw new Error(`the form lost what was typed: ${kept}`);

  step("a polygon is saved and listed");
  await form.locator('textarea[name="geometry"]').fill(polygon);
  await expectSaved(page, await submit(page, form.locator("button")));
  const row = page.locator("#plots tr", { hasText: plot });
  if ((await row.count()) !== 1) throw new Error(`one row for ${plot} expected:\n${await bodyText(page)}`);
  const text = await row.innerText();
  for (const t of ["Thửa nhãn số 7", "nhãn", "Polygon", "Hà Nội"]) {
    if (!text.includes(t)) throw new Error(`the plot row lacks "${t}": ${text}`);
  }
  await shot(page, "places");
}


async function recall(page) {
  const { official, shop, password, key, lotPath, reason } = args;
  await signIn(page, official, password);

  step("declare a recall from the trace page");
  await page.goto(`${base}/trace/view?key=${encodeURIComponent(key)}`);
  await Promise.all([
    page.waitForNavigation({ waitUntil: "load" }),
    page.locator("#declare-recall").click(),
  ]);
  const form = page.locator("form#declare");
  const lots = await form.locator('textarea[name="lots"]').inputValue();
  if (lots.trim() !== key) throw new Error(`the declaration form should name ${key}, not "${lots}"`);
  await form.locator('input[name="reason"]').fill(reason);
  await form.locator('select[name="severity"]').selectOption("I");
  await expectSaved(page, await submit(page, form.locator("button")));
  await expectText(page, "Đang thu hồi", reason, "0/2");

  step("sign out");
  await submit(page, page.locator('form[action^="/ui/logout"] button'));

  step("the shop sees the recall in its inbox and acknowledges it");
  await signIn(page, shop, password);
  await follow(page, "Recalls");
  await expectText(page, "Recalls affecting your organisation", reason);
  let row = page.locator("#inbox tr", { hasText: reason });
  if ((await row.count()) !== 1) throw new Error(`one inbox row expected:\n${await bodyText(page)}`);
  const button = row.getByRole("button", { name: "Acknowledge", exact: true });
  if ((await button.count()) !== 1) throw new Error(`an Acknowledge button expected: ${await row.innerText()}`);
  await shot(page, "inbox");
  await row.locator('input[name="note"]').fill("đã thu hồi khỏi quầy");
  await expectSaved(page, await submit(page, button));
  row = page.locator("#inbox tr", { hasText: reason });
  const done = await row.innerText();
  if (!done.includes("Acknowledged") || (await row.getByRole("button").count()) !== 0) {
    throw new Error(`the row should show the acknowledgement without a button: ${done}`);
  }

  step("the passport page carries the recall banner, in English and in Vietnamese");
  await page.goto(`${base}/passport${lotPath}?lang=en`);
  const banner = page.locator("#recall");
  const en = await banner.innerText();
  if (!en.includes("RECALL") || !en.includes(reason)) throw new Error(`English banner: ${en}`);
  await shot(page, "passport");
  await page.goto(`${base}/passport${lotPath}?lang=vi`);
  const vi = await page.locator("#recall").innerText();
  if (!vi.includes("THU HỒI") || !vi.includes("thu hồi")) throw new Error(`Vietnamese banner: ${vi}`);
}


const flows = { products, revoke, places, recall };
if (!flows[flow]) {
  console.error(`unknown flow ${flow}; one of ${Object.keys(flows).join(", ")}`);
  process.exit(2);
}
const browser = await chromium.launch({
  executablePath,
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
});
try {
  const page = await browser.newPage({ viewport: { width: 1024, height: 768 } });
  page.setDefaultTimeout(20000);
  await flows[flow](page);
  console.log(`flow ${flow}: passed`);
} catch (e) {
  console.error(`flow ${flow} failed at step "${current}": ${e.stack ?? e}`);
  process.exitCode = 1;
} finally {
  await browser.close();
}
