// The web UI end to end in Debian's headless Chromium: sign in, switch language, create a
// customer with a bad phone number and see the error, fix it, log an interaction, find the
// customer by phone from the lookup box, see the duplicate warning, import a GBK file (check,
// refused rows, import), review the look-alikes it found, erase a person's data, sign out.
// On the way: the warehouse SQL page counts the orders (ORDERS, counted by the caller in the
// database after loading the warehouse) and refuses a DELETE; the segment map refuses a map
// that leaves cells out, keeps a renamed segment that the dashboards then show, and goes back
// to the default.
//
// Run by crates/guanxi/tests/it/browser.rs against a real server:
//   BASE=http://127.0.0.1:PORT EMAIL=… PASSWORD=… ORDERS=n UI_LANG=zh-CN|en [SHOTS=dir] node ui.mjs
import { chromium } from "playwright-core";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";

const { BASE, EMAIL, PASSWORD, ORDERS } = process.env;
const LANG = process.env.UI_LANG || "zh-CN";
const SHOTS = process.env.SHOTS || "";
const zh = LANG === "zh-CN";
const T = {
  signInTitle: zh ? "登录关系 CRM" : "Sign in to Guanxi",
  customers: zh ? "客户" : "Customers",
  otherCustomers: zh ? "Customers" : "客户",
  newCustomer: zh ? "新建客户" : "New customer",
  phoneError: zh ? "不是有效的电话号码" : "is not a valid phone number",
  duplicate: zh ? "该联系方式已属于另一位客户" : "already belongs to another customer",
  noInteractions: zh ? "还没有互动记录" : "No interactions yet",
  wrongPassword: zh ? "邮箱或密码不正确" : "Wrong e-mail address or password",
  importTitle: zh ? "导入数据" : "Import data",
  checked: zh ? /检查完成，待确认/ : /Checked, waiting for you/,
  badPhone: zh ? /手机：不是有效的电话号码/ : /mobile: is not a valid phone number/,
  sameAsLine2: zh ? /同第 2 行/ : /Same as line 2/,
  rejectedOne: zh ? /拒绝 1 行/ : /Rejected: 1/,
  createdFive: zh ? /新建 5 位客户/ : /New customers: 5/,
  imported: zh ? /导入完成/ : /Imported/,
  duplicatesTitle: zh ? "疑似重复客户" : "Possible duplicates",
  similarPhone: zh ? /姓名相同，电话只差一位/ : /Same name, phone numbers one digit apart/,
  scanStarted: zh ? /已开始扫描全部客户/ : /Scanning all customers/,
  scanDone: zh ? /上次扫描：.*比较了 [\d,]+ 位客户，新发现 \d+ 对疑似重复/ : /Last scan: .*[\d,]+ customers compared, \d+ new possible duplicates/,
  analytics: zh ? "客户分析" : "Analytics",
  warehouseSql: zh ? "数据仓库查询" : "Warehouse SQL",
  readOnly: zh ? /只能是一条只读查询（SELECT、WITH 或 VALUES）/ : /must be exactly one read-only query/,
  segmentMap: zh ? "分群规则" : "Segment map",
  uncovered: zh ? /R=1、F=2 的客户不属于任何分群/ : /leaves customers with R=1 and F=2 in no segment/,
  segmentsSaved: zh ? /下次计算客户价值时，将按新规则为客户分群/ : /The next run will sort customers by it/,
  segmentsReset: zh ? /已恢复默认的分群规则/ : /The default map is back/,
  firstSegment: zh ? "重要价值客户" : "Champions",
};

// Text as a GBK-encoded file, the way Excel on a Chinese Windows saves CSV. No encoder package:
// the table is Node's own GBK decoder (WHATWG TextDecoder) read backwards. A Node built
// without full ICU has no GBK decoder; then the file is UTF-8 with a BOM, and the run says so.
function gbkEncoder() {
  let dec;
  try {
    dec = new TextDecoder("gbk");
  } catch {
    console.log("browser: this Node has no GBK decoder; the import file is UTF-8 with a BOM");
    return (text) => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, "utf8")]);
  }
  const table = new Map();
  for (let b1 = 0x81; b1 <= 0xfe; b1++) {
    for (let b2 = 0x40; b2 <= 0xfe; b2++) {
      if (b2 === 0x7f) continue;
      const ch = dec.decode(Uint8Array.of(b1, b2));
      if (ch.length === 1 && ch !== "\ufffd" && !table.has(ch)) table.set(ch, [b1, b2]);
    }
  }
  return (text) => {
    const out = [];
    for (const ch of text) {
      const c = ch.codePointAt(0);
      if (c < 0x80) { out.push(c); continue; }
      const b = table.get(ch);
      if (!b) throw new Error(`no GBK code for ${ch}`);
      out.push(...b);
    }
    return Buffer.from(out);
  };
}
const tag = zh ? "zh" : "en";

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const step = async (name, fn) => {
  try { await fn(); } catch (e) { console.error(`step failed: ${name}`); throw e; }
};
const shot = async (page, name) => {
  if (SHOTS) await page.screenshot({ path: `${SHOTS}/${name}-${tag}.png`, fullPage: false });
};
try {
  const context = await browser.newContext({ locale: LANG, viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  page.setDefaultTimeout(10000);
  const h1 = () => page.locator("h1").first().innerText();

  await step("unauthenticated pages lead to the sign-in form", async () => {
    await page.goto(`${BASE}/customers`);
    assert.match(page.url(), /\/login\?next=/);
    assert.equal(await h1(), T.signInTitle);
  });
  await step("a wrong password is refused", async () => {
    await page.fill("#email", EMAIL);
    await page.fill("#password", "not-the-password");
    await page.click("#sign-in");
    await page.getByText(T.wrongPassword).waitFor();
  });
  await shot(page, "sign-in");
  await step("sign in", async () => {
    await page.fill("#password", PASSWORD);
    await page.click("#sign-in");
    await page.waitForURL(/\/customers$/);
    // The language is remembered per user: an earlier run may have left the other one.
    if ((await page.locator("html").getAttribute("lang")) !== LANG) {
      await page.selectOption("#lang", LANG);
      await page.waitForFunction((want) => document.documentElement.lang === want, LANG);
    }
    assert.equal(await h1(), T.customers);
  });
  await shot(page, "customers");
  await step("warehouse SQL: from the analytics page, the examples run, the orders are counted, a DELETE is refused", async () => {
    // A form post shows the same address again: wait for the new document, not the old one.
    const submit = async (selector) => {
      await page.evaluate(() => { window.__before = true; });
      await page.click(selector);
      await page.waitForFunction(() => window.__before === undefined && document.readyState !== "loading");
    };
    await page.click('header a[href="/analysis"]');
    assert.equal(await h1(), T.analytics);
    await page.click("#warehouse-sql");
    await page.waitForURL(/\/analysis\/sql$/);
    assert.equal(await h1(), T.warehouseSql);
    assert.match(await page.locator('#table-rows [data-table="fact_orders"]').innerText(), /fact_orders [\d,]+/);
    for (const key of ["channels", "class", "weekdays", "revenue"]) {
      await page.click(`#example-${key}`);
      await page.waitForURL(new RegExp(`example=${key}$`));
      await submit("#run-sql");
      assert.equal(await page.locator("#sql-error").count(), 0, `${key}: ${await page.locator("#sql-card").innerText()}`);
      assert.ok((await page.locator("#sql-result tbody tr").count()) > 0, `${key}: no rows`);
    }
    // Revenue by month (the last example): amounts in yuan with two decimals, on the right.
    const revenue = page.locator("#sql-result tbody tr").first().locator("td").nth(2);
    assert.match(await revenue.innerText(), /^\d+\.\d\d$/);
    assert.equal(await revenue.evaluate((el) => getComputedStyle(el).textAlign), "right");
    if (zh) {
      // The query and its result, rather than the header and what is loaded.
      await page.locator("#sql-card").evaluate((el) => el.scrollIntoView());
      await shot(page, "warehouse-sql");
    }
    await page.fill("#sql", "SELECT count(*) AS orders FROM fact_orders");
    await submit("#run-sql");
    assert.equal(await page.locator("#sql-result thead th").innerText(), "orders");
    assert.equal(await page.locator("#sql-result tbody td").innerText(), ORDERS);
    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#sql-csv")]);
    assert.equal(download.suggestedFilename(), "query.csv");
    const csv = await readFile(await download.path());
    assert.deepEqual([...csv.subarray(0, 3)], [0xef, 0xbb, 0xbf], "UTF-8 with a BOM");
    assert.equal(csv.subarray(3).toString("utf8"), `orders\r\n${ORDERS}\r\n`);
    await page.fill("#sql", "DELETE FROM fact_orders");
    await submit("#run-sql");
    assert.match(await page.locator("#sql-error").innerText(), T.readOnly);
    assert.equal(await page.locator("#sql").inputValue(), "DELETE FROM fact_orders");
    assert.equal(await page.locator("#sql-result").count(), 0);
    await page.goto(`${BASE}/customers`);
  });
  await step("search as you type", async () => {
    await page.fill("#q", "zzzz-nobody");
    await page.locator("td.empty").waitFor();
    await page.fill("#q", "");
    await page.locator("#rows a").first().waitFor();
  });
  await step("export the list as CSV that Excel opens", async () => {
    const href = await page.locator("#export").getAttribute("href");
    const res = await page.request.get(`${BASE}${href}`);
    assert.equal(res.status(), 200);
    const body = await res.body();
    assert.deepEqual([...body.subarray(0, 3)], [0xef, 0xbb, 0xbf], "UTF-8 with a BOM");
    const text = body.subarray(3).toString("utf8");
    assert.match(text.split("\r\n")[0], zh ? /^编号,类型,姓名,公司/ : /^id,kind,name,company/);
    assert.ok(text.split("\r\n").length > 50, "every page, not just the first");
  });
  await step("save the filters as a view and open it again", async () => {
    await page.goto(`${BASE}/customers?status=loyal&sort=name`);
    const viewName = (zh ? "忠诚客户" : "Loyal customers") + String(Date.now()).slice(-4);
    await page.fill("#view-name", viewName);
    await page.click("#save-view button");
    await page.locator("#views a", { hasText: viewName }).waitFor();
    await page.goto(`${BASE}/customers`);
    await page.click(`#views a:has-text("${viewName}")`);
    await page.waitForURL(/status=loyal/);
    assert.equal(await page.locator('select[name="status"]').inputValue(), "loyal");
  });
  await step("switch language and back", async () => {
    await page.selectOption("#lang", zh ? "en" : "zh-CN");
    await page.waitForFunction((want) => document.querySelector("h1")?.innerText === want, T.otherCustomers);
    await page.selectOption("#lang", LANG);
    await page.waitForFunction((want) => document.querySelector("h1")?.innerText === want, T.customers);
  });
  const suffix = String(Date.now()).slice(-8);
  const name = (zh ? "浏览器测试客户" : "Browser Test ") + suffix;
  const mobile = "139" + suffix;
  let customerUrl = "";
  await step("a bad phone number is named on its field", async () => {
    await page.click(`header a[href="/customers/new"]`);
    assert.equal(await h1(), T.newCustomer);
    await page.fill("#name", name);
    await page.fill("#mobile", "12345");
    await page.click("#save");
    await page.locator("#mobile-error").waitFor();
    assert.match(await page.locator("#mobile-error").innerText(), new RegExp(T.phoneError));
    assert.equal(await page.locator("#mobile").getAttribute("aria-invalid"), "true");
  });
  await shot(page, "customer-form-error");
  await step("fixing it creates the customer", async () => {
    await page.fill("#mobile", mobile);
    await page.click("#save");
    await page.waitForURL(/\/customers\/\d+$/);
    customerUrl = page.url();
    assert.equal(await h1(), name);
    await page.getByText(T.noInteractions).waitFor();
  });
  await step("log an interaction", async () => {
    await page.selectOption("#log-channel", "phone");
    await page.fill("#log-body", zh ? "首次电话沟通，客户想了解会员积分" : "First call: asked about loyalty points");
    await page.click("#log-save");
    await page.locator("#timeline li").first().waitFor();
    assert.match(await page.locator("#timeline").innerText(), zh ? /首次电话沟通/ : /First call/);
  });
  await step("edit the customer; the change shows in its history", async () => {
    await page.goto(customerUrl);
    await page.click("#edit");
    await page.selectOption("#status", "loyal");
    await page.fill("#tags", zh ? "重要, 回头客" : "important, repeat");
    await page.click("#save");
    await page.waitForURL(customerUrl);
    assert.equal(await page.locator("#status").innerText(), zh ? "忠诚" : "Loyal");
    assert.match(await page.locator("#history").innerText(), /customer\.updated/);
  });
  await step("an edit made meanwhile by someone else is not overwritten", async () => {
    const other = await context.newPage();
    await page.goto(`${customerUrl}/edit`);
    await other.goto(`${customerUrl}/edit`);
    await other.fill("#city", zh ? "杭州" : "Hangzhou");
    await other.click("#save");
    await other.waitForURL(customerUrl);
    await other.close();
    await page.fill("#city", zh ? "苏州" : "Suzhou");
    await page.click("#save");
    await page.locator("#stale").waitFor();
    assert.equal(await page.locator("#city").inputValue(), zh ? "杭州" : "Hangzhou");
  });
  await step("open an opportunity, drag it on the board, win it from the keyboard form", async () => {
    await page.goto(customerUrl);
    const opp = (zh ? "宽带续约" : "Broadband renewal ") + suffix;
    await page.fill("#opp-name", opp);
    await page.fill("#opp-amount", "15,800.00");
    await page.click("#opp-save");
    await page.waitForURL(/\/pipelines\/\d+$/);
    const card = page.locator("article.opp", { hasText: opp });
    const columns = page.locator("#board .column");
    await columns.nth(0).locator("article.opp", { hasText: opp }).waitFor();
    await shot(page, "board");
    // Drop near the top of the column: its middle can be far below the fold (the header now
    // wraps to two lines in Chinese, and the drop at the middle landed on another column).
    await card.dragTo(columns.nth(2), { sourcePosition: { x: 12, y: 10 }, targetPosition: { x: 40, y: 30 } });
    await page.waitForLoadState("load");
    await columns.nth(2).locator("article.opp", { hasText: opp }).waitFor();
    // Losing needs a reason: refused without one, with the field named.
    const moved = columns.nth(2).locator("article.opp", { hasText: opp });
    const lost = await moved.locator('select[name="stage_id"] option').nth(5).getAttribute("value");
    await moved.locator('select[name="stage_id"]').selectOption(lost);
    await moved.locator("button").click();
    await page.locator("#move-error").waitFor();
    assert.match(await page.locator("#move-error").innerText(), /reason/);
    await page.goBack();
    await page.reload();
    const wonCount = async () =>
      Number(((await page.locator("#forecast").innerText()).match(/\((\d+)\//) || [0, 0])[1]);
    const wonBefore = await wonCount();
    const again = page.locator("#board .column").nth(2).locator("article.opp", { hasText: opp });
    const won = await again.locator('select[name="stage_id"] option').nth(4).getAttribute("value");
    await again.locator('select[name="stage_id"]').selectOption(won);
    await again.locator('input[name="reason"]').fill(zh ? "方案领先" : "Best offer");
    await again.locator("button").click();
    await page.waitForURL(/\/pipelines\/\d+$/);
    assert.equal(await page.locator("article.opp", { hasText: opp }).count(), 0, "won: off the open columns");
    assert.equal(await wonCount(), wonBefore + 1, "the forecast counts the win");
    await page.goto(customerUrl);
    assert.match(await page.locator("#opportunities").innerText(), zh ? /赢单/ : /Won/);
  });
  await page.goto(customerUrl);
  await shot(page, "customer-360");
  await step("the lookup box finds the customer by phone, written any way", async () => {
    await page.goto(`${BASE}/customers`);
    const spaced = `+86 ${mobile.slice(0, 3)} ${mobile.slice(3, 7)} ${mobile.slice(7)}`;
    await page.fill("#lookup-q", spaced);
    await page.press("#lookup-q", "Enter");
    await page.waitForURL(customerUrl);
    assert.equal(await h1(), name);
  });
  await step("a second customer with the same number gets a duplicate warning", async () => {
    await page.goto(`${BASE}/customers/new`);
    await page.fill("#name", name + "B");
    await page.fill("#mobile", mobile);
    await page.click("#save");
    await page.locator("#duplicate").waitFor();
    assert.match(await page.locator("#duplicate").innerText(), new RegExp(T.duplicate));
    const href = await page.locator("#duplicate a").getAttribute("href");
    assert.equal(`${BASE}${href}`, customerUrl);
  });
  let duplicateUrl = "";
  await step("create it anyway, then merge the duplicate from the customer page", async () => {
    await page.click("#save");
    await page.waitForURL(/\/customers\/\d+$/);
    duplicateUrl = page.url();
    assert.notEqual(duplicateUrl, customerUrl);
    await page.goto(customerUrl);
    const entry = page.locator("#duplicate-list li", { hasText: name + "B" });
    await entry.waitFor();
    page.once("dialog", (d) => d.accept());
    await entry.locator("button.merge").click();
    await page.locator("#merged").waitFor();
    assert.match(page.url(), /merged=/);
    const res = await page.goto(duplicateUrl);
    assert.equal(res.status(), 404);
  });
  await step("keyboard: the lookup box is reachable and focus is visible", async () => {
    await page.goto(`${BASE}/customers`);
    await page.focus("#lookup-q");
    assert.equal(await page.evaluate(() => document.activeElement?.id), "lookup-q");
  });
  await step("phone-width screen", async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(customerUrl);
    assert.equal(await h1(), name);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    const culprits = await page.evaluate(() => [...document.querySelectorAll("body *")]
      .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 1)
      .slice(0, 5)
      .map((el) => `${el.tagName.toLowerCase()}#${el.id}.${el.className}`));
    assert.ok(overflow <= 1, `the page is ${overflow}px wider than a phone: ${culprits.join(", ")}`);
    await shot(page, "customer-360-phone");
    await page.setViewportSize({ width: 1280, height: 800 });
  });
  await step("my day: plan a call for tomorrow about the customer, see it, get the calendar link", async () => {
    await page.goto(`${BASE}/my-day`);
    const subject = (zh ? "回访：确认续约 " : "Follow-up call ") + suffix;
    const d = new Date(Date.now() + 50 * 3600 * 1000);
    const pad = (n) => String(n).padStart(2, "0");
    const local = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T10:30`;
    await page.selectOption("#plan-kind", "call");
    await page.fill("#plan-subject", subject);
    await page.fill("#plan-due", local);
    await page.fill("#plan-customer", customerUrl.split("/").pop());
    await page.click("#plan-save");
    await page.waitForURL(/\/my-day$/);
    await page.locator("#today li, #upcoming li", { hasText: subject }).waitFor();
    await shot(page, "my-day");
    await page.click("#new-feed");
    const link = await page.locator("#feed-url code").innerText();
    assert.match(link, /\/calendar\/gxc_[A-Za-z0-9_-]{43}\.ics$/);
    const ics = await (await fetch(link.replace(/^http:\/\/[^/]+/, BASE))).text();
    assert.ok(ics.includes(subject), "the feed holds the planned call");
    await page.locator("#today li, #upcoming li", { hasText: subject }).locator("button").click();
    await page.waitForURL(/\/my-day$/);
    assert.equal(await page.locator("#today li, #upcoming li", { hasText: subject }).count(), 0, "done: off the list");
    // A call in ten minutes (Shanghai time, the organisation's zone) with a reminder fifteen
    // minutes before: the reminder shows on every page at once.
    const soon = new Date(Date.now() + 10 * 60 * 1000 + 8 * 3600 * 1000);
    const soonLocal = `${soon.getUTCFullYear()}-${pad(soon.getUTCMonth() + 1)}-${pad(soon.getUTCDate())}T${pad(soon.getUTCHours())}:${pad(soon.getUTCMinutes())}`;
    const urgent = (zh ? "马上回电 " : "Call back now ") + suffix;
    await page.fill("#plan-subject", urgent);
    await page.fill("#plan-due", soonLocal);
    await page.selectOption("#plan-remind", "15");
    await page.click("#plan-save");
    await page.waitForURL(/\/my-day$/);
    await page.goto(`${BASE}/customers`);
    assert.match(await page.locator("#reminders").innerText(), new RegExp(urgent));
    await page.goto(`${BASE}/my-day`);
    await page.locator("#today li, #upcoming li, #overdue li", { hasText: urgent }).locator("button").click();
    await page.waitForURL(/\/my-day$/);
    assert.equal(await page.locator("#reminders").count(), 0, "done: no more reminder");
  });
  await step("administration: a team, a user, a custom field, an API token", async () => {
    const team = (zh ? "华北销售组" : "North sales ") + suffix;
    await page.goto(`${BASE}/admin/teams`);
    await page.fill('input[name="name"]', team);
    await page.click('form[action="/admin/teams"] button');
    await page.locator("#teams", { hasText: team }).waitFor();
    await page.goto(`${BASE}/admin/users`);
    const email = `new.${suffix}.${tag}@demo.guanxi.example`;
    await page.fill("#name", zh ? "新同事" : "New colleague");
    await page.fill("#email", email);
    await page.selectOption("#role", "agent");
    await page.selectOption("#team_id", { label: team });
    await page.fill("#password", "一个足够长的初始密码");
    await page.click("#add-user button");
    await page.locator("#users", { hasText: email }).waitFor();
    await shot(page, "admin-users");
    await page.goto(`${BASE}/admin/roles`);
    assert.match(await page.locator("#roles").innerText(), zh ? /客户经理/ : /Sales rep/);
    await page.goto(`${BASE}/admin/fields`);
    await page.fill("#key", `industry_${suffix}`);
    await page.fill("#label_zh", "行业");
    await page.fill("#label_en", "Industry");
    await page.click('form[action="/admin/fields"] button[type="submit"]');
    await page.locator("#fields", { hasText: `industry_${suffix}` }).waitFor();
    await page.goto(`${BASE}/account/tokens`);
    await page.fill('input[name="name"]', "POS");
    await page.click("#create-token");
    const secret = await page.locator("#token-secret").innerText();
    assert.match(secret, /^gxp_[A-Za-z0-9_-]{43}$/);
    const res = await fetch(`${BASE}/api/v1/auth/me`, { headers: { Authorization: `Bearer ${secret}` } });
    assert.equal(res.status, 200);
    await page.goto(`${BASE}/account/tokens`);
    assert.ok(!(await page.content()).includes(secret), "a token is shown once");
    await page.locator("#tokens button").first().click();
    await page.waitForLoadState("networkidle");
    const after = await fetch(`${BASE}/api/v1/auth/me`, { headers: { Authorization: `Bearer ${secret}` } });
    assert.equal(after.status, 401);
  });
  await step("a sales rep cannot open the administration", async () => {
    const rep = await browser.newContext({ locale: LANG });
    const p = await rep.newPage();
    await p.goto(`${BASE}/login`);
    await p.fill("#email", "wang.fang@demo.guanxi.example");
    await p.fill("#password", PASSWORD);
    await p.click("#sign-in");
    await p.waitForURL(/\/customers/);
    assert.equal(await p.locator('header a[href="/admin/users"]').count(), 0);
    assert.equal(await p.locator('header a[href="/imports"]').count(), 0);
    assert.equal(await p.locator('header a[href="/duplicates"]').count(), 0);
    const res = await p.goto(`${BASE}/admin/users`);
    assert.equal(res.status(), 403);
    assert.equal((await p.goto(`${BASE}/imports`)).status(), 403);
    assert.equal((await p.goto(`${BASE}/duplicates`)).status(), 403);
    await rep.close();
  });
  await step("a lead from the web form to a won opportunity and an order", async () => {
    // The administrator makes a web form and hands website leads to 王芳.
    await page.goto(`${BASE}/leads/settings`);
    const formName = (zh ? "官网咨询" : "Website enquiry ") + suffix;
    await page.fill("#form-name", formName);
    await page.click("#form-save");
    await page.waitForURL(/\/leads\/settings$/);
    const formLink = page.locator(".webform", { hasText: formName }).locator("a.form-page");
    const formUrl = await formLink.getAttribute("href");
    // Earlier rules would win (the first that matches decides): remove them.
    while ((await page.locator("#rules button").count()) > 0) {
      await page.locator("#rules button").first().click();
      await page.waitForLoadState("load");
    }
    await page.selectOption("#rule-source", "website");
    await page.selectOption("#rule-target", { label: "王芳" });
    await page.click("#rule-save");
    await page.locator("#rules tr", { hasText: "王芳" }).first().waitFor();
    // A visitor, not signed in, fills in the form (people take more than two seconds).
    const visitor = await browser.newContext({ locale: LANG });
    const v = await visitor.newPage();
    await v.goto(`${BASE}${formUrl}`);
    const leadName = (zh ? "访客李" : "Visitor Lee ") + suffix;
    await v.fill("#wf-name", leadName);
    await v.fill("#wf-phone", "12345");
    await v.fill("#wf-message", zh ? "想了解企业宽带报价" : "A quote for business broadband, please");
    await v.waitForTimeout(2100);
    await v.click("#wf-submit");
    await v.locator("#lead-error").waitFor();
    assert.equal(await v.locator("#wf-name").inputValue(), leadName, "what was typed is kept");
    await v.fill("#wf-phone", "0755-8888" + String(Date.now()).slice(-4));
    await v.waitForTimeout(2100);
    await v.click("#wf-submit");
    await v.locator("#thanks").waitFor();
    await visitor.close();
    // 王芳 finds it among her leads, qualifies it and converts it with an opportunity.
    const rep = await browser.newContext({ locale: LANG });
    const r = await rep.newPage();
    r.setDefaultTimeout(10000);
    await r.goto(`${BASE}/login`);
    await r.fill("#email", "wang.fang@demo.guanxi.example");
    await r.fill("#password", PASSWORD);
    await r.click("#sign-in");
    await r.waitForURL(/\/customers/);
    await r.click('header a[href="/leads"]');
    await r.click(`#leads a:has-text("${leadName}")`);
    await r.waitForURL(/\/leads\/\d+$/);
    await shot(r, "lead");
    await r.selectOption("#lead-status-select", "disqualified");
    await r.click("#lead-status-save");
    await r.locator("#lead-error").waitFor();
    await r.selectOption("#lead-status-select", "qualified");
    await r.click("#lead-status-save");
    await r.waitForURL(/\/leads\/\d+$/);
    assert.equal(await r.locator("#lead-status").innerText(), zh ? "已确认" : "Qualified");
    const deal = (zh ? "企业宽带" : "Business broadband ") + suffix;
    await r.fill("#conv-name", deal);
    await r.fill("#conv-amount", "36,000.00");
    await r.click("#convert-save");
    await r.waitForURL(/\/customers\/\d+\?converted=1$/);
    const customerPage = r.url().replace(/\?.*$/, "");
    await r.locator("#lead-converted").waitFor();
    assert.equal(await r.locator("h1").first().innerText(), leadName);
    await r.locator(".from-lead").waitFor();
    // Win it on the board with the keyboard form, then place the order that closes it.
    await r.goto(`${BASE}/pipelines`);
    const card = r.locator("article.opp", { hasText: deal });
    const won = await card.locator('select[name="stage_id"] option').nth(4).getAttribute("value");
    await card.locator('select[name="stage_id"]').selectOption(won);
    await card.locator('input[name="reason"]').fill(zh ? "报价合适" : "Good price");
    await card.locator("button").click();
    await r.waitForURL(/\/pipelines\/\d+$/);
    assert.equal(await r.locator("article.opp", { hasText: deal }).count(), 0);
    await r.goto(customerPage);
    assert.match(await r.locator("#opportunities").innerText(), zh ? /赢单/ : /Won/);
    assert.equal(await r.locator("#order-price").inputValue(), "36000.00");
    await r.selectOption("#order-status", "paid");
    await r.click("#order-save");
    await r.locator("#orders").waitFor();
    assert.match(await r.locator("#orders").innerText(), new RegExp(deal));
    const story = await r.locator("#sales-history").innerText();
    for (const want of zh ? [/线索转为客户/, /赢单/, /下单/] : [/Lead converted/, /Won/, /Order placed/]) {
      assert.match(story, want, "the sales history tells the whole story");
    }
    await shot(r, "customer-after-lead");
    // A follow-up quote with 13 % VAT, accepted, becomes a second order.
    await r.locator("#quote-details summary").click();
    const firstProduct = await r.locator("#quote-product option").nth(1).getAttribute("value");
    await r.selectOption("#quote-product", firstProduct);
    await r.fill("#quote-qty", "2");
    await r.selectOption("#quote-tax", "13");
    await r.click("#quote-save");
    await r.locator("#quotes li").first().waitFor();
    const ordersBefore = await r.locator("#orders tbody tr").count();
    await r.locator("#quotes li").first().locator("button", { hasText: zh ? "客户已接受" : "Accepted" }).click();
    await r.locator("#quotes li").first().locator("button.quote-order").click();
    await r.waitForURL(/\/customers\/\d+/);
    assert.equal(await r.locator("#orders tbody tr").count(), ordersBefore + 1);
    assert.match(await r.locator("#quotes li").first().innerText(), zh ? /已下单/ : /Ordered/);
    await rep.close();
  });
  // A customer file as people send it: GBK, Chinese headers, a bad phone number, a row that
  // repeats an earlier row's phone, and two pairs of look-alikes for the review queue.
  const is = String(Date.now()).slice(-8);
  const imp = {
    file: `客户名单-${is}.csv`,
    first: `导入甲${is}`,
    twin: `王小明${is}`,
    pair: `李四${is}`,
    company: `华南贸易有限公司${is}`,
  };
  const nextDigit = (p) => p.slice(0, -1) + String((Number(p.slice(-1)) + 1) % 10);
  await step("segment map: a cell left out is refused with the reason, a rename is saved and the dashboards show it, then the default is back", async () => {
    await page.goto(`${BASE}/analysis`);
    await page.click("#segment-map");
    await page.waitForURL(/\/analysis\/segments$/);
    assert.equal(await h1(), T.segmentMap);
    const nameField = zh ? "#seg-0-name_zh" : "#seg-0-name_en";
    assert.equal(await page.locator(nameField).inputValue(), T.firstSegment);
    const renamed = (zh ? "头等客户" : "Top customers ") + suffix;
    await page.fill(nameField, renamed);
    // Without 已流失 (R 1, F 1–2) two cells are no one's: refused, what was typed kept.
    const lost = page.locator("#segment-rows tr", { has: page.locator('input[value="lost"]') });
    await lost.locator('input[type="checkbox"]').check();
    await page.click("#segments-save");
    await page.locator("#segments-error").waitFor();
    assert.match(await page.locator("#segments-error").innerText(), T.uncovered);
    assert.equal(await page.locator(nameField).inputValue(), renamed);
    assert.equal(await page.locator("#segment-preview td.uncovered").count(), 2);
    await lost.locator('input[type="checkbox"]').uncheck();
    await page.click("#segments-save");
    await page.waitForURL(/\/analysis\/segments\?saved=1$/);
    assert.match(await page.locator("#segments-notice").innerText(), T.segmentsSaved);
    assert.equal(await page.locator(nameField).inputValue(), renamed);
    await shot(page, "segment-map");
    // The first pass scores the customers from the analytics page (the page reloads itself
    // until the run is done); names are read from the map, so the second pass needs no run.
    await page.click("#back-to-analysis");
    await page.waitForURL(/\/analysis$/);
    if (await page.locator("#last-run").count() === 0) {
      await page.click("#run-now");
      await page.waitForURL(/\/analysis\?(started|busy)=1$/);
      await page.locator("#last-run").waitFor({ timeout: 60000 });
    }
    assert.match(await page.locator("#segments-table").innerText(), new RegExp(renamed));
    assert.match(await page.locator("#rfm-legend").innerText(), new RegExp(`${renamed}: R 4–5 · F 4–5`));
    // Back to the default, after a confirmation.
    await page.click("#segment-map");
    await page.waitForURL(/\/analysis\/segments$/);
    page.once("dialog", (d) => d.accept());
    await page.click("#segments-reset");
    await page.waitForURL(/\/analysis\/segments\?reset=1$/);
    assert.match(await page.locator("#segments-notice").innerText(), T.segmentsReset);
    assert.equal(await page.locator(nameField).inputValue(), T.firstSegment);
    assert.equal(await page.locator("#segments-reset").count(), 0);
  });
  await step("score the customers, read the dashboards, drill down to the customers behind a number", async () => {
    await page.goto(`${BASE}/analysis`);
    assert.equal(await h1(), zh ? "客户分析" : "Analytics");
    // Scored in the segment map's step.
    await page.locator("#last-run").waitFor();
    assert.match(await page.locator("#fit-bgnbd").innerText(), /r = \d/);
    await shot(page, "analysis");
    // The segments table: a count links to the list filtered by that segment.
    const link = page.locator("#segments-table tbody a").first();
    const shown = Number((await link.innerText()).replace(/[^0-9]/g, ""));
    await link.click();
    await page.waitForURL(/\/customers\?.*segment=/);
    const rows = await page.locator("table.list tbody tr").count();
    assert.ok(rows > 0 && rows === Math.min(shown, 50), `${rows} rows for ${shown} customers`);
    // A customer of that segment shows the value panel with the same segment.
    await page.locator("table.list tbody tr a").first().click();
    await page.locator("#customer-value").waitFor();
    assert.ok((await page.locator("#value-tier").innerText()).match(/A|B|C/));
  });
  await step("import a GBK file: check it, see why a row is refused, import it, find the customers", async () => {
    const rows = [
      ["姓名", "手机", "邮箱", "公司"],
      [imp.first, `139${is}`, `jia.${is}@example.com`, imp.company],
      [`导入乙${is}`, "12345", `yi.${is}@example.com`, imp.company],
      [`导入丙${is}`, `139${is}`, `bing.${is}@example.com`, ""],
      [imp.twin, `136${is}`, "", "上海浦东发展银行"],
      [imp.twin, nextDigit(`136${is}`), "", ""],
      [imp.pair, `135${is}`, "", imp.company],
      [imp.pair, `133${is}`, "", imp.company],
    ];
    const buffer = gbkEncoder()(rows.map((r) => r.join(",")).join("\r\n") + "\r\n");
    await page.click('header a[href="/imports"]');
    assert.equal(await h1(), T.importTitle);
    await page.setInputFiles("#import-file", { name: imp.file, mimeType: "text/csv", buffer });
    await page.selectOption("#import-policy", "fill");
    await page.click("#upload");
    await page.waitForURL(/\/imports\/\d+$/);
    // The page reloads itself while the check runs.
    await page.locator('#job-status[data-status="done"][data-mode="check"]').waitFor({ timeout: 60000 });
    assert.equal(await page.locator("#job-file").innerText(), imp.file);
    assert.match(await page.locator("#job-status").innerText(), T.checked);
    assert.match(await page.locator("#counts").innerText(), T.rejectedOne);
    const refused = page.locator('#report-rows tr[data-outcome="rejected"]');
    assert.equal(await refused.count(), 1);
    assert.equal(await refused.getAttribute("data-line"), "3");
    assert.match(await refused.innerText(), T.badPhone);
    assert.match(await page.locator('#report-rows tr[data-line="4"]').innerText(), T.sameAsLine2);
    // The Chinese headers were read (so the file was decoded) and mapped.
    assert.equal(await page.locator('label[for="col-0"]').innerText(), "姓名");
    assert.equal(await page.locator("#col-0").inputValue(), "name");
    assert.equal(await page.locator("#col-1").inputValue(), "mobile");
    assert.equal(await page.locator("#col-3").inputValue(), "company");
    await shot(page, "import-check");
    await page.click("#start-import");
    await page.locator('#job-status[data-status="done"][data-mode="import"]').waitFor({ timeout: 60000 });
    assert.match(await page.locator("#counts").innerText(), T.createdFive);
    await page.locator("#review-duplicates").waitFor();
    await page.goto(`${BASE}/customers?q=${encodeURIComponent(imp.first)}`);
    await page.locator("#rows a", { hasText: imp.first }).waitFor();
    await page.goto(`${BASE}/imports`);
    assert.match(await page.locator("#imports tr", { hasText: imp.file }).innerText(), T.imported);
  });
  await step("review the look-alikes the import found: merge one pair, dismiss another, scan all", async () => {
    await page.click('header a[href="/duplicates"]');
    assert.equal(await h1(), T.duplicatesTitle);
    const twins = page.locator("section.pair", { hasText: imp.twin });
    await twins.waitFor();
    assert.match(await twins.innerText(), T.similarPhone);
    await shot(page, "duplicates");
    const kept = await twins.locator(".side.left h3 a").getAttribute("href");
    page.once("dialog", (d) => d.accept());
    await twins.locator("button.keep-left").click();
    await page.waitForURL(/\/duplicates\?merged=1$/);
    await page.locator("#duplicates-notice").waitFor();
    assert.equal(await page.locator("section.pair", { hasText: imp.twin }).count(), 0);
    await page.goto(`${BASE}${kept}`);
    assert.ok((await page.locator("#contact-points li").count()) >= 2, "the kept customer holds both numbers");
    await page.goto(`${BASE}/duplicates`);
    await page.locator("section.pair", { hasText: imp.pair }).locator("button.not-same").click();
    await page.waitForURL(/\/duplicates\?dismissed=1$/);
    assert.equal(await page.locator("section.pair", { hasText: imp.pair }).count(), 0);
    await page.click("#scan-all");
    await page.waitForURL(/\/duplicates\?scanning=1$/);
    assert.match(await page.locator("#duplicates-notice").innerText(), T.scanStarted);
    // The page says where the scan stands; once it is over, what it compared and found.
    let last = "";
    for (let i = 0; i < 50; i++) {
      await page.goto(`${BASE}/duplicates`);
      last = (await page.locator("#last-scan").getAttribute("data-status")) ?? "";
      if (last !== "running") break;
      await page.waitForTimeout(200);
    }
    assert.equal(last, "done");
    assert.match(await page.locator("#last-scan").innerText(), T.scanDone);
    assert.equal(await page.locator("#scan-all").isDisabled(), false);
  });
  await step("erase a person's data on request: the name must be typed", async () => {
    await page.goto(`${BASE}/customers?q=${encodeURIComponent(imp.first)}`);
    await page.locator("#rows a", { hasText: imp.first }).click();
    await page.waitForURL(/\/customers\/\d+$/);
    const url = page.url();
    await page.click("#erase");
    await page.waitForURL(/\/customers\/\d+\/erase$/);
    await page.fill("#erase-name", "not the name");
    await page.click("#erase-confirm");
    await page.locator("#erase-name-error").waitFor();
    await page.fill("#erase-name", imp.first);
    await page.click("#erase-confirm");
    await page.waitForURL(/\/customers\?erased=1$/);
    await page.locator("#erased").waitFor();
    assert.equal((await page.goto(url)).status(), 404);
    await page.goto(`${BASE}/customers`);
  });
  await step("without JavaScript: read, create, log and sign out with plain forms", async () => {
    const plain = await browser.newContext({ locale: LANG, javaScriptEnabled: false });
    const p = await plain.newPage();
    await p.goto(`${BASE}/login`);
    await p.fill("#email", EMAIL);
    await p.fill("#password", PASSWORD);
    await p.click("#sign-in");
    await p.waitForURL(/\/customers/);
    assert.ok((await p.locator("#rows tr").count()) > 1, "the list reads without JavaScript");
    await p.goto(`${BASE}/customers/new`);
    const plainName = (zh ? "无脚本客户" : "No-script customer ") + suffix;
    await p.fill("#name", plainName);
    await p.click("#save");
    await p.waitForURL(/\/customers\/\d+$/);
    assert.equal(await p.locator("h1").first().innerText(), plainName);
    await p.fill("#log-body", zh ? "无脚本也能记录" : "Logged without scripts");
    await p.click("#log-save");
    await p.locator("#timeline li").first().waitFor();
    await p.click("#sign-out");
    await p.waitForURL(/\/login/);
    await plain.close();
  });
  await step("sign out", async () => {
    await page.click("#sign-out");
    await page.waitForURL(/\/login/);
    await page.goto(`${BASE}/customers`);
    assert.match(page.url(), /\/login\?next=/);
  });
  console.log(`browser: ${LANG}: all steps passed`);
} finally {
  await browser.close();
}
