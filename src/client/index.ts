/** `cce-upgrade/client`: a typed client of the cce-upgrade API, usable against any server or `startEmulator()`. */
export { CceUpgradeClient, type CceUpgradeClientOptions } from "./cce-upgrade-client.js";
export {
  CceUpgradeClientError,
  CceUpgradeConnectionError,
  JobWaitTimeoutError,
  TaskWaitTimeoutError,
} from "./client-errors.js";
export type { AccessKeyCredential, TokenCredential } from "./http-transport.js";
export type * from "./operation-types.js";
export type { WaitForJobOptions, WaitForTaskOptions, WaitOptions } from "./task-waiting.js";
