// The provisioning job's shapes in the administration API: what a job is made with, what it
// shows (never a secret: a Graph source's and the target's credentials are sealed), and a
// provisioning log entry.
import { anyObject, arrayOf, bool, enumOf, int, object, str } from './common.ts';

export const jobInput = object(
  {
    name: str(undefined, { maxLength: 200 }),
    source: object({
      type: enumOf(['directory', 'graph', 'file'], 'directory: this organization\'s users and groups, pushed as they change; graph: Microsoft Graph, or file: JSON/CSV files in SCIMITAR_PROVISIONING_FILES_DIR, read every intervalMinutes'),
      users: str('file: the users file, relative to SCIMITAR_PROVISIONING_FILES_DIR', { maxLength: 1024 }), groups: str('file: the groups file (optional)', { maxLength: 1024 }),
      tenantId: str('Graph: the Entra tenant', { maxLength: 256 }), clientId: str('Graph: the app registration (User.Read.All, GroupMember.Read.All)', { maxLength: 256 }),
      clientSecret: str('Graph: its client secret (sealed; never shown again)', { maxLength: 4096 }), authority: str('Graph: a national cloud\'s login host', { maxLength: 2048 }),
      baseUrl: str('Graph: a national cloud\'s Graph host', { maxLength: 2048 }), includeGroups: bool('Graph: groups and their members too (default true)'),
      intervalMinutes: int('Graph and file: minutes between cycles (5 to 1440, default 40)', { minimum: 5, maximum: 1440 }),
    }, ['type']),
    target: object({
      url: str('The target\'s SCIM base URL', { maxLength: 2048 }), token: str('A bearer token (or client credentials below)', { maxLength: 8192 }),
      tokenUrl: str(undefined, { maxLength: 2048 }), clientId: str(undefined, { maxLength: 1024 }), clientSecret: str(undefined, { maxLength: 8192 }),
    }),
    mappings: { type: ['object', 'null'], additionalProperties: true, description: '{"users": [...], "groups": [...]} as in a mapping file; absent: the Genesys app\'s defaults' },
    scopingFilters: { type: ['array', 'null'], items: anyObject(), description: '[{"clauses": [{"attribute", "operator", "value"}]}]' },
    deprovision: enumOf(['disable', 'delete', 'none']), deletionThreshold: int(undefined, { minimum: 0 }), profile: enumOf(['entra', 'rfc']), clearEmpty: bool(),
    divisionIds: { type: ['array', 'null'], items: str() }, fullEveryHours: { type: 'number', minimum: 1, maximum: 720 }, pilot: bool('Validate-only: nothing is written on the target'),
  },
  [], true,
);
export const jobEntity = object(
  {
    id: str(), name: str(), source: anyObject(), target: anyObject('url, tokenUrl, clientId and how it authenticates: never a secret'), mappings: anyObject(), scopingFilters: arrayOf(anyObject()),
    deprovision: str(), deletionThreshold: int(), profile: str(), clearEmpty: bool(), divisionIds: arrayOf(str()), fullEveryHours: { type: 'number' },
    status: enumOf(['stopped', 'running']), pilot: bool(), health: anyObject('quarantined, reason, since'), lastCycle: anyObject(), currentCycle: anyObject('The cycle running now: kind, startedAt, step, done of total'), nextFullReconciliation: str(undefined, { format: 'date-time' }),
    dateCreated: str(undefined, { format: 'date-time' }), selfUri: str(),
  },
  ['id', 'name', 'source', 'target', 'status', 'pilot', 'health', 'dateCreated', 'selfUri'],
);
export const jobLogEntry = object(
  {
    seq: int(), time: str(undefined, { format: 'date-time' }), cycle: str(), objectKind: str(), sourceId: str(), name: str(), action: str(), reason: str(), targetId: str(),
    changes: arrayOf(anyObject()), errors: arrayOf(str()), steps: arrayOf(anyObject('A request of provisioning on demand and the target\'s answer'), 'Provisioning on demand only'),
  },
  ['seq', 'time', 'cycle', 'objectKind', 'sourceId', 'name', 'action'],
);
