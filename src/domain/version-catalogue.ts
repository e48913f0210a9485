/**
 * The CCE versions this service knows, as data: each release with its patches (oldest first), the CCE platform
 * version of each patch, and the releases it may be upgraded to. Every version named by the reference and the seed
 * page is here; a patch upgrade inside one release is always allowed.
 */
export interface CatalogueRelease {
  /** `vMAJOR.MINOR`, e.g. `v1.28`. */
  readonly release: string;
  readonly patches: readonly { readonly version: string; readonly platformVersion: string }[];
  /** Releases a cluster of this release may be upgraded to in one step. */
  readonly upgradeTo: readonly string[];
}

export const VERSION_CATALOGUE: readonly CatalogueRelease[] = [
  {
    release: "v1.19",
    patches: [
      { version: "v1.19.10-r0", platformVersion: "cce.3.0" },
      { version: "v1.19.16-r0", platformVersion: "cce.6.0" },
      { version: "v1.19.16-r4", platformVersion: "cce.7.0" },
      { version: "v1.19.16-r20", platformVersion: "cce.12.0" },
    ],
    upgradeTo: ["v1.21", "v1.23"],
  },
  {
    release: "v1.21",
    patches: [
      { version: "v1.21.7-r0", platformVersion: "cce.5.0" },
      { version: "v1.21.11-r40", platformVersion: "cce.15.0" },
    ],
    upgradeTo: ["v1.23", "v1.25"],
  },
  {
    release: "v1.23",
    patches: [
      { version: "v1.23.5-r0", platformVersion: "cce.3.0" },
      { version: "v1.23.17-r20", platformVersion: "cce.16.0" },
    ],
    upgradeTo: ["v1.25", "v1.27"],
  },
  {
    release: "v1.25",
    patches: [
      { version: "v1.25.5-r0", platformVersion: "cce.3.0" },
      { version: "v1.25.16-r20", platformVersion: "cce.15.0" },
    ],
    upgradeTo: ["v1.27", "v1.28"],
  },
  {
    release: "v1.27",
    patches: [
      { version: "v1.27.3-r0", platformVersion: "cce.3.0" },
      { version: "v1.27.16-r30", platformVersion: "cce.14.0" },
    ],
    upgradeTo: ["v1.28", "v1.29"],
  },
  {
    release: "v1.28",
    patches: [
      { version: "v1.28.3-r0", platformVersion: "cce.3.0" },
      { version: "v1.28.15-r30", platformVersion: "cce.10.0" },
      { version: "v1.28.15-r40", platformVersion: "cce.11.0" },
      { version: "v1.28.15-r90", platformVersion: "cce.16.0" },
    ],
    upgradeTo: ["v1.29", "v1.30"],
  },
  {
    release: "v1.29",
    patches: [
      { version: "v1.29.1-r0", platformVersion: "cce.1.0" },
      { version: "v1.29.13-r10", platformVersion: "cce.8.0" },
      { version: "v1.29.15-r50", platformVersion: "cce.12.0" },
    ],
    upgradeTo: ["v1.30", "v1.31"],
  },
  {
    release: "v1.30",
    patches: [
      { version: "v1.30.4-r0", platformVersion: "cce.1.0" },
      { version: "v1.30.14-r50", platformVersion: "cce.9.0" },
    ],
    upgradeTo: ["v1.31", "v1.32"],
  },
  {
    release: "v1.31",
    patches: [
      { version: "v1.31.6-r0", platformVersion: "cce.1.0" },
      { version: "v1.31.14-r10", platformVersion: "cce.6.0" },
    ],
    upgradeTo: ["v1.32", "v1.33"],
  },
  {
    release: "v1.32",
    patches: [
      { version: "v1.32.1-r0", platformVersion: "cce.1.0" },
      { version: "v1.32.9-r10", platformVersion: "cce.4.0" },
    ],
    upgradeTo: ["v1.33", "v1.34"],
  },
  {
    release: "v1.33",
    patches: [
      { version: "v1.33.1-r0", platformVersion: "cce.1.0" },
      { version: "v1.33.7-r10", platformVersion: "cce.3.0" },
    ],
    upgradeTo: ["v1.34"],
  },
  {
    release: "v1.34",
    patches: [{ version: "v1.34.3-r0", platformVersion: "cce.1.0" }],
    upgradeTo: [],
  },
];
