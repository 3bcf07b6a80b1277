/**
 * The zod schema of `mirror.config.ts` (SPEC §2). Objects are strict so a typo (`maxVersion`)
 * is an error naming its path instead of a silently ignored key.
 */
import semver from 'semver';
import { z } from 'zod';
import { DIGEST_RE, NAME_RE, PLATFORM_RE } from '../oci/reference.js';

/** `os/arch[/variant]`, e.g. `linux/arm64`. */
export const PlatformSchema = z
  .string()
  .regex(PLATFORM_RE, 'expected os/arch[/variant], e.g. linux/arm64');

const compiles = (s: string) => { try { new RegExp(s); return true; } catch { return false; } };
const regexString = z.string().refine(compiles, 'not a valid regular expression');

// One check, so the capture-group test never compiles a pattern that does not compile (zod runs
// every refinement even after one failed, and a throwing one crashed the config load).
const tagPatternString = z.string().superRefine((s, ctx) => {
  if (!compiles(s)) ctx.addIssue({ code: 'custom', message: 'not a valid regular expression' });
  else if (new RegExp(`${s}|`).exec('')!.length < 2) ctx.addIssue({ code: 'custom', message: 'needs a capture group for the version' });
});

/** An http(s) URL: API base URLs get tokens and must not be file:, data: or javascript:. */
const httpUrl = z.string().url().refine((s) => /^https?:\/\//i.test(s), 'expected an http:// or https:// URL');

/** Path segments without `.`/`..`: they would be resolved away and address another API path on the same host. */
const noDotSegments = (s: string) => s.split('/').every((seg) => seg !== '.' && seg !== '..');

const upstreamCommon = {
  tagPattern: tagPatternString.optional(),
  includePrereleases: z.boolean().optional(),
  versions: z.string().superRefine((r, ctx) => {
    if (semver.validRange(r) === null) ctx.addIssue({ code: 'custom', message: `not a valid semver range "${r}"` });
  }).optional(),
};

/** Where versions come from. */
export const UpstreamSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('github-releases'),
    repository: z.string().regex(/^[\w.-]+\/[\w.-]+$/, 'expected owner/name').refine(noDotSegments, 'expected owner/name'),
    apiUrl: httpUrl.optional(),
    ...upstreamCommon,
  }),
  z.strictObject({
    type: z.literal('gitlab-tags'),
    baseUrl: httpUrl,
    project: z.string().regex(/^[\w.-]+(\/[\w.-]+)*$/, 'expected group/project').refine(noDotSegments, 'expected group/project'),
    ...upstreamCommon,
  }),
  z.strictObject({
    type: z.literal('git-tags'),
    url: z.string().min(1).refine((s) => !s.startsWith('-'), 'must not start with "-"'),
    ...upstreamCommon,
  }),
]);

/**
 * A path inside the checkout (context, dockerfile, a patch's file): relative, no `..` segment. The
 * text check is the config's half; at apply every path is also resolved with its symlinks and must
 * stay in the checkout (apply/contained-path.ts), since upstream commits the symlinks.
 */
export const SourcePathSchema = z.string().min(1)
  .refine((p) => !p.startsWith('/') && !/^[A-Za-z]:[\\/]/.test(p), 'must be relative to the source checkout, not an absolute path')
  .refine((p) => !p.split(/[\\/]/).includes('..'), 'must stay inside the source checkout (no ".." segments)');

/** A source edit applied before the build; a patch that changes nothing is an error at apply time. */
export const PatchSchema = z.union([
  z.strictObject({ unpinDigests: z.literal(true), file: SourcePathSchema.optional() }),
  z.strictObject({ file: SourcePathSchema, replace: z.string().min(1), with: z.string() }),
  z.strictObject({ file: SourcePathSchema, after: regexString, insert: z.string() }),
]);

const SourceSchema = z.strictObject({
  git: z.string().min(1).refine((s) => !s.startsWith('-'), 'must not start with "-"'),
  ref: z.string().min(1).default('{tag}'),
});

const buildFields = {
  source: SourceSchema.optional(),
  context: SourcePathSchema.optional(),
  dockerfile: SourcePathSchema.optional(),
  buildArgs: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'not a valid build-arg name'), z.string()).optional(),
  patches: z.array(PatchSchema).optional(),
};

/** `sign: 'keyless' | { key: 'env:NAME' or a file path } | false`. */
export const SignSchema = z.union([z.literal('keyless'), z.strictObject({ key: z.string().min(1) }), z.literal(false)]);

/** Retention policy (off = null: the old pipeline never deleted). */
export const RetentionSchema = z
  .strictObject({
    keepLatest: z.number().int().positive().optional(),
    keepTags: z.array(regexString).optional(),
    maxAgeDays: z.number().int().positive().optional(),
    protect: z.array(z.string().regex(DIGEST_RE)).optional(),
  })
  // keepTags and protect only exempt versions; without a rule that lets versions go, a policy is a no-op.
  .refine((r) => r.keepLatest !== undefined || r.maxAgeDays !== undefined, 'needs keepLatest and/or maxAgeDays (keepTags and protect only exempt versions from them)')
  .nullable();

const FLOATING = ['latest', '{major}', '{major}.{minor}'] as const;

/** Keys that `defaults` sets and each app may override. */
const overridable = {
  maxVersions: z.number().int().min(1).max(1000).optional(),
  platforms: z.array(PlatformSchema).min(1).optional(),
  // The object form exists for one opt-out: `isolation: 'chroot'` runs upstream build steps unconfined.
  builder: z.union([
    z.enum(['auto', 'buildx', 'buildah']),
    z.strictObject({ type: z.literal('buildah'), isolation: z.enum(['oci', 'chroot']).default('oci') }),
  ]).optional(),
  floatingTags: z.array(z.enum(FLOATING)).optional(),
  attest: z
    .strictObject({ sbom: z.boolean().optional(), provenance: z.boolean().optional(), sign: SignSchema.optional() })
    .optional(),
  retention: RetentionSchema.optional(),
};

/** An app or image name. Length-capped: it goes into every registry URL and message (registries refuse long ones anyway). */
export const ImageNameSchema = z.string().max(128, 'longer than 128 characters').regex(NAME_RE, 'expected a lowercase repository name');

/** One image of a multi-image app. */
export const ImageSchema = z.strictObject({ ...buildFields, dependsOn: z.array(z.string()).optional() });

/** One upstream app. */
export const AppSchema = z.strictObject({
  upstream: UpstreamSchema,
  requires: z.array(z.string().min(1)).optional(),
  ...buildFields,
  images: z.record(ImageNameSchema, ImageSchema).optional(),
  ...overridable,
});

/** The whole config file. */
export const ConfigSchema = z.strictObject({
  registry: z.strictObject({
    url: z.string().min(1),
    insecure: z.boolean().default(false),
    username: z.string().optional(),
    password: z.string().optional(),
  }),
  // `file` (default): a JSON file; `oci`: an OCI artifact `REGISTRY/REPO:TAG` shared by CI runners.
  state: z
    .strictObject({
      backend: z.enum(['file', 'oci']).default('file'),
      path: z.string().min(1).default('.mirror/state.json'),
      ref: z.string().min(1).optional(),
    })
    .refine((s) => s.backend !== 'oci' || s.ref !== undefined, { message: "backend 'oci' needs ref: 'REGISTRY/REPO:TAG'", path: ['ref'] })
    .default({ backend: 'file', path: '.mirror/state.json' }),
  defaults: z.strictObject(overridable).default({}),
  // GitHub Actions runner label per platform, for `mirror matrix` (native builds, no QEMU).
  runners: z.record(PlatformSchema, z.string().min(1)).optional(),
  apps: z.record(ImageNameSchema, AppSchema).refine((apps) => Object.keys(apps).length > 0, 'at least one app is required'),
});

/** What a user writes (input type: defaults optional). */
export type MirrorConfig = z.input<typeof ConfigSchema>;
/** A validated config with schema defaults applied. */
export type ParsedConfig = z.output<typeof ConfigSchema>;
/** One validated app. */
export type ParsedApp = z.output<typeof AppSchema>;
/** One validated patch. */
export type Patch = z.output<typeof PatchSchema>;
/** One validated upstream block. */
export type UpstreamConfig = z.output<typeof UpstreamSchema>;
/** A floating tag template. */
export type FloatingTag = (typeof FLOATING)[number];
