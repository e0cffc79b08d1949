/**
 * The web console in a real browser: Debian's Chromium driven by playwright-core (never a
 * downloaded browser), against the real control plane with its embedded PostgreSQL and broker
 * and a real agent process on the simulator. A first-time user signs in with the admin password,
 * finds the agent in the fleet in sync, and signs out. Screenshots of each screen go to a temp
 * dir, or with UPDATE_SCREENSHOTS=1 to docs/screenshots/ (the README shows those).
 */
import { access, mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigRevisionViewSchema } from '@edgefleet/protocol';
import type { AgentProcess } from '../support/agent-process.js';
import { startEnrolledAgent } from '../support/enrolled-agent.js';
import { simulatorConfig } from '../support/fixtures.js';
import { PlaneClient } from '../support/plane-client.js';
import { startStack, type Stack } from '../support/stack.js';

const CHROMIUM = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';
const DOCS_SCREENSHOTS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../docs/screenshots');

describe('console: sign in and see the fleet, in Chromium', { timeout: 120_000 }, () => {
  let stack: Stack;
  let plane: PlaneClient;
  let dir: string;
  let agent: AgentProcess;
  let agentId: string;
  let browser: Browser;
  let page: Page;
  let SCREENSHOTS: string;

  beforeAll(async () => {
    await access(CHROMIUM).catch(() => {
      throw new Error(`Chromium is not installed (${CHROMIUM} is missing): apt-get install -y chromium`);
    });
    stack = await startStack();
    plane = await PlaneClient.connect(stack.broker.url, stack.ca);
    dir = await mkdtemp(path.join(os.tmpdir(), 'edgefleet-console-'));
    ({ agent, agentId } = await startEnrolledAgent(stack, dir, 'press-gateway'));
    const rev = await stack.api('PUT', `/api/v1/agents/${agentId}/config`, { document: simulatorConfig() }, ConfigRevisionViewSchema);
    await plane.waitApplied(agentId, rev.revision);
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    SCREENSHOTS = process.env.UPDATE_SCREENSHOTS === '1' ? DOCS_SCREENSHOTS : path.join(dir, 'screenshots');
    await mkdir(SCREENSHOTS, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
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
    await page.screenshot({ path: path.join(SCREENSHOTS, 'sign-in.png') });

    await page.locator('input[autocomplete="current-password"]').fill(stack.adminPassword);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('press-gateway').waitFor({ timeout: 20_000 });
    await expect.poll(async () => page.getByTestId('user').textContent()).toBe('admin (admin)');
    const row = page.getByRole('row').filter({ hasText: 'press-gateway' });
    await expect.poll(async () => row.textContent(), { timeout: 20_000 }).toContain('In sync');
    await expect.poll(async () => page.getByTestId('count-IN_SYNC').textContent(), { timeout: 20_000 }).toBe('1');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'fleet.png') });
  });

  it('keeps the session across a reload and ends it on sign-out', async () => {
    await page.reload();
    await page.getByText('press-gateway').waitFor({ timeout: 20_000 });
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    expect(await page.getByText('press-gateway').count()).toBe(0);
  });
});
