// Route schemas of the administration API (Genesys Platform API shapes). Response schemas
// name every field an entity has: Fastify serialises from them, so a field missing here is a
// field the API does not return (the admin tests read every field).
import { anyObject, arrayOf, BEARER, bool, enumOf, idParams, int, object, str, type JsonSchema, type RouteSchema } from './common.ts';
import { EVENT_TYPES } from '../../trail/events.ts';
import { jobEntity, jobInput, jobLogEntry } from './provisioning.ts';
import { EVENT_PAGE } from '../../directory/events.ts';

export const adminError = object(
  { message: str('What went wrong, in words'), code: str('Genesys error code, e.g. bad.request'), status: int('HTTP status'), contextId: str('The request id (also in x-request-id)') },
  ['message', 'code', 'status'],
);

const errors = { '4xx': adminError, '5xx': adminError };

const pageQuery = object({
  pageSize: int('Entities per page', { minimum: 1, maximum: 500, default: 25 }),
  pageNumber: int('Page to return, from 1', { minimum: 1, maximum: 1_000_000, default: 1 }),
});

const page = <const E extends JsonSchema>(entity: E) =>
  object({ entities: arrayOf(entity), pageSize: int(), pageNumber: int(), total: int(), pageCount: int() }, ['entities', 'pageSize', 'pageNumber', 'total', 'pageCount']);

const ref = object({ id: str(), name: str() }, ['id']);

export const divisionEntity = object({ id: str(), name: str(), description: str(), homeDivision: bool(), selfUri: str() }, ['id', 'name', 'homeDivision', 'selfUri']);
const divisionInput = object({ name: str('Unique in the organization', { minLength: 1, maxLength: 255 }), description: str(undefined, { maxLength: 1024 }) }, ['name'], true);

export const groupEntity = object(
  { id: str(), name: str(), description: str(), type: enumOf(['official', 'social']), visibility: enumOf(['public', 'members']), version: int(), dateModified: str(undefined, { format: 'date-time' }), selfUri: str() },
  ['id', 'name', 'type', 'visibility', 'version', 'selfUri'],
);
const groupInput = object(
  { name: str(undefined, { minLength: 1, maxLength: 255 }), description: str(undefined, { maxLength: 1024 }), type: enumOf(['official', 'social']), visibility: enumOf(['public', 'members']) },
  ['name'],
  true,
);
const memberEntity = object({ id: str(), name: str(), selfUri: str() }, ['id', 'selfUri']);

export const roleEntity = object({ id: str(), name: str(), description: str(), permissions: arrayOf(str('domain:entity:action, * allowed per part')), selfUri: str() }, ['id', 'name', 'permissions', 'selfUri']);
const roleInput = object({ name: str(undefined, { minLength: 1, maxLength: 255 }), description: str(undefined, { maxLength: 1024 }), permissions: arrayOf(str()) }, ['name', 'permissions'], true);

const federationEntity = object(
  {
    issuer: str('The JWT issuer (iss), an https URL'), subject: str('The subject (sub) the JWT must name'),
    audience: str('The audience (aud) the JWT must name; this server\'s token endpoint unless set'), jwksUri: str('Where the issuer\'s keys are; from its OpenID configuration unless set'),
  },
  ['issuer', 'subject', 'audience'],
);
const roleDivision = object({ roleId: str(), divisionId: str('A division id, or * for every division') }, ['roleId', 'divisionId']);
export const clientEntity = object(
  {
    id: str(), name: str(), authorizedGrantType: enumOf(['CLIENT-CREDENTIALS']), roleDivisions: arrayOf(roleDivision), state: enumOf(['active', 'inactive']),
    accessTokenValiditySeconds: int('Seconds the client\'s tokens live (300 to 172800; the server\'s default unless set)'),
    federation: federationEntity,
    dateCreated: str(undefined, { format: 'date-time' }), selfUri: str(), secret: str('Only in the answer to create and to secret rotation'),
  },
  ['id', 'name', 'authorizedGrantType', 'roleDivisions', 'state', 'selfUri'],
);
const secretTokenEntity = object(
  {
    id: str(), clientId: str(), clientName: str(), dateCreated: str(undefined, { format: 'date-time' }), dateExpires: str(undefined, { format: 'date-time' }),
    expiresSoon: bool('Expires within 7 days'), token: str('Only in the answer that issues it: the value for Entra\'s Secret Token field'),
  },
  ['id', 'clientId', 'clientName', 'dateCreated', 'dateExpires', 'expiresSoon'],
);
const clientInput = object(
  {
    name: str(undefined, { minLength: 1, maxLength: 255 }), authorizedGrantType: enumOf(['CLIENT-CREDENTIALS']), state: enumOf(['active', 'inactive']), roleDivisions: arrayOf(roleDivision),
    accessTokenValiditySeconds: { description: 'Seconds the client\'s tokens live: 300 (5 minutes) to 172800 (48 hours); absent keeps the current setting' },
    federation: { description: 'Workload identity federation {issuer, subject, audience?, jwksUri?}; null removes it; absent keeps it' },
  },
  ['name'],
  true,
);

const namedEntity = object({ id: str(), name: str(), selfUri: str() }, ['id', 'name', 'selfUri']);

export const userEntity = object(
  {
    id: str(), name: str(), email: str(), state: enumOf(['active', 'inactive']), title: str(), department: str(), division: ref, manager: object({ id: str() }, ['id']),
    version: int(), selfUri: str(),
  },
  ['id', 'email', 'state', 'division', 'version', 'selfUri'],
);

export const auditEntity = object(
  {
    id: str(), time: str(undefined, { format: 'date-time' }), clientId: str(), requestId: str(), action: str(), resourceType: str(), resourceId: str(), divisionId: str(),
    changes: anyObject('Per attribute: {before, after}'), version: int('The resource\'s version after the change (users and groups)'),
  },
  ['id', 'time', 'action', 'resourceType', 'resourceId', 'changes'],
);

const changeEvent = object(
  {
    id: str('Stable: the same event always has the same id'), type: enumOf(EVENT_TYPES), sequence: int('The audit trail\'s sequence number of the change'),
    time: str(undefined, { format: 'date-time' }),
    resource: object({ type: enumOf(['User', 'Group']), id: str(), version: str('The ETag after the change'), divisionId: str() }, ['type', 'id']),
    actor: object({ clientId: str(), consoleUserId: str(), cli: bool() }),
    attributes: arrayOf(str()), memberIds: arrayOf(str()), memberCount: int(),
  },
  ['id', 'type', 'sequence', 'time', 'resource', 'actor'],
);
const auditQuery = object({
  pageSize: int(undefined, { minimum: 1, maximum: 500, default: 25 }),
  cursor: str('From the previous page'),
  resourceId: str(),
  clientId: str(),
  from: str('ISO 8601 date-time, inclusive'),
  to: str('ISO 8601 date-time, exclusive'),
  order: enumOf(['asc', 'desc'], 'asc (default): oldest first; desc: newest first. A cursor continues in the order it was issued for.'),
});

const webhookInput = object(
  {
    url: str('https (http only to loopback when the operator allows it); absent for a polled subscription', { maxLength: 2048 }),
    format: enumOf(['webhook', 'set'], '"webhook" (default): Standard Webhooks JSON signed with the secret; "set": RFC 9967 Security Event Tokens signed with the organization\'s key'),
    deliveryMethod: enumOf(['push', 'poll'], '"push" (default): POSTed to url; "poll": kept until the receiver polls (RFC 8936, SETs only)'),
    eventTypes: arrayOf(enumOf(EVENT_TYPES), 'Empty or absent: every type'),
    divisionIds: { type: ['array', 'null'], items: str(), description: 'Users of these divisions only; absent or null: every division the caller may see' },
    description: str(undefined, { maxLength: 1024 }), enabled: bool(),
  },
  [], true,
);
const webhookEntity = object(
  {
    id: str(), url: str(), format: enumOf(['webhook', 'set']), deliveryMethod: enumOf(['push', 'poll']),
    issuer: str('SETs: their iss'), jwksUri: str('SETs: the public keys that verify them'), pollUri: str('Polled SETs: where the receiver polls (POST)'),
    description: str(), eventTypes: arrayOf(str()), divisionIds: arrayOf(str()), enabled: bool(), dateCreated: str(undefined, { format: 'date-time' }),
    delivery: object({ failing: bool(), attempts: int(), nextAttempt: str(undefined, { format: 'date-time' }), disabledReason: str() }, ['failing', 'attempts']),
    selfUri: str(), secret: str('The signing secret (whsec_...): only in the answer that made it'),
  },
  ['id', 'format', 'deliveryMethod', 'eventTypes', 'enabled', 'dateCreated', 'delivery', 'selfUri'],
);
const deliveryEntity = object(
  { id: int(), eventId: str(), eventType: str(), attempt: int(), time: str(undefined, { format: 'date-time' }), status: int(), latencyMs: int(), error: str(), response: str() },
  ['id', 'eventId', 'eventType', 'attempt', 'time', 'latencyMs'],
);


const ok = <const S extends JsonSchema>(schema: S) => ({ 200: schema, ...errors });
const created = <const S extends JsonSchema>(schema: S) => ({ 201: schema, ...errors });
const deleted = { 204: { type: 'null', description: 'Deleted' }, ...errors } as const;

type RouteParts = Omit<RouteSchema, 'summary' | 'tags' | 'security'>;
/** A route of this API; `parts` keeps its literal type, which types the handler (common.ts). */
const route = <const P extends RouteParts>(tag: string, summary: string, parts: P) => ({ summary, tags: [tag], security: BEARER, ...parts }) satisfies RouteSchema;

/** What the admin routes read of a `crud` entry's schemas, whatever its entity. */
export interface CrudSchemas {
  readonly list: RouteSchema & { readonly querystring: typeof pageQuery };
  readonly create: RouteSchema;
  readonly get: RouteSchema & { readonly params: typeof idParams };
  readonly update: RouteSchema & { readonly params: typeof idParams };
  readonly delete: RouteSchema & { readonly params: typeof idParams };
}

/** The five routes of an entity kept in a list (divisions, groups, roles, clients). */
function crud<const E extends JsonSchema, const I extends JsonSchema>(tag: string, noun: string, entity: E, input: I) {
  return {
    list: route(tag, `List ${noun}s`, { querystring: pageQuery, response: ok(page(entity)) }),
    create: route(tag, `Create a ${noun}`, { body: input, response: created(entity) }),
    get: route(tag, `Get a ${noun}`, { params: idParams, response: ok(entity) }),
    update: route(tag, `Replace a ${noun}`, { params: idParams, body: input, response: ok(entity) }),
    delete: route(tag, `Delete a ${noun}`, { params: idParams, response: deleted }),
  };
}

const activityEntry = object(
  {
    id: str(), time: str(undefined, { format: 'date-time' }), outcome: enumOf(['accepted', 'refused']), kind: str('User, Group, Division, Role, OAuthClient, Bulk, Request, ...'),
    actorId: str('The client id (user:<id> for a console user)'), actor: str('Who, by name'), resourceId: str(), text: str('What happened, in words'),
    details: arrayOf(str()), status: int('The refusal\'s HTTP status'), scimType: str(),
    changes: arrayOf(object({ attribute: str(), before: str('The whole old value in words'), after: str('The whole new value in words') }, ['attribute'])), validateOnly: bool('A refused validate-only request (Prefer: validate-only): nothing would have changed either way'),
  },
  ['id', 'time', 'outcome', 'kind', 'actor', 'text', 'details'],
);

const requestEntry = object(
  {
    id: str(), time: str(undefined, { format: 'date-time' }), outcome: enumOf(['ok', 'refused', 'failed']), method: str(), path: str('Path and query, secrets redacted'),
    status: int(), durationMs: int(), clientId: str(), client: str('The client by name, or what the credential was ("unknown or revoked token")'),
    auth: str('How it authenticated, in words ("bearer token of Entra", "expired token of Entra", "no token")'), detail: str('Why it was refused or failed'),
  },
  ['id', 'time', 'outcome', 'method', 'path', 'status', 'durationMs', 'client', 'auth'],
);
const requestBucket = object({ hour: str(undefined, { format: 'date-time' }), ok: int(), refused: int(), failed: int() }, ['hour', 'ok', 'refused', 'failed']);

export const adminSchemas = {
  requests: route('Audit', 'Every API request (SCIM, token endpoint, administration), newest first, with how it authenticated', {
    querystring: object({
      pageSize: int(undefined, { minimum: 1, maximum: 200, default: 50 }), cursor: str(), status: str('2xx, 4xx, 5xx or a status code'), client: str('A client id'),
      path: str('Part of the path'), from: str('ISO 8601'), to: str('ISO 8601'),
    }),
    response: ok(object({ entries: arrayOf(requestEntry), cursor: str('The next (older) page; absent on the last') }, ['entries'])),
  }),
  requestSummary: route('Audit', 'Requests per hour by outcome over the last 24 hours, and the last accepted request', {
    response: ok(object({ hours: arrayOf(requestBucket), lastAccepted: object({ time: str(undefined, { format: 'date-time' }), client: str() }, ['time', 'client']) }, ['hours'])),
  }),
  activity: route('Audit', 'Accepted changes and refused requests, newest first, in words', {
    querystring: object({
      pageSize: int(undefined, { minimum: 1, maximum: 200, default: 50 }), cursor: str(), actor: str('A client id'), resource: str('A resource id'),
      kind: str('User, Group, Division, Role, OAuthClient, ...'), outcome: enumOf(['accepted', 'refused']), from: str('ISO 8601'), to: str('ISO 8601'),
    }),
    response: ok(object({ entries: arrayOf(activityEntry), cursor: str('The next (older) page; absent on the last') }, ['entries'])),
  }),
  events: route('Events', 'Change events of users and groups, in commit order, after a position', {
    querystring: object({ after: str('The `next` of the previous page; absent: from the oldest kept'), limit: int(undefined, { minimum: 1, maximum: EVENT_PAGE.max, default: EVENT_PAGE.default }) }),
    response: ok(object({ entities: arrayOf(changeEvent), next: str('Where to go on from: pass as `after`') }, ['entities', 'next'])),
  }),
  webhooks: {
    list: route('Webhooks', 'List webhook subscriptions', { response: ok(object({ entities: arrayOf(webhookEntity), total: int() }, ['entities', 'total'])) }),
    create: route('Webhooks', 'Subscribe a URL to change events (the secret is in this answer only)', { body: webhookInput, response: created(webhookEntity) }),
    get: route('Webhooks', 'Get a subscription', { params: idParams, response: ok(webhookEntity) }),
    update: route('Webhooks', 'Change a subscription (the attributes given)', { params: idParams, body: webhookInput, response: ok(webhookEntity) }),
    delete: route('Webhooks', 'Delete a subscription and its delivery log', { params: idParams, response: deleted }),
    rotate: route('Webhooks', 'Issue a new signing secret (in this answer only)', { params: idParams, response: ok(webhookEntity) }),
    replay: route('Webhooks', 'Send again from a position of the event feed (after), or from the oldest event kept', { params: idParams, body: object({ after: str('A `next` of GET /api/v2/events') }, [], false), response: ok(webhookEntity) }),
    retry: route('Webhooks', 'Try the failing event again now', { params: idParams, response: ok(webhookEntity) }),
    test: route('Webhooks', 'Send a webhook.test event now (outside the order) and say what the receiver answered', {
      params: idParams, response: ok(object({ status: int('The receiver\'s status; absent when it could not be reached'), error: str(), latencyMs: int() }, ['latencyMs'])),
    }),
    poll: route('Webhooks', 'RFC 8936 poll: acknowledge SETs (ack, setErrs) and receive the next ones', {
      params: idParams,
      body: object({
        ack: arrayOf(str(undefined, { maxLength: 256 }), 'jti values the receiver processed'),
        setErrs: { type: 'object', additionalProperties: object({ err: str(undefined, { maxLength: 256 }), description: str(undefined, { maxLength: 4096 }) }, ['err']), description: 'jti → why the receiver refused it (not sent again)' },
        maxEvents: int('SETs to return (0: only acknowledge)', { minimum: 0, maximum: 1000 }),
        returnImmediately: bool('false (default): wait up to 20 s for an event'),
      }, [], true),
      response: ok(object({ sets: { type: 'object', additionalProperties: str(), description: 'jti → SET' }, moreAvailable: bool() }, ['sets', 'moreAvailable'])),
    }),
    deliveries: route('Webhooks', 'The delivery log, newest first', {
      params: idParams, querystring: object({ limit: int(undefined, { minimum: 1, maximum: 200, default: 50 }), before: int('A delivery id: older ones') }),
      response: ok(object({ entities: arrayOf(deliveryEntity), before: int('Pass as before for older ones; absent at the end') }, ['entities'])),
    }),
  },
  jobs: {
    list: route('Provisioning', 'List provisioning jobs', { response: ok(object({ entities: arrayOf(jobEntity), total: int() }, ['entities', 'total'])) }),
    create: route('Provisioning', 'Make a job (stopped, in validate-only pilot) that pushes this directory to a SCIM service', { body: jobInput, response: created(jobEntity) }),
    get: route('Provisioning', 'Get a job', { params: idParams, response: ok(jobEntity) }),
    update: route('Provisioning', 'Change a job (the attributes given)', { params: idParams, body: jobInput, response: ok(jobEntity) }),
    delete: route('Provisioning', 'Delete a job with its state and log', { params: idParams, response: deleted }),
    action: (what: string) => route('Provisioning', what, { params: idParams, response: ok(jobEntity) }),
    status: route('Provisioning', 'A job\'s status: running or not, pilot, last cycle, quarantine', { params: idParams, response: ok(jobEntity) }),
    onDemand: route('Provisioning', 'Provision one user now (id or userName): every request and answer', {
      params: idParams, body: object({ user: str('A user id or userName', { maxLength: 1024 }) }, ['user']), response: ok(anyObject()),
    }),
    preview: route('Provisioning', 'Evaluate a mapping expression for one user of the job\'s source: the value, or the error with its position', {
      params: idParams, body: object({ expression: str(undefined, { maxLength: 10000 }), user: str('A user id or userName', { maxLength: 1024 }) }, ['expression', 'user']),
      response: ok(object({ user: anyObject(), value: {}, skipped: bool(), error: object({ message: str(), position: int('1-based') }, ['message']), source: anyObject('The user as the engine reads it (Graph attribute names)') }, ['user', 'source'])),
    }),
    test: route('Provisioning', 'Test the connection to the target (a user search)', { params: idParams, response: ok(object({ ok: bool(), status: int(), detail: str() }, ['ok', 'detail'])) }),
    logs: route('Provisioning', 'The provisioning log, newest first', {
      params: idParams, querystring: object({ limit: int(undefined, { minimum: 1, maximum: 500 }), before: int(), user: str(undefined, { maxLength: 1024 }), action: str(undefined, { maxLength: 32 }) }),
      response: ok(object({ entities: arrayOf(jobLogEntry), before: int() }, ['entities'])),
    }),
  },
  jwks: {
    summary: 'The public keys that verify an organization\'s Security Event Tokens (no authentication)', tags: ['Events'],
    params: object({ orgId: str('The organization id (the end of the SETs\' iss)', { maxLength: 256 }) }, ['orgId']),
    response: { 200: object({ keys: arrayOf(anyObject()) }, ['keys']), ...errors },
  } satisfies RouteSchema,
  me: route('Organization', 'The caller\'s organization', { response: ok(object({ id: str(), name: str(), scimProfile: enumOf(['genesys', 'standard']) }, ['id', 'name', 'scimProfile'])) }),
  divisions: crud('Divisions', 'division', divisionEntity, divisionInput),
  groups: {
    ...crud('Groups', 'group', groupEntity, groupInput),
    members: route('Groups', 'List a group\'s members', { params: idParams, querystring: pageQuery, response: ok(page(memberEntity)) }),
    addMembers: route('Groups', 'Add members (users the caller may see)', {
      params: idParams, body: object({ memberIds: arrayOf(str(), 'User ids') }, ['memberIds'], true), response: { 204: { type: 'null', description: 'Added' }, ...errors },
    }),
    removeMembers: route('Groups', 'Remove members', {
      params: idParams, querystring: object({ ids: str('Comma-separated user ids') }, ['ids']), response: { 204: { type: 'null', description: 'Removed' }, ...errors },
    }),
  },
  roles: crud('Roles', 'role', roleEntity, roleInput),
  clients: {
    ...crud('OAuth clients', 'OAuth client', clientEntity, clientInput),
    rotate: route('OAuth clients', 'Issue a new secret (the old one stops working)', { params: idParams, response: ok(clientEntity) }),
    secretTokens: route('OAuth clients', 'List the client\'s secret tokens (never their values), soonest to expire first', { params: idParams, response: ok(page(secretTokenEntity)) }),
    issueSecretToken: route('OAuth clients', 'Issue a secret token: a bearer token that lives expiresInDays (1 to 365, default 180), shown once', {
      // No `type`: the body is optional (a POST without one takes the default lifetime); the service checks it.
      params: idParams, body: { description: 'Optional: {"expiresInDays": 1 to 365}, 180 days when absent' }, response: created(secretTokenEntity),
    }),
    revokeSecretToken: route('OAuth clients', 'Revoke a secret token', { params: object({ id: str('The client id', { maxLength: 256 }), tokenId: str('The secret token id', { maxLength: 256 }) }, ['id', 'tokenId']), response: deleted }),
  },
  routing: (noun: string) => ({
    list: route('Routing', `List ${noun}s`, { querystring: pageQuery, response: ok(page(namedEntity)) }),
    create: route('Routing', `Create a ${noun}`, { body: object({ name: str(undefined, { minLength: 1, maxLength: 255 }) }, ['name'], true), response: created(namedEntity) }),
    delete: route('Routing', `Delete a ${noun}`, { params: idParams, response: deleted }),
  }),
  users: {
    list: route('Users', 'List users (inactive ones too), searched or filtered', {
      querystring: object({
        ...pageQuery.properties,
        q: str('Text to look for in userName and displayName'),
        filter: str('A SCIM filter (RFC 7644 3.4.2.2), instead of q'),
        sortBy: str('A SCIM attribute path'),
        sortOrder: enumOf(['ascending', 'descending']),
      }),
      response: ok(page(userEntity)),
    }),
    get: route('Users', 'Get a user', { params: idParams, response: ok(userEntity) }),
    setState: route('Users', 'Disable or enable a user', { params: idParams, body: object({ state: enumOf(['active', 'inactive']) }, ['state'], true), response: ok(userEntity) }),
    delete: route('Users', 'Delete a user', { params: idParams, response: deleted }),
    grants: route('Users', 'The roles a user holds for the console, per division', { params: idParams, response: ok(object({ grants: arrayOf(roleDivision) }, ['grants'])) }),
    setGrants: route('Users', 'Replace the console roles of a user (only roles the caller holds on those divisions; needs authorization:grant:add)', {
      params: idParams, body: object({ grants: arrayOf(roleDivision) }, ['grants'], true), response: ok(object({ grants: arrayOf(roleDivision) }, ['grants'])),
    }),
  },
  audits: route('Audit', 'Audit records, oldest first unless order=desc', {
    querystring: auditQuery,
    response: ok(object({ entities: arrayOf(auditEntity), pageSize: int(), cursor: str('Pass as cursor for the next page; absent on the last') }, ['entities', 'pageSize'])),
  }),
};
