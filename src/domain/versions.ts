import { type CatalogueRelease, VERSION_CATALOGUE } from "./version-catalogue.js";

/** A CCE version split into its numeric parts; absent parts of `v1.29` or `v1.19.10` are undefined. */
export interface ParsedVersion {
  readonly major: number;
  readonly minor: number;
  readonly patch: number | undefined;
  readonly revision: number | undefined;
}

const VERSION_PATTERN = /^v(\d{1,4})\.(\d{1,4})(?:\.(\d{1,4}))?(?:-r(\d{1,4}))?$/;

/** Parses `v1.29`, `v1.19.10` or `v1.29.13-r10`; undefined for anything else. */
export function parseVersion(text: string): ParsedVersion | undefined {
  const match = VERSION_PATTERN.exec(text);
  if (!match) return undefined;
  const [, major, minor, patch, revision] = match;
  if (revision !== undefined && patch === undefined) return undefined;
  return {
    major: Number(major),
    minor: Number(minor),
    patch: patch === undefined ? undefined : Number(patch),
    revision: revision === undefined ? undefined : Number(revision),
  };
}

/** Orders two parsed versions; missing parts count as 0. */
export function compareVersions(a: ParsedVersion, b: ParsedVersion): number {
  return (
    a.major - b.major || a.minor - b.minor || (a.patch ?? 0) - (b.patch ?? 0) || (a.revision ?? 0) - (b.revision ?? 0)
  );
}

/** `v1.28.15-r30` → `v1.28`. */
export function releaseOf(version: ParsedVersion): string {
  return `v${version.major}.${version.minor}`;
}

/** A patch version the catalogue knows, with its release entry. */
export interface KnownVersion {
  readonly version: string;
  readonly platformVersion: string;
  readonly release: CatalogueRelease;
}

function findRelease(release: string): CatalogueRelease | undefined {
  return VERSION_CATALOGUE.find((entry) => entry.release === release);
}

/** The newest release the catalogue has: what CreateCluster builds when the body names no version. */
export function newestVersion(): string {
  return VERSION_CATALOGUE.at(-1)?.release ?? "v1.28";
}

/**
 * Resolves a version as clients write it to a known patch version: a full version must be in the catalogue;
 * `v1.29` resolves to that release's newest patch and `v1.19.16` to the newest revision of that patch.
 */
export function resolveVersion(text: string): KnownVersion | undefined {
  const parsed = parseVersion(text);
  if (!parsed) return undefined;
  const release = findRelease(releaseOf(parsed));
  if (!release) return undefined;
  const candidates = release.patches.filter((p) => {
    const candidate = parseVersion(p.version);
    return (
      candidate !== undefined &&
      (parsed.patch === undefined || candidate.patch === parsed.patch) &&
      (parsed.revision === undefined || candidate.revision === parsed.revision)
    );
  });
  const newest = candidates.at(-1);
  return newest && { ...newest, release };
}

export type UpgradePathCheck =
  | { readonly ok: true; readonly target: KnownVersion }
  | { readonly ok: false; readonly reason: "unknown_current" | "unknown_target" | "not_higher" | "no_path" };

/** Decides whether a cluster at `current` may be upgraded to `targetText` in one upgrade. */
export function checkUpgradePath(current: string, targetText: string): UpgradePathCheck {
  const from = resolveVersion(current);
  if (!from) return { ok: false, reason: "unknown_current" };
  const target = resolveVersion(targetText);
  if (!target) return { ok: false, reason: "unknown_target" };
  const order = compareVersions(mustParse(target.version), mustParse(from.version));
  if (order <= 0) return { ok: false, reason: "not_higher" };
  const sameRelease = target.release === from.release;
  if (!sameRelease && !from.release.upgradeTo.includes(target.release.release)) return { ok: false, reason: "no_path" };
  return { ok: true, target };
}

/** Every patch version a cluster at `current` may be upgraded to, oldest first. */
export function upgradeTargets(current: string): string[] {
  const from = resolveVersion(current);
  if (!from) return [];
  const releases = [from.release, ...from.release.upgradeTo.flatMap((r) => findRelease(r) ?? [])];
  return releases
    .flatMap((release) => release.patches.map((p) => p.version))
    .filter((version) => checkUpgradePath(from.version, version).ok);
}

function mustParse(version: string): ParsedVersion {
  const parsed = parseVersion(version);
  if (!parsed) throw new Error(`catalogue holds an unparsable version: ${version}`);
  return parsed;
}

/**
 * Whether a version a client states for a cluster (`v1.28`, `v1.28.15`, `v1.28.15-r30`) names the version it runs;
 * an empty statement names any version (terraform sends `""` when the user gave none).
 */
export function statesVersion(stated: string, actual: string): boolean {
  if (stated === "") return true;
  const claim = parseVersion(stated);
  const real = parseVersion(actual);
  if (!claim || !real) return false;
  return (
    claim.major === real.major &&
    claim.minor === real.minor &&
    (claim.patch === undefined || claim.patch === real.patch) &&
    (claim.revision === undefined || claim.revision === real.revision)
  );
}

/** `UpgradeVersionInfo` of a version: `v1.28.15-r30` → release `v1.28.15`, patch `r30`, newest revision of that release. */
export function versionInfo(version: string): { release: string; patch: string; suggestPatch: string } {
  const [release = version, patch = ""] = version.split("-");
  const newest = resolveVersion(release)?.version ?? version;
  return { release, patch, suggestPatch: newest.split("-")[1] ?? patch };
}

/** The last release whose upgrade paths CCE lists per patch (`v1.19.16-r20`); newer ones are listed as `v1.21`. */
const LAST_PATCH_LISTED_RELEASE = parseVersion("v1.19") as ParsedVersion;

/** `ListClusterUpgradePaths`: one entry per catalogue patch, with every patch version it may be upgraded to. */
export function catalogueUpgradePaths(): { version: string; platformVersion: string; targetVersions: string[] }[] {
  return VERSION_CATALOGUE.flatMap((release) =>
    release.patches.map((patch) => ({
      version:
        compareVersions(mustParse(release.release), LAST_PATCH_LISTED_RELEASE) <= 0 ? patch.version : release.release,
      platformVersion: patch.platformVersion,
      targetVersions: upgradeTargets(patch.version),
    })),
  );
}

/** Why a target was refused, naming the request field it came from. */
export function describePathProblem(
  reason: Extract<UpgradePathCheck, { ok: false }>["reason"],
  clusterVersion: string,
  target: string,
  field: string,
): string {
  switch (reason) {
    case "unknown_target":
      return `${field}: ${JSON.stringify(target)} is not a supported CCE version`;
    case "not_higher":
      return `${field}: ${target} is not higher than the cluster's version ${clusterVersion}`;
    case "no_path":
      return `${field}: there is no upgrade path from ${clusterVersion} to ${target}`;
    case "unknown_current":
      return `the cluster's version ${clusterVersion} is not in the version catalogue`;
  }
}
