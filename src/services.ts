// The composition root shared by main.ts, the CLI and the tests: one set of services per store.
import { TokenService } from './auth/token-service.ts';
import type { LoginThrottleOptions } from './auth/login-throttle.ts';
import type { ThrottleLedgers } from './auth/throttle-ledger.ts';
import { GroupService } from './directory/groups.ts';
import { UserService } from './directory/users.ts';
import { CursorCodec } from './directory/cursor.ts';
import { BulkService } from './directory/bulk.ts';
import { rollbackStore } from './directory/validate-only.ts';
import { ClientAdmin } from './directory/admin/clients.ts';
import { DivisionAdmin } from './directory/admin/divisions.ts';
import { GroupAdmin } from './directory/admin/groups.ts';
import { RoleAdmin } from './directory/admin/roles.ts';
import { RoutingAdmin } from './directory/admin/routing.ts';
import { AuditReader, UserReader } from './directory/admin/users-audits.ts';
import { UserActions } from './directory/admin/user-actions.ts';
import { ActivityFeed } from './directory/activity.ts';
import { EventFeed } from './directory/events.ts';
import { ChangeSignal } from './directory/change-signal.ts';
import { WebhookAdmin, webhookSecrets } from './directory/webhooks/admin.ts';
import { WebhookSender } from './directory/webhooks/sender.ts';
import { SetSigner } from './directory/webhooks/set-signer.ts';
import { JobAdmin } from './directory/provisioning/admin.ts';
import { JobRunner } from './directory/provisioning/runner.ts';
import { SecretBox } from './directory/provisioning/secret-box.ts';
import { RequestLog } from './directory/request-log.ts';
import { createRegistry, type Registry } from './scim/index.ts';
import type { ScimProfile, Store } from './store/contract.ts';

export interface Services {
  readonly store: Store;
  /** Where login throttles keep failures: shared by every node (Redis), or undefined for each node's memory. */
  readonly throttles?: ThrottleLedgers;
  readonly tokens: TokenService;
  readonly users: UserService;
  readonly groups: GroupService;
  readonly bulk: BulkService;
  /** The same user and group services over a store whose transactions roll back (validate-only writes). */
  readonly validating: { readonly users: UserService; readonly groups: GroupService };
  readonly registries: Readonly<Record<ScimProfile, Registry>>;
  readonly admin: {
    readonly divisions: DivisionAdmin;
    readonly groups: GroupAdmin;
    readonly roles: RoleAdmin;
    readonly clients: ClientAdmin;
    readonly routing: RoutingAdmin;
    readonly users: UserReader;
    readonly userActions: UserActions;
    readonly audits: AuditReader;
    readonly activity: ActivityFeed;
    readonly requests: RequestLog;
    readonly events: EventFeed;
    readonly webhooks: WebhookAdmin;
    readonly jobs: JobAdmin;
  };
  /** "Something changed in this organization": what live views wait on (serve.ts listens for other nodes'). */
  readonly changes: ChangeSignal;
  /** Sends change events to webhook subscriptions; serve.ts starts it on every node. */
  readonly webhookSender: WebhookSender;
  /** Signs Security Event Tokens with each organization's key and publishes its public half. */
  readonly setSigner: SetSigner;
  /** Runs provisioning jobs; serve.ts starts it on every node. */
  readonly jobRunner: JobRunner;
}

export interface ServiceOptions {
  readonly tokenTtlSeconds: number;
  readonly tokenCacheTtlMs: number;
  /** Failed client authentications: backoff per client id and address (defaults in auth/login-throttle.ts). */
  readonly loginThrottle?: LoginThrottleOptions;
  /** Throttle ledgers every node shares (REDIS_URL); without, each node throttles on its own. */
  readonly throttles?: ThrottleLedgers;
  /** The clock (tests). */
  readonly now?: () => number;
  /** Where webhooks may go (SCIMITAR_WEBHOOK_ALLOW_*); default: public https only. */
  readonly webhookAllowHttpLoopback?: boolean;
  readonly webhookAllowPrivate?: boolean;
  /** The server's public URL: the issuer of Security Event Tokens (default http://localhost:8080). */
  readonly publicUrl?: string;
  /** SCIMITAR_SECRET_KEY: seals provisioning jobs' target credentials (without it, jobs cannot be saved or run). */
  readonly secretKey?: string;
  /** SCIMITAR_EVENT_RETENTION_DAYS: how far back change events are served (default 30). */
  readonly eventRetentionDays?: number;
  /** SCIMITAR_PROVISIONING_FILES_DIR: where jobs may read source files (none when unset). */
  readonly provisioningFilesDir?: string;
}

export function createServices(store: Store, options: ServiceOptions): Services {
  const tokens = new TokenService(store, {
    tokenTtlSeconds: options.tokenTtlSeconds, cacheTtlMs: options.tokenCacheTtlMs, cacheMaxEntries: 10000, loginThrottle: options.loginThrottle, throttles: options.throttles, now: options.now,
  });
  const cursors = new CursorCodec(store, options.now);
  const users = new UserService(store, cursors);
  const groups = new GroupService(store, cursors);
  const registries = Object.freeze({ genesys: createRegistry('genesys'), standard: createRegistry('standard') });
  const userReader = new UserReader(store, users, registries);
  const audits = new AuditReader(store);
  const events = new EventFeed(store, { retentionDays: options.eventRetentionDays, now: options.now });
  const webhookPolicy = { allowHttpLoopback: options.webhookAllowHttpLoopback ?? false, allowPrivate: options.webhookAllowPrivate ?? false };
  const setSigner = new SetSigner(store, options.publicUrl ?? 'http://localhost:8080');
  const changes = new ChangeSignal(store);
  const box = options.secretKey ? new SecretBox(options.secretKey) : undefined;
  return Object.freeze({
    changes,
    webhookSender: new WebhookSender(store, events, webhookSecrets(store), setSigner, { policy: webhookPolicy, now: options.now, changes }),
    setSigner,
    jobRunner: new JobRunner(store, events, box, changes, { now: options.now, policy: webhookPolicy, ...(options.provisioningFilesDir ? { filesDir: options.provisioningFilesDir } : {}) }),
    store,
    ...(options.throttles ? { throttles: options.throttles } : {}),
    tokens,
    users,
    groups,
    bulk: new BulkService(users, groups),
    validating: Object.freeze({ users: new UserService(rollbackStore(store), cursors), groups: new GroupService(rollbackStore(store), cursors) }),
    registries,
    admin: Object.freeze({
      divisions: new DivisionAdmin(store),
      groups: new GroupAdmin(store, groups, registries),
      roles: new RoleAdmin(store, tokens),
      clients: new ClientAdmin(store, tokens),
      routing: new RoutingAdmin(store),
      users: userReader,
      userActions: new UserActions(users, userReader, registries),
      audits,
      activity: new ActivityFeed(store, audits),
      requests: new RequestLog(store),
      events,
      webhooks: new WebhookAdmin(store, events, webhookPolicy, setSigner, changes),
      jobs: new JobAdmin(store, events, webhookPolicy, box, userReader, options.provisioningFilesDir),
    }),
  });
}
