// A webhook sender over a harness's services, ticked by the test (not started), that may send
// to loopback receivers.
import { WebhookSender, type SenderOptions } from '../../src/directory/webhooks/sender.ts';
import { webhookSecrets } from '../../src/directory/webhooks/admin.ts';
import type { Harness } from './harness.ts';

export function testSender(h: Harness, options: Omit<SenderOptions, 'policy'> = {}): WebhookSender {
  return new WebhookSender(h.store, h.services.admin.events, webhookSecrets(h.store), h.services.setSigner, { policy: { allowHttpLoopback: true, allowPrivate: false }, ...options });
}
