/**
 * The web console in a real browser: Debian's Chromium driven by playwright-core (never a
 * downloaded browser), against the real control plane with its embedded PostgreSQL and broker
 * and a real agent process on the simulator. A first-time user signs in with the admin password
 * and, without reading docs: finds the agent in sync, sees its values move, writes a value and
 * sees it come back from the device, changes a group's interval and watches the agent apply it,
 * tests the device's connection, and creates an enrollment token that requires approval, with
 * which a second box enrolls, waits, and is approved. Screenshots of each screen go to a temp dir, or with UPDATE_SCREENSHOTS=1 to
 * docs/screenshots/ (the README shows those).
 */
import { access, mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentViewSchema, ConfigRevisionViewSchema } from '@edgefleet/protocol';
import { spawnAgent, type AgentProcess } from '../support/agent-process.js';
import { startEnrolledAgent } from '../support/enrolled-agent.js';
import { eventually } from '../support/eventually.js';
import { AgentListSchema, simulatorConfig } from '../support/fixtures.js';
import { PlaneClient } from '../support/plane-client.js';
import { startStack, type Stack } from '../support/stack.js';

const CHROMIUM = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';
const DOCS_SCREENSHOTS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../docs/screenshots');

describe('console: run a fleet from the browser, in Chromium', { timeout: 120_000 }, () => {
  let stack: Stack;
  let plane: PlaneClient;
  let dir: string;
  let agent: AgentProcess;
  let secondBox: AgentProcess | undefined;
  let agentId: string;
  let browser: Browser;
  let page: Page;
  let SCREENSHOTS: string;
  const shot = async (name: string) => {
    // Dialogs and tabs fade in; the picture is of the settled screen, from its top.
    await page.waitForTimeout(400);
    await page.evaluate('window.scrollTo(0, 0)');
    await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`) });
  };

  beforeAll(async () => {
    await access(CHROMIUM).catch(() => {
      throw new Error(`Chromium is not installed (${CHROMIUM} is missing): apt-get install -y chromium`);
    });
    // A health sample every second, so the agent page has its trend charts within the test.
    stack = await startStack({ healthSampleMs: 1000 });
    plane = await PlaneClient.connect(stack.broker.url, stack.ca);
    dir = await mkdtemp(path.join(os.tmpdir(), 'edgefleet-console-'));
    ({ agent, agentId } = await startEnrolledAgent(stack, dir, 'press-gateway'));
    const document = { ...simulatorConfig({ fastMs: 500 }), agent: { heartbeatIntervalMs: 1000 } };
    const rev = await stack.api('PUT', `/api/v1/agents/${agentId}/config`, { document }, ConfigRevisionViewSchema);
    await plane.waitApplied(agentId, rev.revision);
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    SCREENSHOTS = process.env.UPDATE_SCREENSHOTS === '1' ? DOCS_SCREENSHOTS : path.join(dir, 'screenshots');
    await mkdir(SCREENSHOTS, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
    await secondBox?.stop();
    await agent?.stop();
    await plane?.close();
    await stack?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('refuses a wrong password in words, then signs in and shows the agent in sync', async () => {
    await page.goto(stack.apiUrl);
    await page.getByLabel('User name').fill('admin');
    await page.locator('input[autocomplete="current-password"]').fill('not-the-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(async () => page.getByRole('alert').textContent()).toContain('Wrong user name or password');
    await shot('sign-in');

    await page.locator('input[autocomplete="current-password"]').fill(stack.adminPassword);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('link', { name: 'press-gateway' }).waitFor({ timeout: 20_000 });
    expect(await page.getByTestId('user').textContent()).toBe('admin');
    expect(await page.getByTestId('role').textContent()).toBe('admin');
    const row = page.getByRole('row').filter({ hasText: 'press-gateway' });
    await expect.poll(async () => row.textContent(), { timeout: 20_000 }).toContain('In sync');
    await expect.poll(async () => page.getByTestId('count-IN_SYNC').textContent(), { timeout: 20_000 }).toBe('1');
    await shot('fleet');
  });

  it("opens the agent: its facts, health and trends", async () => {
    await page.getByRole('link', { name: 'press-gateway' }).click();
    await expect.poll(async () => page.getByTestId('agent-name').textContent()).toBe('press-gateway');
    expect(page.url()).toBe(`${stack.apiUrl}/agents/${agentId}`);
    await expect.poll(async () => page.getByTestId('facts').textContent()).toContain('hw-press-gateway');
    // The trend charts are drawn (uPlot's canvas) once the plane holds two health samples.
    await page.locator('[role=img][aria-label^="CPU over the last hour"] canvas').first().waitFor({ timeout: 20_000 });
    await expect.poll(async () => page.getByTestId('devices').textContent()).toContain('connected');
    await shot('agent');
  });

  it('shows the live values moving', async () => {
    await page.getByRole('tab', { name: 'Live values' }).click();
    const count = page.getByTestId('value-sim/fast/count');
    await count.waitFor({ timeout: 20_000 });
    const first = await eventually(async () => (await count.textContent())?.trim() || undefined, 'a first count');
    await expect.poll(async () => count.textContent(), { timeout: 10_000 }).not.toBe(first);
    // The sparkline collects the reads it has seen.
    await expect.poll(async () => Number(await page.getByTestId('trend-sim/fast/count').getAttribute('data-points')), { timeout: 10_000 }).toBeGreaterThan(2);
    await shot('values');
  });

  it('writes a value and sees the device answer and the new value', async () => {
    await page.getByTestId('write-sim/slow/setpoint').click();
    const dialog = page.getByRole('dialog');
    await dialog.getByTestId('write-value').fill('42.5');
    await dialog.getByTestId('write-submit').click();
    await expect.poll(async () => dialog.getByTestId('write-result').textContent(), { timeout: 15_000 }).toMatch(/written|accepted|success/i);
    await page.keyboard.press('Escape');
    await expect.poll(async () => page.getByTestId('value-sim/slow/setpoint').textContent(), { timeout: 15_000 }).toContain('42.5');
  });

  it("changes a group's interval, reviews the change and watches the agent apply it", async () => {
    const before = await stack.api('GET', `/api/v1/agents/${agentId}`, undefined, AgentViewSchema);
    await page.getByRole('tab', { name: 'Config' }).click();
    await page.getByTestId('config-editor').waitFor({ timeout: 20_000 });
    await page.getByTestId('open-devices[0].groups[0]').click();
    const interval = page.getByTestId('field-devices[0].groups[0].intervalMs');
    await interval.fill('5');
    // The protocol's own message, on the field, and no saving.
    await expect.poll(async () => page.getByText('must be at least 10').count()).toBeGreaterThan(0);
    expect(await page.getByTestId('config-save').isDisabled()).toBe(true);
    await interval.fill('750');
    await page.getByTestId('config-save').click();
    const review = page.getByTestId('review-dialog');
    await expect.poll(async () => review.getByTestId('review-changes').textContent(), { timeout: 10_000 }).toContain('devices[0].groups[0].intervalMs');
    await shot('config-review');
    await review.getByTestId('review-comment').fill('fast group every 750 ms');
    await review.getByTestId('review-confirm').click();
    const next = (before.desiredRevision ?? 0) + 1;
    await expect.poll(async () => page.getByTestId('revisions').textContent(), { timeout: 20_000 }).toBe(`applied revision ${next} of desired ${next}`);
    await expect.poll(async () => page.getByTestId('agent-sync-status').getAttribute('data-status')).toBe('IN_SYNC');
    const desired = await stack.api('GET', `/api/v1/agents/${agentId}/config`, undefined, ConfigRevisionViewSchema);
    expect(desired).toMatchObject({ revision: next, author: 'admin', comment: 'fast group every 750 ms' });
    expect(JSON.stringify(desired.document)).toContain('"intervalMs":750');
    await shot('config');
    await page.getByTestId('tab-history').click();
    await page.getByTestId(`revision-row-${next}`).waitFor();
    await shot('history');
  });

  it("tests the saved device's connection", async () => {
    await page.getByRole('tab', { name: 'Commissioning' }).click();
    await page.getByTestId('test-connection').click();
    await expect.poll(async () => page.getByTestId('test-connection-result').textContent(), { timeout: 20_000 }).toMatch(/connected|works|ok/i);
    await shot('commissioning');
  });

  it('creates an enrollment token that requires approval, and approves the box that enrolls with it', async () => {
    await page.getByRole('link', { name: 'Provisioning' }).click();
    await page.getByLabel('Description').fill('line 7 boxes');
    await page.getByLabel('Labels').fill('line=7');
    await page.getByLabel('Require approval').check();
    await page.getByRole('button', { name: 'Create token' }).click();
    const token = (await page.getByTestId('created-token').textContent()) ?? '';
    expect(token.length).toBeGreaterThan(20);
    expect(await page.getByTestId('enroll-command').textContent()).toContain(`--token=${token}`);
    await shot('provisioning');
    await page.getByRole('button', { name: 'Done' }).click();
    await expect.poll(async () => page.getByTestId('tokens').textContent()).toContain('line 7 boxes');

    // A box enrolls with the token from the screen and waits for an operator.
    secondBox = await spawnAgent({ stateDir: path.join(dir, 'second-box'), controlPlaneUrl: stack.apiUrl, token, name: 'second-box', hardwareId: 'hw-second-box' });
    const pending = page.getByTestId('pending-agent').filter({ hasText: 'second-box' });
    await pending.waitFor({ timeout: 20_000 });
    await secondBox.waitForOutput(/waiting for approval/);
    await shot('approval');
    await pending.getByTestId('approve-agent').click();
    const enrolled = await eventually(
      async () => (await stack.api('GET', '/api/v1/agents', undefined, AgentListSchema)).items.find((a) => a.name === 'second-box' && a.online),
      'the approved box enrolled and online',
      60_000,
    );
    expect(enrolled.labels).toEqual({ line: '7' });
    await page.getByRole('link', { name: 'Fleet' }).click();
    await page.getByLabel('Labels').fill('line=7');
    await expect.poll(async () => page.getByRole('row').filter({ hasText: 'press-gateway' }).count(), { timeout: 15_000 }).toBe(0);
    await expect.poll(async () => page.getByRole('row').filter({ hasText: 'second-box' }).count(), { timeout: 15_000 }).toBe(1);

    // A reload of a page's own address gets the console, not a 404.
    await page.goto(`${stack.apiUrl}/agents/${agentId}/values`);
    await page.getByTestId('value-sim/fast/count').waitFor({ timeout: 20_000 });
  });

  it('ends the session on sign-out', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    expect(await page.getByRole('link', { name: 'press-gateway' }).count()).toBe(0);
  });
});
