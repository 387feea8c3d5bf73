export { parsePatchRequest, parsePatchPath, DEFAULT_PATCH_LIMITS, type PatchOperation, type PatchOpName, type PatchPath, type PatchLimits } from './parse.ts';
export { applyPatch, elementFromFilter, type PatchResult } from './apply.ts';
