import { describe, expect, it } from "vitest";
import {
  cidrsOverlap,
  clusterShapeProblem,
  derivedUuid,
  flavorNodeCapacity,
  networkProblem,
  nodePrivateIp,
  parseIpv4Cidr,
  poolNodeName,
  subJobPhase,
} from "../../src/domain/cluster-lifecycle.js";

const block = (text: string) => {
  const parsed = parseIpv4Cidr(text);
  if (!parsed) throw new Error(`${text} did not parse`);
  return parsed;
};

describe("cluster lifecycle rules", () => {
  it("parses IPv4 blocks and refuses host bits, bad octets and bad masks", () => {
    expect(parseIpv4Cidr("10.247.0.0/16")).toEqual({ base: (10 * 256 + 247) * 65536, bits: 16 });
    expect(parseIpv4Cidr("0.0.0.0/0")).toEqual({ base: 0, bits: 0 });
    for (const bad of [
      "10.247.0.1/16",
      "256.0.0.0/8",
      "10.0.0.0/33",
      "10.0.0/8",
      "10.0.0.0",
      "a.b.c.d/8",
      " 10.0.0.0/8",
    ]) {
      expect(parseIpv4Cidr(bad), bad).toBeUndefined();
    }
  });

  it("sees overlap at the edges and none between neighbours", () => {
    expect(cidrsOverlap(block("10.0.0.0/16"), block("10.0.255.0/24"))).toBe(true);
    expect(cidrsOverlap(block("10.0.255.0/24"), block("10.0.0.0/16"))).toBe(true);
    expect(cidrsOverlap(block("10.0.0.0/16"), block("10.1.0.0/16"))).toBe(false);
    expect(cidrsOverlap(block("10.1.0.0/16"), block("10.0.0.0/16"))).toBe(false);
  });

  it("names the network problem: bad blocks, masks out of range, overlap", () => {
    const problem = (containerCidrs: string[], serviceCidr: string) => networkProblem({ containerCidrs, serviceCidr });
    expect(problem(["172.16.0.0/16"], "10.247.0.0/16")).toBeUndefined();
    expect(problem(["172.16.0.0/12"], "10.247.0.0/24")).toBeUndefined();
    expect(problem(["172.16.0.0/19"], "10.240.0.0/12")).toBeUndefined();
    const invalid = (message: string) => ({ kind: "invalid", message });
    const serviceMask = invalid("kubernetesSvcIpRange must be a block from /12 to /24");
    const containerMask = invalid("containerNetwork cidr must be a block from /12 to /19");
    expect(problem(["172.16.0.0/16"], "10.247.0.0/25")).toEqual(serviceMask);
    expect(problem(["172.16.0.0/16"], "10.0.0.0/11")).toEqual(serviceMask);
    expect(problem(["172.16.0.0/20"], "10.247.0.0/16")).toEqual(containerMask);
    expect(problem(["10.0.0.0/11"], "172.16.0.0/16")).toEqual(containerMask);
    expect(problem(["nope"], "10.247.0.0/16")).toEqual(
      invalid('containerNetwork cidr "nope" is not an IPv4 CIDR block'),
    );
    expect(problem(["172.16.0.0/16"], "nope")).toEqual(
      invalid('kubernetesSvcIpRange "nope" is not an IPv4 CIDR block'),
    );
    expect(problem(["172.16.0.0/16", "10.247.0.0/16"], "10.247.0.0/16")).toEqual({
      kind: "cidrConflict",
      message: "containerNetwork cidr 10.247.0.0/16 overlaps kubernetesSvcIpRange 10.247.0.0/16",
    });
  });

  it("matches Turbo clusters with cce.t2 flavors and the eni network, and standard ones with neither", () => {
    const shape = { containerCidrs: ["172.16.0.0/16"], serviceCidr: "10.247.0.0/16" };
    expect(
      clusterShapeProblem({ ...shape, category: "CCE", flavor: "cce.s2.small", networkMode: "overlay_l2" }),
    ).toBeUndefined();
    expect(
      clusterShapeProblem({ ...shape, category: "Turbo", flavor: "cce.t2.small", networkMode: "eni" }),
    ).toBeUndefined();
    expect(
      clusterShapeProblem({ ...shape, category: "CCE", flavor: "cce.t2.small", networkMode: "overlay_l2" }),
    ).toEqual({
      kind: "invalid",
      message: "flavor cce.t2.small is not one of a CCE cluster",
    });
    expect(clusterShapeProblem({ ...shape, category: "Turbo", flavor: "cce.s2.small", networkMode: "eni" })?.kind).toBe(
      "invalid",
    );
    expect(clusterShapeProblem({ ...shape, category: "CCE", flavor: "cce.s2.small", networkMode: "eni" })).toEqual({
      kind: "invalid",
      message: "containerNetwork mode eni is not one of a CCE cluster",
    });
    expect(
      clusterShapeProblem({ ...shape, category: "Turbo", flavor: "cce.t2.small", networkMode: "vpc-router" })?.kind,
    ).toBe("invalid");
    expect(
      clusterShapeProblem({
        ...shape,
        serviceCidr: "172.16.0.0/16",
        category: "CCE",
        flavor: "cce.s1.small",
        networkMode: "overlay_l2",
      })?.kind,
    ).toBe("cidrConflict");
  });

  it("knows each flavor's node capacity and gives seeded flavors the most", () => {
    expect(flavorNodeCapacity("cce.s1.small")).toBe(50);
    expect(flavorNodeCapacity("cce.s2.xlarge")).toBe(2000);
    expect(flavorNodeCapacity("seeded.flavor")).toBe(2000);
  });

  it("derives stable IDs and addresses, and pool node names of CCE's shape", () => {
    expect(derivedUuid("a")).toBe(derivedUuid("a"));
    expect(derivedUuid("a")).not.toBe(derivedUuid("b"));
    expect(derivedUuid("a")).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(nodePrivateIp("n1")).toBe(nodePrivateIp("n1"));
    expect(nodePrivateIp("n1")).toMatch(/^192\.168\.(\d{1,3})\.(\d{1,3})$/);
    expect(poolNodeName("workers", new Uint8Array([0, 25, 26, 35, 36]))).toBe("workers-az09a");
    expect(nodePrivateIp("n1")).not.toBe(nodePrivateIp("n2"));
    const hosts = Array.from({ length: 2000 }, (_, i) => Number(nodePrivateIp(`node-${i}`).split(".")[3]));
    expect(Math.min(...hosts)).toBeGreaterThanOrEqual(1);
    expect(Math.max(...hosts)).toBeLessThanOrEqual(254);
  });

  it("runs sub-jobs one after the other as their job runs, and ends them with it", () => {
    expect([0, 1].map((index) => subJobPhase("Initializing", index))).toEqual(["Initializing", "Initializing"]);
    expect([0, 1].map((index) => subJobPhase("Running", index))).toEqual(["Running", "Initializing"]);
    expect([0, 1].map((index) => subJobPhase("Success", index))).toEqual(["Success", "Success"]);
    expect([0, 1].map((index) => subJobPhase("Failed", index))).toEqual(["Failed", "Failed"]);
  });
});
