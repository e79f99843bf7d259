// The dashboard in a real browser: Playwright drives Debian's Chromium (headless) against the
// control plane's dashboard on a running mesh under steady load. It must show the sample
// workloads, the 90/10 split on the reviews edges, the new split after the config changes —
// live, without a reload — and the traces; a screenshot is saved under test-results/.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { get, repoRoot, startTestMesh, type TestMesh } from '@skiff/testing';
import { canarySpec, meshConfig, reviewsVirtualService } from './fixtures.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(repoRoot, 'test-results');
const V2_EDGE = '[data-edge="frontend.default->reviews-v2.default"]';
const V1_EDGE = '[data-edge="frontend.default->reviews-v1.default"]';

/** Steady traffic through the gateway until stopped: a few callers in a loop. */
function steadyLoad(url: string, callers = 4): { stop: () => Promise<number> } {
  let running = true;
  let sent = 0;
  const loops = Array.from({ length: callers }, async () => {
    while (running) {
      await get(url).catch(() => undefined);
      sent++;
    }
  });
  return {
    async stop() {
      running = false;
      await Promise.all(loops);
      return sent;
    },
  };
}

async function share(page: Page, selector: string): Promise<number> {
  const value = await page.locator(selector).first().getAttribute('data-share', { timeout: 1000 }).catch(() => null);
  return value === null ? 0 : Number(value);
}

/** Polls the page until the v2 share sits in [low, high]; returns what it saw last. */
async function waitForShare(page: Page, low: number, high: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let last = NaN;
  while (Date.now() < deadline) {
    last = await share(page, V2_EDGE);
    if (last >= low && last <= high) return last;
    await new Promise((r) => setTimeout(r, 500));
  }
  assert.fail(`the dashboard's v2 share stayed outside [${low}, ${high}] for ${timeoutMs} ms; last seen ${last}`);
}

describe('the dashboard in Chromium', { skip: existsSync(CHROMIUM) ? false : `${CHROMIUM} is missing: apt-get install chromium` }, () => {
  let mesh: TestMesh;
  let browser: Browser;
  let load: ReturnType<typeof steadyLoad>;
  before(async () => {
    mesh = await startTestMesh({ config: meshConfig(90, 10) });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
    load = steadyLoad(`${mesh.gateway}/api/product/1`);
  });
  after(async () => {
    const sent = await load?.stop();
    if (sent !== undefined) console.log(`steady load sent ${sent} requests`);
    await browser?.close();
    await mesh?.stop();
  });

  test('shows the workloads, the 90/10 split, then the new split live after a config change', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(mesh.plan.urls.dashboard, { waitUntil: 'domcontentloaded' });
    assert.equal(await page.title(), 'Skiff dashboard');
    for (const node of ['istio-ingressgateway.istio-system', 'frontend.default', 'reviews-v1.default', 'reviews-v2.default', 'ratings.default']) {
      await page.locator(`[data-node="${node}"]`).first().waitFor({ timeout: 20_000 });
    }
    await page.locator(V1_EDGE).first().waitFor({ timeout: 20_000 });
    await page.locator('#connection[data-state="live"]').waitFor({ timeout: 10_000 });

    // 4 callers give about 300 requests per 10 s window here: a v2 share of 0.10 has a standard
    // deviation of about 0.017 there and 0.5 one of 0.029, so ±0.06 and ±0.12 are about 4 of
    // them, and the two bands are far apart.
    const before = await waitForShare(page, 0.04, 0.16, 30_000);
    assert.equal(await page.locator(V1_EDGE).first().getAttribute('data-mtls'), 'true', 'the frontend -> reviews edge is mutual TLS');
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-90-10.png'), fullPage: true });

    // A marker on the window survives only if the page is never reloaded.
    await page.evaluate(() => ((globalThis as unknown as { skiffMarker: number }).skiffMarker = 42));
    mesh.writeConfig('reviews-vs.yaml', reviewsVirtualService(50, 50));
    await waitForShare(page, 0.38, 0.62, 45_000);
    // Once the window holds only requests under the new config, the share must stay there.
    await new Promise((r) => setTimeout(r, 12_000));
    const afterChange = await waitForShare(page, 0.38, 0.62, 1_000);
    assert.equal(await page.evaluate(() => (globalThis as unknown as { skiffMarker?: number }).skiffMarker), 42, 'the page updated without a reload');
    console.log(`dashboard v2 share: ${before} at 90/10, ${afterChange} after the change to 50/50`);

    // Listed traces have settled, so each has at least the 4 spans of a v1 request
    // (gateway, frontend in and out, reviews in); a v2 request adds reviews out and ratings.
    await page.locator('#traces tr[data-trace]').first().waitFor({ timeout: 20_000 });
    await page.locator('#traces tr[data-trace]').first().click();
    await page.locator('#traces [data-span]').nth(3).waitFor({ timeout: 10_000 });
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-50-50.png'), fullPage: true });
    assert.match(await page.locator('#config').innerText(), /VirtualService/);
    assert.deepEqual(errors, [], 'no script errors on the page');
  });

  test('shows a running canary scenario live: its step, the weights, the checks, then the verdict', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(mesh.plan.urls.dashboard, { waitUntil: 'domcontentloaded' });
    await page.locator('#connection[data-state="live"]').waitFor({ timeout: 10_000 });
    const panel = page.locator('#scenario');
    assert.equal(await panel.isHidden(), true, 'no scenario has run yet, so the panel is hidden');

    const file = join(mkdtempSync(join(tmpdir(), 'skiff-dashboard-canary-')), 'canary.yaml');
    writeFileSync(file, canarySpec({ threshold: 3, maxP99Ms: 2000, interval: '3s', stepWeights: [50] }));
    const args = ['--import', 'tsx', join(repoRoot, 'bin/skiff.mjs'), 'scenario', 'run', 'canary', '--file', file, '--config', mesh.configDir, '--gateway', `${mesh.gateway}/api/product/1`, '--control-plane', mesh.controlPlane, '--mesh-token-file', mesh.state?.meshTokenFile ?? '', '--rate', '20', '--json'];
    const run = new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
      execFile(process.execPath, args, { cwd: repoRoot, timeout: 120_000 }, (error, stdout, stderr) => resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr })),
    );
    // While it runs: the step under way and v2's weight of the first step, without a reload.
    await page.locator('#scenario[data-state="running"] [data-subset="v2"][data-weight="50"]').waitFor({ timeout: 30_000 });
    assert.match(await panel.locator('.scenario-step').innerText(), /v2 at 50%/);
    assert.match(await panel.locator('.panel-meta').innerText(), /step \d+ · running/);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-canary-running.png'), fullPage: true });

    const result = await run;
    assert.equal(result.code, 0, `${result.stderr}\n${result.stdout}`);
    await page.locator('#scenario[data-state="passed"]').waitFor({ timeout: 10_000 });
    assert.match(await panel.locator('.verdict').innerText(), /promoted: v2 takes 100% of reviews/);
    assert.equal(await panel.locator('[data-subset="v2"]').getAttribute('data-weight'), '100');
    assert.equal(await panel.locator('[data-subset="v1"]').getAttribute('data-weight'), '0');
    const checks = await panel.locator('.check').allInnerTexts();
    assert.ok(checks.some((c) => /request-success-rate/.test(c)) && checks.some((c) => /request-duration/.test(c)), `the last interval's checks are listed: ${checks.join(' | ')}`);
    assert.equal(await panel.locator('.check[data-ok="false"]').count(), 0, 'a promoted canary shows no failed check');
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-canary-promoted.png'), fullPage: true });
    assert.deepEqual(errors, [], 'no script errors on the page');
  });

  test("the product page in Chromium: its live line updates over a WebSocket through the gateway, without a reload", async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`${mesh.gateway}/?id=1`, { waitUntil: 'domcontentloaded' });
    const live = page.locator('[data-testid="live"]');
    await page.locator('[data-testid="live"][data-version]').waitFor({ timeout: 15_000 });
    const first = await live.innerText();
    assert.match(first, /^live: reviews v[12]/);
    const deadline = Date.now() + 10_000;
    while ((await live.innerText()) === first && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    assert.notEqual(await live.innerText(), first, 'a later update replaced the first one');
    assert.match(await live.innerText(), /^live: reviews v[12], (stars \d|no stars)/);
    assert.deepEqual(errors, [], 'no script errors on the page');
    await page.close();
  });
});

