import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../src/config.js";

describe("the engine's project share in the configuration", () => {
  it("defaults to half the slots per project", () => {
    expect(loadConfig({}).engine.projectShare).toBe(0.5);
  });

  it("takes a share above 0 and at most 1", () => {
    expect(loadConfig({ ENGINE_PROJECT_SHARE: "1" }).engine.projectShare).toBe(1);
  });

  it.each([
    ["ENGINE_PROJECT_SHARE", "0"],
    ["ENGINE_PROJECT_SHARE", "1.5"],
    ["ENGINE_PROJECT_SHARE", "half"],
  ])("refuses %s=%s naming the variable", (key, value) => {
    expect(() => loadConfig({ [key]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [key]: value })).toThrow(key);
  });
});
