import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../src/config.js";

describe("the engine's share and the fault cap in the configuration", () => {
  it("defaults to half the slots per project and a 600-second stall cap", () => {
    const config = loadConfig({});
    expect(config.engine.projectShare).toBe(0.5);
    expect(config.faultMaxStallSeconds).toBe(600);
  });

  it("takes a share above 0 and at most 1, and a cap from 0 to a day", () => {
    const config = loadConfig({ ENGINE_PROJECT_SHARE: "1", FAULT_MAX_STALL_SECONDS: "0" });
    expect(config.engine.projectShare).toBe(1);
    expect(config.faultMaxStallSeconds).toBe(0);
  });

  it.each([
    ["ENGINE_PROJECT_SHARE", "0"],
    ["ENGINE_PROJECT_SHARE", "1.5"],
    ["ENGINE_PROJECT_SHARE", "half"],
    ["FAULT_MAX_STALL_SECONDS", "-1"],
    ["FAULT_MAX_STALL_SECONDS", "86401"],
    ["FAULT_MAX_STALL_SECONDS", "1.5"],
  ])("refuses %s=%s naming the variable", (key, value) => {
    expect(() => loadConfig({ [key]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [key]: value })).toThrow(key);
  });
});
