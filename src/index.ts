/** The package's entry point: the in-process emulator, and the seed's type for those who build one in code. */
export { type Emulator, type EmulatorOptions, startEmulator } from "./emulator.js";
export type { DemoCredentials } from "./service.js";
export type { SeedFile } from "./store/seed-file.js";
