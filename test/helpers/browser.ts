// The console's browser tests share Debian's Chromium (through playwright-core; .ci/run
// installs it) and the first administrator's sign-up through the one-time setup link.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Chromium, headless, with nothing of its own on the network. */
export function launchChromium(): Promise<Browser> {
  assert.ok(existsSync(CHROMIUM), `Chromium is needed at ${CHROMIUM} (apt-get install -y chromium; .ci/run does it)`);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** Creates the organization's first administrator through the setup link `setupUrl`, and waits until the console shows. */
export async function signUpFirstAdmin(p: Page, setupUrl: string, consoleUrl: string, admin: { readonly email: string; readonly name: string; readonly password: string }): Promise<void> {
  await p.goto(setupUrl);
  await p.getByLabel('Email (your sign-in name)').fill(admin.email);
  await p.getByLabel('Name', { exact: true }).fill(admin.name);
  await p.getByLabel('Password (at least 12 characters)').fill(admin.password);
  await p.getByRole('button', { name: 'Create administrator' }).click();
  await p.waitForURL(`${consoleUrl}/console**`);
}
