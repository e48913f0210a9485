import { describe, expect, it } from "vitest";
import { VERSION_CATALOGUE } from "../../src/domain/version-catalogue.js";
import {
  checkUpgradePath,
  compareVersions,
  parseVersion,
  resolveVersion,
  upgradeTargets,
} from "../../src/domain/versions.js";

describe("version catalogue", () => {
  it.each([
    "v1.19.16-r4",
    "v1.19.16-r20",
    "v1.23.5-r0",
    "v1.28.15-r30",
    "v1.28.15-r90",
    "v1.29.13-r10",
    "v1.29.15-r50",
    "v1.30.14-r50",
    "v1.31.14-r10",
    "v1.32.9-r10",
    "v1.33.7-r10",
    "v1.34.3-r0",
  ])("knows %s, a version the reference names", (version) => {
    expect(resolveVersion(version)?.version).toBe(version);
  });

  it("keeps every release's patches in ascending order and points only forward", () => {
    for (const release of VERSION_CATALOGUE) {
      const parsed = release.patches.map((p) => parseVersion(p.version));
      for (let i = 1; i < parsed.length; i++) {
        expect(compareVersions(parsed[i] as never, parsed[i - 1] as never)).toBeGreaterThan(0);
      }
      for (const target of release.upgradeTo) {
        expect(VERSION_CATALOGUE.some((r) => r.release === target)).toBe(true);
        expect(compareVersions(parseVersion(target) as never, parseVersion(release.release) as never)).toBeGreaterThan(
          0,
        );
      }
    }
  });
});

describe("resolveVersion", () => {
  it("resolves a major-only version to the newest patch of that release", () => {
    expect(resolveVersion("v1.29")?.version).toBe("v1.29.15-r50");
    expect(resolveVersion("v1.23")?.platformVersion).toBe("cce.16.0");
  });

  it("resolves a version without a CCE revision to the newest revision of that patch", () => {
    expect(resolveVersion("v1.19.16")?.version).toBe("v1.19.16-r20");
    expect(resolveVersion("v1.19.10")?.version).toBe("v1.19.10-r0");
  });

  it.each(["", "1.28", "v1", "v1.28.15-r31", "v1.18", "v1.28-r3", "latest", "v1.28.15-r30 "])(
    "does not resolve %j",
    (text) => {
      expect(resolveVersion(text)).toBeUndefined();
    },
  );
});

describe("checkUpgradePath", () => {
  it("allows the documented example v1.19.16-r4 → v1.23.5-r0", () => {
    expect(checkUpgradePath("v1.19.16-r4", "v1.23.5-r0")).toMatchObject({
      ok: true,
      target: { version: "v1.23.5-r0" },
    });
  });

  it("allows a patch upgrade inside a release and the next releases", () => {
    expect(checkUpgradePath("v1.28.15-r30", "v1.28.15-r90").ok).toBe(true);
    expect(checkUpgradePath("v1.28.15-r30", "v1.29").ok).toBe(true);
    expect(checkUpgradePath("v1.28.15-r30", "v1.30.14-r50").ok).toBe(true);
  });

  it("refuses equal, lower, unknown and too-far targets with the reason", () => {
    expect(checkUpgradePath("v1.28.15-r30", "v1.28.15-r30")).toEqual({ ok: false, reason: "not_higher" });
    expect(checkUpgradePath("v1.28.15-r30", "v1.27")).toEqual({ ok: false, reason: "not_higher" });
    expect(checkUpgradePath("v1.28.15-r30", "v1.99")).toEqual({ ok: false, reason: "unknown_target" });
    expect(checkUpgradePath("v1.28.15-r30", "v1.31")).toEqual({ ok: false, reason: "no_path" });
    expect(checkUpgradePath("v0.1", "v1.29")).toEqual({ ok: false, reason: "unknown_current" });
  });

  it("lists exactly the targets that checkUpgradePath allows", () => {
    const targets = upgradeTargets("v1.28.15-r30");
    expect(targets).toContain("v1.28.15-r90");
    expect(targets).toContain("v1.29.13-r10");
    expect(targets).not.toContain("v1.28.15-r30");
    expect(targets.every((t) => checkUpgradePath("v1.28.15-r30", t).ok)).toBe(true);
    expect(upgradeTargets("v1.34.3-r0")).toEqual([]);
  });
});
