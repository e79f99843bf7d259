// The dashboard in a real browser: Playwright drives Debian's Chromium (headless) against the
// control plane's dashboard on a running mesh under steady load. It must show the sample
// workloads, the 90/10 split on the reviews edges, the new split after the config changes —
// live, without a reload — and the traces; a screenshot is saved under test-results/.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { get, repoRoot, startTestMesh, type TestMesh } from '@skiff/testing';
import { meshConfig, reviewsVirtualService } from './fixtures.js';

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
});
