// One Lighthouse 12 user flow for bench/lighthouse_bench.py: sign in through the form, then one navigation step
// per screen (the app boots signed in from its stored session, as it does when a person reopens it).
// Usage: node flow.mjs '{"base": ..., "email": ..., "password": ..., "formFactor": "mobile"|"desktop", "screens": ["#/", ...]}'
// Prints one JSON line: [{screen, scores: {performance, accessibility, best-practices, seo}, failing: [ids], cls, tbt}] (tbt: total blocking time, ms).
import puppeteer from 'puppeteer-core';
import { startFlow, desktopConfig } from 'lighthouse';

const job = JSON.parse(process.argv[2]);
const CATEGORIES = ['performance', 'accessibility', 'best-practices', 'seo'];

const browser = await puppeteer.launch({
  executablePath: process.env.CHROME_PATH || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
});
try {
  const page = await browser.newPage();
  await page.goto(`${job.base}/#/login`, { waitUntil: 'networkidle0' });
  await page.waitForSelector('[data-test="login-submit"]');
  await page.type('[data-test="login-email"]', job.email);
  await page.type('[data-test="login-password"]', job.password);
  await page.click('[data-test="login-submit"]');
  // Signed in once the first sync has finished: the header's last-synced time holds a digit.
  await page.waitForFunction(() => /\d/.test(document.querySelector('[data-test="last-synced"]')?.textContent || ''),
    { timeout: 120000 });

  const flow = await startFlow(page, {
    config: job.formFactor === 'desktop' ? desktopConfig : undefined,
    flags: { disableStorageReset: true },
  });
  for (const screen of job.screens) {
    // From about:blank (a flow skips it by default): from one hash of the app to another is no page load.
    await flow.navigate(`${job.base}/${screen}`, { name: screen, disableStorageReset: true, skipAboutBlank: false });
  }
  const result = await flow.createFlowResult();
  const out = result.steps.map((step) => {
    const lhr = step.lhr;
    // Failing: scored below 0.9 (the report's "passed" line) and weighed in some category's score.
    const weighed = new Set(Object.values(lhr.categories).flatMap((c) => c.auditRefs.filter((r) => r.weight > 0).map((r) => r.id)));
    const failing = Object.values(lhr.audits)
      .filter((a) => weighed.has(a.id) && typeof a.score === 'number' && a.score < 0.9)
      .map((a) => a.id);
    return {
      screen: step.name,
      scores: Object.fromEntries(CATEGORIES.map((c) => [c, lhr.categories[c]?.score == null ? null : Math.round(lhr.categories[c].score * 100)])),
      failing,
      cls: lhr.audits['cumulative-layout-shift']?.numericValue ?? null,
      tbt: lhr.audits['total-blocking-time']?.numericValue ?? null,
      errors: lhr.runtimeError ? [lhr.runtimeError.code] : [],
    };
  });
  process.stdout.write(`${JSON.stringify(out)}\n`);
} finally {
  await browser.close();
}
