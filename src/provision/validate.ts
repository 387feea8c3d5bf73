// `scimitar validate`: Microsoft's Entra gallery validation (the 25 tests of the SCIM
// validation Logic App, AzureAD/SCIMReferenceCode SCIM-Validation-Test-Overview.md), replayed
// offline against any SCIM server. The lifecycle tests drive this package's provisioning
// engine, which sends what Entra's provisioning service sends (capitalised ops, "False"
// strings, value-list member removes); the direct tests send Microsoft's own requests.
// Scored as Microsoft scores: a mandatory failure fails the run, an optional one warns, and
// at least one of Validate_Credentials and Federated_Identity must pass. Everything the run
// creates has a random name and is deleted at the end, whatever happened. One module on
// purpose (over 350 lines): the 25 tests share the run's client, its names and its clean-up.
import { randomUUID } from 'node:crypto';
import { ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA, PATCH_OP_SCHEMA, USER_SCHEMA } from '../scim/index.ts';
import { compileMappings, type Mapping, type MappingSet } from './mappings.ts';
import { ScimClient, type ScimResponse } from './scim-client.ts';
import type { Directory, SourceGroup, SourceUser } from './source.ts';
import { emptyState, runSync, type SyncOptions, type SyncReport, type SyncState } from './sync.ts';

export type Outcome = 'PASSED' | 'FAILED' | 'SKIPPED' | 'WARNING';

export interface TestResult {
  readonly name: string;
  readonly category: 'mandatory' | 'optional';
  readonly outcome: Outcome;
  readonly reason: string;
  /** The request and answer that decided a failure (--verbose). */
  readonly evidence?: string;
}

export interface ValidationReport {
  readonly results: readonly TestResult[];
  /** Microsoft's overall result: no mandatory failure, and one authentication test passed. */
  readonly passed: boolean;
  readonly verdict: string;
  /** Objects the run could not delete at the end (none on a healthy server). */
  readonly leftBehind: readonly string[];
}

export interface ValidateOptions {
  readonly baseUrl: string;
  readonly token?: string;
  readonly tokenUrl?: string;
  readonly clientId?: string;
  readonly clientSecret?: string;
  /** A JWT the server accepts as client_assertion (RFC 7523): runs Federated_Identity. */
  readonly clientAssertion?: string;
  /** The app's attribute mappings (default: Entra's default SCIM mappings). */
  readonly mappings?: MappingSet;
  /** Source attribute values to use instead of the generated ones (e.g. a Genesys-valid telephoneNumber). */
  readonly values?: Readonly<Record<string, string>>;
  /** The server never creates groups over SCIM (Genesys): group lifecycle tests are skipped. */
  readonly usersOnly?: boolean;
  /** An existing group for the member tests when groups are not created over SCIM. */
  readonly groupId?: string;
  readonly onProgress?: (r: TestResult) => void;
  /** Stops before the next test (Ctrl-C); what was made is still deleted. */
  readonly signal?: AbortSignal;
}

const ENT = ENTERPRISE_USER_SCHEMA;
const PATCH_OP = PATCH_OP_SCHEMA;

/** Entra's default attribute mappings for a custom (non-gallery) SCIM app. */
export const ENTRA_DEFAULT_USER_MAPPINGS: readonly Mapping[] = [
  { target: 'userName', source: { type: 'direct', attribute: 'userPrincipalName' }, apply: 'always', match: 1 },
  { target: 'active', source: { type: 'expression', expression: 'Switch([IsSoftDeleted], , "False", "True", "True", "False")' }, apply: 'always' },
  { target: 'displayName', source: { type: 'direct', attribute: 'displayName' }, apply: 'always' },
  { target: 'title', source: { type: 'direct', attribute: 'jobTitle' }, apply: 'always' },
  { target: 'emails[type eq "work"].value', source: { type: 'direct', attribute: 'mail' }, apply: 'always' },
  { target: 'preferredLanguage', source: { type: 'direct', attribute: 'preferredLanguage' }, apply: 'always' },
  { target: 'name.givenName', source: { type: 'direct', attribute: 'givenName' }, apply: 'always' },
  { target: 'name.familyName', source: { type: 'direct', attribute: 'surname' }, apply: 'always' },
  { target: 'phoneNumbers[type eq "work"].value', source: { type: 'direct', attribute: 'telephoneNumber' }, apply: 'always' },
  { target: 'phoneNumbers[type eq "mobile"].value', source: { type: 'direct', attribute: 'mobile' }, apply: 'always' },
  { target: 'externalId', source: { type: 'direct', attribute: 'mailNickname' }, apply: 'always' },
  { target: `${ENT}:employeeNumber`, source: { type: 'direct', attribute: 'employeeId' }, apply: 'always' },
  { target: `${ENT}:department`, source: { type: 'direct', attribute: 'department' }, apply: 'always' },
  { target: `${ENT}:manager`, source: { type: 'direct', attribute: 'manager' }, apply: 'always' },
];
export const ENTRA_DEFAULT_GROUP_MAPPINGS: readonly Mapping[] = [
  { target: 'displayName', source: { type: 'direct', attribute: 'displayName' }, apply: 'always', match: 1 },
  { target: 'externalId', source: { type: 'direct', attribute: 'objectId' }, apply: 'always' },
];
export const entraDefaultMappings = (): MappingSet => compileMappings({ users: ENTRA_DEFAULT_USER_MAPPINGS, groups: ENTRA_DEFAULT_GROUP_MAPPINGS });

/** The 25 tests in Microsoft's order, with their category. */
export const TEST_PLAN: readonly (readonly [string, 'mandatory' | 'optional'])[] = [
  ['Create_User_Test', 'mandatory'], ['Update_User_Test', 'mandatory'], ['Disable_User_Test', 'mandatory'], ['Delete_User_Test', 'optional'],
  ['User_Update_Manager_Test', 'mandatory'], ['Restore_User_Test', 'mandatory'], ['POD_User_Test', 'mandatory'],
  ['Create_Group_Test', 'mandatory'], ['Update_Group_Test', 'mandatory'], ['Delete_Group_Test', 'optional'], ['Group_Update_Add_Member_Test', 'mandatory'],
  ['Group_Update_Remove_Member_Test', 'mandatory'], ['POD_Group_Test', 'mandatory'], ['Restore_Group_Test', 'optional'],
  ['Schema_Discoverability_Test', 'mandatory'], ['SCIM_Null_Update_Test', 'mandatory'], ['SCIM_User_Create_Test', 'mandatory'], ['SCIM_User_Update_Test', 'mandatory'],
  ['SCIM_Group_Create_Test', 'mandatory'], ['SCIM_Group_Update_Test', 'mandatory'], ['Validate_Credentials_Test', 'mandatory'], ['Federated_Identity_Test', 'mandatory'],
  ['SCIM_User_Pagination_Test', 'mandatory'], ['SCIM_Group_Pagination_Test', 'optional'], ['SCIM_Update_Manager_Test', 'mandatory'],
];

/** A test's verdict: thrown by `fail`, returned by `skip` and `pass`. */
class Verdict extends Error {
  constructor(
    readonly outcome: 'PASSED' | 'FAILED' | 'SKIPPED',
    readonly reason: string,
    readonly evidence?: string,
  ) {
    super(reason);
  }
}
const fail = (reason: string, r?: { method: string; path: string; res: ScimResponse }): never => {
  throw new Verdict('FAILED', reason, r ? `${r.method} ${r.path} -> ${r.res.status}\n${JSON.stringify(r.res.body)?.slice(0, 2000) ?? ''}` : undefined);
};
const skip = (reason: string) => new Verdict('SKIPPED', reason);
const pass = (reason: string) => new Verdict('PASSED', reason);

const quote = (v: string) => `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
const resources = (r: ScimResponse): Record<string, unknown>[] => (Array.isArray(r.body?.Resources) ? r.body.Resources : []);

/** The attribute paths a /Schemas answer makes discoverable, lower-cased: `emails.value`, `urn:...:user:department`. */
export function discoverablePaths(schemasBody: unknown): Set<string> {
  const out = new Set<string>();
  const list = (schemasBody as { Resources?: unknown })?.Resources;
  if (!Array.isArray(list)) return out;
  for (const s of list as { id?: string; attributes?: unknown }[]) {
    const core = typeof s.id === 'string' && /:core:2\.0:/i.test(s.id);
    const walk = (attrs: unknown, prefix: string) => {
      if (!Array.isArray(attrs)) return;
      for (const a of attrs as { name?: string; subAttributes?: unknown }[]) {
        if (typeof a.name !== 'string') continue;
        const path = `${prefix}${a.name}`.toLowerCase();
        out.add(path);
        if (!core && typeof s.id === 'string') out.add(`${s.id}:${prefix}${a.name}`.toLowerCase());
        walk(a.subAttributes, `${prefix}${a.name}.`);
      }
    };
    walk(s.attributes, '');
  }
  return out;
}

/** A mapping target as Microsoft's check compares it: value filters dropped (`emails[type eq "work"].value` is `emails.value`). */
export function normalisedTarget(target: string): string {
  return target.replace(/\[[^\]]*\]/g, '').toLowerCase();
}

export async function validate(o: ValidateOptions): Promise<ValidationReport> {
  const run = randomUUID().slice(0, 8);
  const client = new ScimClient({ baseUrl: o.baseUrl, token: o.token, tokenUrl: o.tokenUrl, clientId: o.clientId, clientSecret: o.clientSecret, dryRun: false, maxRetries: 2, backoffMs: 200 });
  const mappings = o.mappings ?? entraDefaultMappings();
  const userTargets = new Set(mappings.users.map((m) => m.target.toLowerCase()));
  const hasManager = mappings.users.some((m) => m.reference);
  const createdUsers = new Set<string>();
  const createdGroups = new Set<string>();
  const results: TestResult[] = [];
  let leftBehind: string[] = [];
  let n = 0;

  const request = async (method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', path: string, body?: unknown) => {
    const res = await client.request(method, path, body);
    if (method === 'POST' && (res.status === 200 || res.status === 201) && typeof res.body?.id === 'string') (path.startsWith('/Groups') ? createdGroups : createdUsers).add(res.body.id);
    return { method, path, res };
  };
  const expectStatus = (r: { method: string; path: string; res: ScimResponse }, ok: readonly number[], what: string) => {
    if (!ok.includes(r.res.status)) fail(`${what}: ${r.method} ${r.path} answered ${r.res.status}, expected ${ok.join(' or ')}`, r);
    return r.res;
  };

  // ---- Source objects, as Entra reads them from the directory ----
  const sourceUser = (label: string, extra: Record<string, unknown> = {}, managerId?: string): SourceUser => {
    const i = ++n;
    const upn = `scimitar-validate-${run}-${label}-${i}@example.com`;
    const attributes = {
      userPrincipalName: upn, mail: upn, mailNickname: `sv${run}${i}`, displayName: `Validate ${run} ${label} ${i}`, givenName: 'Validate', surname: `${label}${i}`,
      jobTitle: 'Engineer', department: 'Research', preferredLanguage: 'en-US', telephoneNumber: '+13175550100', mobile: '+13175550101', employeeId: `E${i}`,
      ...o.values, ...extra, IsSoftDeleted: extra.IsSoftDeleted ?? false,
    };
    const u = { id: `source-${run}-${i}`, attributes, softDeleted: attributes.IsSoftDeleted === true, ...(managerId ? { managerId } : {}) };
    sourceUsers.set(u.id, u);
    return u;
  };
  /** Every source user made, by id: a later cycle sends the same user again. */
  const sourceUsers = new Map<string, SourceUser>();
  const sourceGroup = (displayName: string, memberIds: string[] = []): SourceGroup => ({ id: `group-${run}-${++n}`, displayName, attributes: { displayName, objectId: `og-${run}-${n}` }, memberIds });
  const dir = (users: SourceUser[], groups: SourceGroup[] = []): Directory => ({ users, groups, problems: [] });
  const sync = async (directory: Directory, state: SyncState, extra: Partial<SyncOptions> = {}): Promise<SyncReport> => {
    const report = await runSync({ client, mappings, directory, scope: { mode: 'all' }, profile: 'entra', dryRun: false, clearEmpty: false, deprovision: 'disable', concurrency: 2, state, ...extra });
    for (const u of Object.values(state.users)) createdUsers.add(u.targetId);
    for (const g of Object.values(state.groups)) if (!o.groupId || g.targetId !== o.groupId) createdGroups.add(g.targetId);
    const failed = report.objects.find((x) => x.action === 'fail' || x.errors.length > 0);
    if (failed) fail(`the provisioning engine's ${failed.kind} ${failed.name}: ${[failed.reason, ...failed.errors].filter(Boolean).join('; ')}`);
    return report;
  };
  const byUserName = async (userName: string) => request('GET', `/Users?filter=${encodeURIComponent(`userName eq ${quote(userName)}`)}`);
  const found = async (userName: string) => {
    const r = await byUserName(userName);
    const res = expectStatus(r, [200], 'the lookup Entra makes');
    return { r, user: resources(res)[0] as Record<string, unknown> | undefined };
  };
  const getUser = async (id: string) => {
    const r = await request('GET', `/Users/${encodeURIComponent(id)}`);
    return { r, user: r.res.status === 200 ? (r.res.body as Record<string, unknown>) : undefined };
  };
  const managerOf = (u: Record<string, unknown> | undefined) => ((u?.[ENT] as Record<string, unknown> | undefined)?.manager as Record<string, unknown> | undefined)?.value;
  const schemas = async () => request('GET', '/Schemas');
  let groupSupport: boolean | undefined;
  const groupsSupported = async () => {
    if (groupSupport === undefined) {
      const r = await schemas();
      groupSupport = r.res.status === 200 && resources(r.res).some((s) => s.id === GROUP_SCHEMA);
    }
    return groupSupport;
  };
  const requireGroups = async (memberTest = false) => {
    if (memberTest && o.groupId) return;
    if (o.usersOnly) throw skip('--users-only: this server does not create groups over SCIM (give --group for the member tests)');
    if (!(await groupsSupported())) fail('/Schemas did not return the Group schema: group provisioning is mandatory');
  };
  /** Entra's lookup of a group by displayName finds `count` of them, or the test fails with `why`. */
  const expectGroups = async (displayName: string, count: number, why: string) => {
    const r = await request('GET', `/Groups?filter=${encodeURIComponent(`displayName eq ${quote(displayName)}`)}`);
    if (resources(expectStatus(r, [200], 'the lookup Entra makes')).length !== count) fail(why, r);
  };
  const groupMembers = async (groupId: string, userId: string) => {
    // Entra's own membership check: the group, filtered by id and member.
    const r = await request('GET', `/Groups?filter=${encodeURIComponent(`id eq ${quote(groupId)} and members eq ${quote(userId)}`)}&excludedAttributes=members`);
    return { r, member: expectStatus(r, [200], 'the membership check Entra makes').body?.totalResults === 1 };
  };
  const existingGroupName = async () => {
    const r = await request('GET', `/Groups/${encodeURIComponent(o.groupId!)}?attributes=displayName`);
    const name = expectStatus(r, [200], 'the group given with --group').body?.displayName;
    if (typeof name !== 'string') fail('the group given with --group has no displayName', r);
    return name as string;
  };

  // ---- The tests ----
  const shared: { user?: SourceUser; state: SyncState; group?: SourceGroup; groupState: SyncState } = { state: emptyState(), groupState: emptyState() };
  const tests: Record<string, () => Promise<Verdict>> = {
    async Create_User_Test() {
      shared.user = sourceUser('create');
      await sync(dir([shared.user]), shared.state);
      const { r, user } = await found(String(shared.user.attributes.userPrincipalName));
      if (!user) fail('the user Entra created is not found by userName', r);
      return pass('created, and found by userName');
    },
    async Update_User_Test() {
      if (!shared.user) fail('needs Create_User_Test');
      shared.user = { ...shared.user!, attributes: { ...shared.user!.attributes, jobTitle: 'Principal Engineer', department: 'Research and Development' } };
      await sync(dir([shared.user]), shared.state);
      const { r, user } = await found(String(shared.user.attributes.userPrincipalName));
      const mismatches: string[] = [];
      if (userTargets.has('title') && user?.title !== 'Principal Engineer') mismatches.push(`title is ${JSON.stringify(user?.title)}`);
      if (userTargets.has(`${ENT}:department`.toLowerCase()) && (user?.[ENT] as Record<string, unknown> | undefined)?.department !== 'Research and Development') mismatches.push(`department is ${JSON.stringify((user?.[ENT] as Record<string, unknown> | undefined)?.department)}`);
      if (mismatches.length > 0) fail(`after the update ${mismatches.join(', ')}`, r);
      return pass('updated attributes read back as sent');
    },
    async Disable_User_Test() {
      if (!shared.user) fail('needs Create_User_Test');
      shared.user = { ...shared.user!, softDeleted: true, attributes: { ...shared.user!.attributes, IsSoftDeleted: true } };
      await sync(dir([shared.user]), shared.state);
      const { r, user } = await found(String(shared.user.attributes.userPrincipalName));
      if (!user || !(user.active === false || user.active === 'False' || user.active === 'false')) fail(`after the disable active is ${JSON.stringify(user?.active)}, not false`, r);
      return pass('active: false after the disable');
    },
    async Delete_User_Test() {
      if (!shared.user) fail('needs Create_User_Test');
      const targetId = shared.state.users[shared.user!.id]?.targetId;
      await sync(dir([]), shared.state, { deprovision: 'delete' });
      const { r, user } = await found(String(shared.user!.attributes.userPrincipalName));
      if (user) fail('the deleted user is still found', r);
      if (targetId) {
        const g = await getUser(targetId);
        if (g.r.res.status !== 404) fail(`GET of the deleted user answered ${g.r.res.status}, not 404`, g.r);
      }
      return pass('gone after the delete (404, totalResults 0)');
    },
    async User_Update_Manager_Test() {
      if (!hasManager) throw skip('no manager mapping');
      const state = emptyState();
      const [m1, m2] = [sourceUser('manager'), sourceUser('manager')];
      let u = sourceUser('report', {}, m1.id);
      await sync(dir([m1, m2, u]), state);
      const check = async (expected: string | undefined, phase: string) => {
        const { r, user } = await getUser(state.users[u.id].targetId);
        if (managerOf(user) !== expected) fail(`${phase}: manager is ${JSON.stringify(managerOf(user))}, expected ${JSON.stringify(expected)}`, r);
      };
      await check(state.users[m1.id].targetId, 'assign');
      u = { ...u, managerId: m2.id };
      await sync(dir([m1, m2, u]), state);
      await check(state.users[m2.id].targetId, 'change');
      const { managerId: _gone, ...rest } = u;
      u = rest;
      await sync(dir([m1, m2, u]), state, { clearEmpty: true });
      await check(undefined, 'remove');
      return pass('assigned, changed and removed');
    },
    async Restore_User_Test() {
      const state = emptyState();
      const u = sourceUser('restore');
      await sync(dir([u]), state);
      if (!(await found(String(u.attributes.userPrincipalName))).user) fail('phase 1: the user was not created');
      await sync(dir([]), state, { deprovision: 'delete' });
      const gone = await found(String(u.attributes.userPrincipalName));
      if (gone.user) fail('phase 2: the unassigned user is still there', gone.r);
      await sync(dir([u]), state);
      const back = await found(String(u.attributes.userPrincipalName));
      if (!back.user) fail('phase 3: the reassigned user was not created again', back.r);
      return pass('created, deprovisioned, provisioned again (UnassignReassign)');
    },
    async POD_User_Test() {
      const u = sourceUser('pod');
      await sync(dir([sourceUser('bystander'), u]), emptyState(), { only: [String(u.attributes.userPrincipalName)] });
      const { r, user } = await found(String(u.attributes.userPrincipalName));
      if (!user) fail('the user provisioned on demand is not found', r);
      return pass('provisioned on demand');
    },
    async Create_Group_Test() {
      await requireGroups();
      shared.group = sourceGroup(`Validate ${run} group`);
      await sync(dir([], [shared.group]), shared.groupState);
      await expectGroups(shared.group.displayName, 1, 'the group Entra created is not found by displayName');
      return pass('created, and found by displayName');
    },
    async Update_Group_Test() {
      await requireGroups();
      if (!shared.group) fail('needs Create_Group_Test');
      shared.group = { ...shared.group!, displayName: `Validate ${run} group renamed`, attributes: { ...shared.group!.attributes, displayName: `Validate ${run} group renamed` } };
      await sync(dir([], [shared.group]), shared.groupState);
      await expectGroups(shared.group.displayName, 1, 'the renamed group is not found by its new displayName');
      return pass('renamed');
    },
    async Delete_Group_Test() {
      await requireGroups();
      if (!shared.group) fail('needs Create_Group_Test');
      const id = shared.groupState.groups[shared.group!.id]?.targetId;
      if (!id) fail('needs Create_Group_Test');
      expectStatus(await request('DELETE', `/Groups/${encodeURIComponent(id!)}`), [200, 204], 'the delete Entra sends');
      await expectGroups(shared.group!.displayName, 0, 'the deleted group is still found');
      return pass('gone after the delete');
    },
    async Group_Update_Add_Member_Test() {
      await requireGroups(true);
      const state = emptyState();
      const u = sourceUser('member');
      const g = o.groupId ? sourceGroup(await existingGroupName(), [u.id]) : sourceGroup(`Validate ${run} members`, [u.id]);
      await sync(dir([u], [{ ...g, memberIds: [] }]), state);
      await sync(dir([u], [g]), state);
      const groupId = state.groups[g.id]?.targetId;
      if (!groupId) fail('the group was neither created nor matched');
      const { r, member } = await groupMembers(groupId!, state.users[u.id].targetId);
      if (!member) fail('the added member is not in the group', r);
      shared.group = g;
      shared.groupState = state;
      return pass('member added (PATCH Add members)');
    },
    async Group_Update_Remove_Member_Test() {
      await requireGroups(true);
      const g = shared.group;
      const state = shared.groupState;
      if (!g || !state.groups[g.id]) fail('needs Group_Update_Add_Member_Test');
      const memberId = g!.memberIds[0];
      const userId = state.users[memberId].targetId;
      await sync(dir([sourceUsers.get(memberId)!], [{ ...g!, memberIds: [] }]), state);
      const { r, member } = await groupMembers(state.groups[g!.id].targetId, userId);
      if (member) fail('the removed member is still in the group (or the server ignored "and" in the filter)', r);
      return pass('member removed (PATCH Remove members with a value list)');
    },
    async POD_Group_Test() {
      await requireGroups();
      const g = sourceGroup(`Validate ${run} on demand`);
      await sync(dir([], [g]), emptyState());
      await expectGroups(g.displayName, 1, 'the group provisioned on demand is not found');
      return pass('provisioned on demand');
    },
    async Restore_Group_Test() {
      await requireGroups();
      const g = sourceGroup(`Validate ${run} restore`);
      const state = emptyState();
      await sync(dir([], [g]), state);
      expectStatus(await request('DELETE', `/Groups/${encodeURIComponent(state.groups[g.id].targetId)}`), [200, 204], 'the delete Entra sends');
      await sync(dir([], [g]), emptyState());
      await expectGroups(g.displayName, 1, 'the group was not created again');
      return pass('created, deleted, created again (UnassignReassign)');
    },
    async Schema_Discoverability_Test() {
      const r = await schemas();
      const res = expectStatus(r, [200], '/Schemas');
      if (!Array.isArray(res.body?.Resources)) fail('/Schemas has no Resources array', r);
      const paths = discoverablePaths(res.body);
      const missing = [...mappings.users, ...(o.usersOnly ? [] : mappings.groups)].map((m) => m.target).filter((t) => !paths.has(normalisedTarget(t)));
      if (missing.length > 0) fail(`mapped attributes missing from /Schemas: ${[...new Set(missing)].join(', ')}`, r);
      return pass(`all ${mappings.users.length + (o.usersOnly ? 0 : mappings.groups.length)} mapped attributes discoverable`);
    },
    async SCIM_Null_Update_Test() {
      const u = await createDirect('null');
      const targets = [['title', 'title'], ['preferredLanguage', 'preferredLanguage'], [`${ENT}:department`, 'department']].filter(([t]) => userTargets.has(t.toLowerCase()));
      for (const value of ['', null]) {
        const p = await request('PATCH', `/Users/${encodeURIComponent(u)}`, { schemas: [PATCH_OP], Operations: targets.map(([path]) => ({ op: 'Replace', path, value })) });
        expectStatus(p, [200, 204], `PATCH with ${JSON.stringify(value)}`);
        const { r, user } = await getUser(u);
        const kept = targets.filter(([path, leaf]) => {
          const v = path.startsWith(ENT) ? (user?.[ENT] as Record<string, unknown> | undefined)?.[leaf] : user?.[path];
          return v !== undefined && v !== null && v !== '';
        });
        if (kept.length > 0) fail(`after a PATCH with ${JSON.stringify(value)} these still have values: ${kept.map(([p]) => p).join(', ')}`, r);
      }
      return pass(`${targets.length} optional attributes cleared by "" and stay cleared by null`);
    },
    async SCIM_User_Create_Test() {
      const userName = `scimitar-validate-${run}-direct-${++n}@example.com`;
      const r = await request('POST', '/Users', directUser(userName));
      const res = expectStatus(r, [200, 201], 'POST /Users');
      if (typeof res.body?.id !== 'string' || res.body.id === '') fail('the answer has no id', r);
      if (res.body.userName !== userName) fail(`userName came back as ${JSON.stringify(res.body.userName)}`, r);
      return pass('201 with an id; userName round-trips');
    },
    async SCIM_User_Update_Test() {
      const u = await createDirect('update');
      const values: Record<string, string> = { title: `Title ${run}`, displayName: `Validate ${run} updated`, nickName: `nick${run}` };
      const p = await request('PATCH', `/Users/${encodeURIComponent(u)}`, { schemas: [PATCH_OP], Operations: Object.entries(values).map(([path, value]) => ({ op: 'Replace', path, value })) });
      expectStatus(p, [200, 204], 'PATCH /Users');
      const { r, user } = await getUser(u);
      const wrong = Object.entries(values).filter(([k, v]) => user?.[k] !== v).map(([k]) => `${k} is ${JSON.stringify(user?.[k])}`);
      if (wrong.length > 0) fail(`after the PATCH ${wrong.join(', ')}`, r);
      return pass(`${Object.keys(values).length} attributes updated and read back`);
    },
    async SCIM_Group_Create_Test() {
      await requireGroups();
      const displayName = `Validate ${run} direct ${++n}`;
      const r = await request('POST', '/Groups', { schemas: [GROUP_SCHEMA], displayName });
      const res = expectStatus(r, [200, 201], 'POST /Groups');
      if (typeof res.body?.id !== 'string') fail('the answer has no id', r);
      if (res.body.displayName !== displayName) fail(`displayName came back as ${JSON.stringify(res.body.displayName)}`, r);
      return pass('201 with an id; displayName round-trips');
    },
    async SCIM_Group_Update_Test() {
      await requireGroups();
      const c = await request('POST', '/Groups', { schemas: [GROUP_SCHEMA], displayName: `Validate ${run} direct ${++n}` });
      const id = expectStatus(c, [200, 201], 'POST /Groups').body?.id as string;
      const displayName = `Validate ${run} direct renamed ${n}`;
      expectStatus(await request('PATCH', `/Groups/${encodeURIComponent(id)}`, { schemas: [PATCH_OP], Operations: [{ op: 'Replace', path: 'displayName', value: displayName }] }), [200, 204], 'PATCH /Groups');
      const r = await request('GET', `/Groups/${encodeURIComponent(id)}`);
      if (expectStatus(r, [200], 'GET /Groups').body?.displayName !== displayName) fail(`displayName is ${JSON.stringify(r.res.body?.displayName)}`, r);
      return pass('displayName updated and read back');
    },
    async Validate_Credentials_Test() {
      if (!o.clientId || !o.clientSecret || !o.tokenUrl) throw skip('no token endpoint and client credentials given (a static bearer token)');
      const res = await fetch(o.tokenUrl, {
        method: 'POST', body: 'grant_type=client_credentials',
        headers: { authorization: `Basic ${Buffer.from(`${encodeURIComponent(o.clientId)}:${encodeURIComponent(o.clientSecret)}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      });
      const body = (await res.json().catch(() => ({}))) as { access_token?: string; expires_in?: number };
      const evidence = { method: 'POST', path: o.tokenUrl, res: { status: res.status, body: { ...body, access_token: body.access_token ? '[redacted]' : undefined } } };
      if (!res.ok || !body.access_token) fail(`the token endpoint answered ${res.status} without an access_token`, evidence);
      const minutes = Number(body.expires_in) / 60;
      if (!(minutes >= 60 && minutes <= 360)) fail(`the token lives ${body.expires_in} s; Microsoft requires 60 to 360 minutes (3600 to 21600 s)`, evidence);
      const probe = await fetch(`${o.baseUrl.replace(/\/+$/, '')}/Users?count=1`, { headers: { authorization: `Bearer ${body.access_token}` } });
      if (!probe.ok) fail(`the SCIM endpoint answered ${probe.status} to the new token`);
      return pass(`a token that lives ${minutes} minutes, accepted by the SCIM endpoint`);
    },
    async Federated_Identity_Test() {
      if (!o.clientAssertion || !o.tokenUrl) throw skip('no client assertion given (--client-assertion)');
      const res = await fetch(o.tokenUrl, {
        method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'client_credentials', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: o.clientAssertion }).toString(),
      });
      const body = (await res.json().catch(() => ({}))) as { access_token?: string; error_description?: string };
      if (!res.ok || !body.access_token) fail(`the token endpoint refused the assertion (${res.status}${body.error_description ? `: ${body.error_description}` : ''})`);
      const probe = await fetch(`${o.baseUrl.replace(/\/+$/, '')}/Users?count=1`, { headers: { authorization: `Bearer ${body.access_token}` } });
      if (!probe.ok) fail(`the SCIM endpoint answered ${probe.status} to the federated token`);
      return pass('the assertion was exchanged for a token the SCIM endpoint accepts');
    },
    async SCIM_User_Pagination_Test() {
      return paginate('/Users', () => createDirect('page'));
    },
    async SCIM_Group_Pagination_Test() {
      await requireGroups();
      return paginate('/Groups', async () => expectStatus(await request('POST', '/Groups', { schemas: [GROUP_SCHEMA], displayName: `Validate ${run} page ${++n}` }), [200, 201], 'POST /Groups').body.id as string);
    },
    async SCIM_Update_Manager_Test() {
      if (!hasManager) throw skip('no manager mapping');
      const [a, b, u] = [await createDirect('mgr-a'), await createDirect('mgr-b'), await createDirect('mgr-report')];
      const steps: [string, unknown, string | undefined][] = [['Add', a, a], ['Replace', b, b], ['Replace', '', undefined]];
      for (const [op, value, expected] of steps) {
        expectStatus(await request('PATCH', `/Users/${encodeURIComponent(u)}`, { schemas: [PATCH_OP], Operations: [{ op, path: `${ENT}:manager`, value }] }), [200, 204], `PATCH ${op} manager`);
        const { r, user } = await getUser(u);
        if (managerOf(user) !== expected) fail(`after ${op} ${JSON.stringify(value)} the manager is ${JSON.stringify(managerOf(user))}`, r);
      }
      return pass('set (Add), changed (Replace), removed (Replace with "")');
    },
  };

  function directUser(userName: string): Record<string, unknown> {
    return {
      schemas: [USER_SCHEMA, ENT], userName, active: true, displayName: `Validate ${run} ${userName.split('@')[0]}`,
      externalId: `ext-${run}-${n}`, emails: [{ type: 'work', primary: true, value: userName }], name: { givenName: 'Validate', familyName: 'Direct' },
      title: 'Engineer', preferredLanguage: 'en-US', [ENT]: { department: 'Research' },
    };
  }
  async function createDirect(label: string): Promise<string> {
    const r = await request('POST', '/Users', directUser(`scimitar-validate-${run}-${label}-${++n}@example.com`));
    return expectStatus(r, [200, 201], 'POST /Users').body.id as string;
  }
  async function paginate(path: string, create: () => Promise<string>): Promise<Verdict> {
    const first = await request('GET', `${path}?startIndex=1&count=1`);
    let total = Number(expectStatus(first, [200], `GET ${path}`).body?.totalResults ?? 0);
    while (total < 11) {
      await create();
      total++;
    }
    let pages = 0;
    for (let page = 0; page * 5 < Math.min(total, 15); page++) {
      const r = await request('GET', `${path}?startIndex=${page * 5 + 1}&count=5`);
      const res = expectStatus(r, [200], `page ${page + 1}`);
      if (Number(res.body?.startIndex) !== page * 5 + 1) fail(`page ${page + 1} says startIndex ${JSON.stringify(res.body?.startIndex)}, expected ${page * 5 + 1}`, r);
      if (resources(res).length === 0) fail(`page ${page + 1} is empty though totalResults is ${total}`, r);
      pages++;
    }
    return pass(`${pages} pages of 5, each with the right startIndex`);
  }

  try {
    for (const [name, category] of TEST_PLAN) {
      if (o.signal?.aborted) break;
      let result: TestResult;
      try {
        const v = await tests[name]();
        result = { name, category, outcome: v.outcome, reason: v.reason };
      } catch (e) {
        const v = e instanceof Verdict ? e : new Verdict('FAILED', `unexpected error: ${(e as Error).message}`);
        const outcome: Outcome = v.outcome === 'FAILED' && category === 'optional' ? 'WARNING' : v.outcome;
        result = { name, category, outcome, reason: v.reason, ...(v.evidence ? { evidence: v.evidence } : {}) };
      }
      results.push(result);
      o.onProgress?.(result);
    }
  } finally {
    // Whatever happened (a test failed, the run was interrupted), what the run made goes.
    leftBehind = await cleanUp(request, createdUsers, createdGroups, o.groupId);
  }
  const failedMandatory = results.filter((r) => r.category === 'mandatory' && r.outcome === 'FAILED');
  const auth = results.filter((r) => (r.name === 'Validate_Credentials_Test' || r.name === 'Federated_Identity_Test') && r.outcome === 'PASSED');
  const passed = failedMandatory.length === 0 && auth.length > 0;
  const verdict = passed ? 'Succeeded: every mandatory test passed or was skipped, and an authentication test passed'
    : failedMandatory.length > 0 ? `Failed: ${failedMandatory.map((r) => r.name).join(', ')}`
    : 'Failed: neither Validate_Credentials_Test nor Federated_Identity_Test passed (Microsoft needs one)';
  return { results, passed, verdict, leftBehind };
}

async function cleanUp(
  request: (method: 'DELETE', path: string) => Promise<{ res: ScimResponse }>,
  users: Set<string>,
  groups: Set<string>,
  keepGroup: string | undefined,
): Promise<string[]> {
  const left: string[] = [];
  for (const [kind, ids] of [['Groups', groups], ['Users', users]] as const) {
    for (const id of ids) {
      if (kind === 'Groups' && id === keepGroup) continue;
      const r = await request('DELETE', `/${kind}/${encodeURIComponent(id)}`).catch(() => undefined);
      if (r && r.res.status !== 204 && r.res.status !== 200 && r.res.status !== 404 && !(kind === 'Groups' && r.res.status === 405)) left.push(`${kind}/${id} (${r.res.status})`);
    }
  }
  return left;
}
