import { describe, expect, it } from "vitest";
import { VERSION_CATALOGUE } from "../../src/domain/version-catalogue.js";
import {
  catalogueUpgradePaths,
  checkUpgradePath,
  compareVersions,
  describePathProblem,
  type ParsedVersion,
  parseVersion,
  releaseOf,
  resolveVersion,
  statesVersion,
  upgradeTargets,
  versionInfo,
} from "../../src/domain/versions.js";

const parsed = (text: string) => parseVersion(text) as ParsedVersion;
const ALL_PATCHES = VERSION_CATALOGUE.flatMap((release) => release.patches.map((p) => ({ ...p, release })));

describe("parseVersion", () => {
  it.each([
    ["v1.29", { major: 1, minor: 29, patch: undefined, revision: undefined }],
    ["v1.19.10", { major: 1, minor: 19, patch: 10, revision: undefined }],
    ["v1.29.13-r10", { major: 1, minor: 29, patch: 13, revision: 10 }],
    ["v0.0.0-r0", { major: 0, minor: 0, patch: 0, revision: 0 }],
    ["v9999.9999.9999-r9999", { major: 9999, minor: 9999, patch: 9999, revision: 9999 }],
  ])("reads %s", (text, expected) => {
    expect(parseVersion(text)).toEqual(expected);
  });

  it.each([
    "",
    "1.29",
    "v1",
    "v1.29-r1",
    "v1.29.1-r",
    "v1.29.1-1",
    "V1.29",
    "v1.29.1.2",
    "v10000.1",
    "v1.2.3-r10000",
    " v1.29",
    "v1.29 ",
    "xv1.29",
  ])("refuses %j", (text) => {
    expect(parseVersion(text)).toBeUndefined();
  });
});

describe("compareVersions", () => {
  it.each([
    ["v1.29", "v1.28", 1],
    ["v2.0", "v1.99", 1],
    ["v1.29.1", "v1.29.0", 1],
    ["v1.29.1-r1", "v1.29.1-r0", 1],
    ["v1.29", "v1.29.0-r0", 0],
    ["v1.29.0", "v1.29", 0],
    ["v1.28.15-r90", "v1.29.1-r0", -1],
    ["v1.29.13-r10", "v1.29.15-r0", -1],
  ])("orders %s against %s: %i", (a, b, sign) => {
    expect(Math.sign(compareVersions(parsed(a), parsed(b)))).toBe(sign);
    // Antisymmetric: swapping the operands flips the sign.
    expect(Math.sign(compareVersions(parsed(b), parsed(a))) + sign).toBe(0);
  });
});

describe("releaseOf", () => {
  it("keeps major and minor only", () => {
    expect(releaseOf(parsed("v1.28.15-r30"))).toBe("v1.28");
    expect(releaseOf(parsed("v1.9"))).toBe("v1.9");
  });
});

describe("resolveVersion", () => {
  it("returns the patch with its platform version and its release entry", () => {
    const known = resolveVersion("v1.28.15-r40");
    expect(known?.version).toBe("v1.28.15-r40");
    expect(known?.platformVersion).toBe("cce.11.0");
    expect(known?.release.release).toBe("v1.28");
  });

  it("resolves a patch without a revision to that patch's newest revision, not the release's newest", () => {
    expect(resolveVersion("v1.28.3")?.version).toBe("v1.28.3-r0");
    expect(resolveVersion("v1.28.15")?.version).toBe("v1.28.15-r90");
    expect(resolveVersion("v1.28.4")).toBeUndefined();
  });

  it("resolves every catalogue version to itself", () => {
    for (const patch of ALL_PATCHES) expect(resolveVersion(patch.version)?.platformVersion).toBe(patch.platformVersion);
  });
});

describe("the version catalogue", () => {
  it("allows a patch upgrade inside every release, to any newer patch, and no downgrade", () => {
    const wrong = VERSION_CATALOGUE.flatMap((release) =>
      release.patches.flatMap((from, i) =>
        release.patches
          .filter((to, j) => checkUpgradePath(from.version, to.version).ok !== j > i)
          .map((to) => `${from.version} → ${to.version}`),
      ),
    );
    expect(wrong).toEqual([]);
  });

  it("allows every patch of a release to every patch of the releases it names, and to no other release", () => {
    const wrong = ALL_PATCHES.flatMap((from) =>
      ALL_PATCHES.filter((to) => to.release !== from.release).flatMap((to) => {
        const result = checkUpgradePath(from.version, to.version);
        const lower = compareVersions(parsed(to.version), parsed(from.version)) < 0;
        const expected = from.release.upgradeTo.includes(to.release.release)
          ? result.ok && result.target.version === to.version && result.target.platformVersion === to.platformVersion
          : !result.ok && result.reason === (lower ? "not_higher" : "no_path");
        return expected ? [] : [`${from.version} → ${to.version}: ${JSON.stringify(result)}`];
      }),
    );
    expect(wrong).toEqual([]);
  });

  it("names platform versions cce.N.M", () => {
    for (const patch of ALL_PATCHES) expect(patch.platformVersion).toMatch(/^cce\.\d+\.\d+$/);
  });
});

describe("checkUpgradePath", () => {
  it("resolves a partial target to the newest matching patch", () => {
    expect(checkUpgradePath("v1.28.15-r30", "v1.29")).toMatchObject({ ok: true, target: { version: "v1.29.15-r50" } });
    expect(checkUpgradePath("v1.28.15-r30", "v1.28.15")).toMatchObject({
      ok: true,
      target: { version: "v1.28.15-r90" },
    });
  });

  it("judges a partial current version by its newest patch", () => {
    expect(checkUpgradePath("v1.28", "v1.28.15-r40")).toEqual({ ok: false, reason: "not_higher" });
    expect(checkUpgradePath("v1.28.15", "v1.28.15-r40")).toEqual({ ok: false, reason: "not_higher" });
  });
});

describe("upgradeTargets", () => {
  it("lists newer patches of the release, then every patch of the releases it may go to, oldest first", () => {
    expect(upgradeTargets("v1.33.1-r0")).toEqual(["v1.33.7-r10", "v1.34.3-r0"]);
    expect(upgradeTargets("v1.28.15-r30")).toEqual([
      "v1.28.15-r40",
      "v1.28.15-r90",
      "v1.29.1-r0",
      "v1.29.13-r10",
      "v1.29.15-r50",
      "v1.30.4-r0",
      "v1.30.14-r50",
    ]);
  });

  it("lists nothing for an unknown version", () => {
    expect(upgradeTargets("v1.18.0-r0")).toEqual([]);
    expect(upgradeTargets("nonsense")).toEqual([]);
  });
});

describe("statesVersion", () => {
  it.each([
    ["", "v1.28.15-r30", true],
    ["v1.28", "v1.28.15-r30", true],
    ["v1.28.15", "v1.28.15-r30", true],
    ["v1.28.15-r30", "v1.28.15-r30", true],
    ["v1.28.15-r40", "v1.28.15-r30", false],
    ["v1.28.14", "v1.28.15-r30", false],
    ["v1.27", "v1.28.15-r30", false],
    ["v2.28", "v1.28.15-r30", false],
    ["v1.28.15-r30", "v1.28", false],
    ["1.28", "v1.28.15-r30", false],
    ["v1.28", "garbage", false],
  ])("%j names %s: %s", (stated, actual, expected) => {
    expect(statesVersion(stated, actual)).toBe(expected);
  });
});

describe("versionInfo", () => {
  it("splits a version into release and patch, suggesting the release's newest revision", () => {
    expect(versionInfo("v1.28.15-r30")).toEqual({ release: "v1.28.15", patch: "r30", suggestPatch: "r90" });
    expect(versionInfo("v1.28.3-r0")).toEqual({ release: "v1.28.3", patch: "r0", suggestPatch: "r0" });
  });

  it("keeps what it can of a version the catalogue does not know", () => {
    expect(versionInfo("v1.18.0-r7")).toEqual({ release: "v1.18.0", patch: "r7", suggestPatch: "r7" });
    expect(versionInfo("v1.18.0")).toEqual({ release: "v1.18.0", patch: "", suggestPatch: "" });
  });
});

describe("catalogueUpgradePaths", () => {
  const paths = catalogueUpgradePaths();

  it("has one entry per catalogue patch, each with its platform version and targets", () => {
    expect(paths).toHaveLength(ALL_PATCHES.length);
    paths.forEach((path, i) => {
      const patch = ALL_PATCHES[i] as (typeof ALL_PATCHES)[number];
      expect(path.platformVersion).toBe(patch.platformVersion);
      expect(path.targetVersions).toEqual(upgradeTargets(patch.version));
    });
  });

  it("names full versions up to v1.19 and the release after it", () => {
    expect(paths.map((p) => p.version).slice(0, 6)).toEqual([
      "v1.19.10-r0",
      "v1.19.16-r0",
      "v1.19.16-r4",
      "v1.19.16-r20",
      "v1.21",
      "v1.21",
    ]);
    expect(paths.at(-1)).toEqual({ version: "v1.34", platformVersion: "cce.1.0", targetVersions: [] });
  });
});

describe("describePathProblem", () => {
  it.each([
    ["unknown_target", 'spec.targetVersion: "v9.9" is not a supported CCE version'],
    ["not_higher", "spec.targetVersion: v9.9 is not higher than the cluster's version v1.28.15-r30"],
    ["no_path", "spec.targetVersion: there is no upgrade path from v1.28.15-r30 to v9.9"],
    ["unknown_current", "the cluster's version v1.28.15-r30 is not in the version catalogue"],
  ] as const)("%s: %s", (reason, message) => {
    expect(describePathProblem(reason, "v1.28.15-r30", "v9.9", "spec.targetVersion")).toBe(message);
  });
});
