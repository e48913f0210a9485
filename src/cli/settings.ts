/** Where the CLI's endpoint, project and credential come from: flags, then the environment, then a profile file. */
import { readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import type { AccessKeyCredential, CceUpgradeClientOptions, TokenCredential } from "../client/index.js";

const DEFAULT_ENDPOINT = "http://127.0.0.1:8080";

/** One source of settings; every field optional. A profile file has this shape. */
export interface SettingsLayer {
  endpoint?: string;
  projectId?: string;
  token?: string;
  ak?: string;
  sk?: string;
}

/** A mistake in the user's settings: reported without a stack trace. */
export class SettingsError extends Error {}

export function defaultProfilePath(): string {
  return join(homedir(), ".cce-upgrade", "profile.json");
}

export function environmentLayer(env: NodeJS.ProcessEnv): SettingsLayer {
  return {
    endpoint: env.CCE_ENDPOINT,
    projectId: env.CCE_PROJECT_ID,
    token: env.CCE_TOKEN,
    ak: env.CCE_AK,
    sk: env.CCE_SK,
  };
}

/** Reads a profile; the default one may be absent, a profile named with `--profile` must exist. */
export async function profileLayer(path: string | undefined): Promise<SettingsLayer> {
  const file = path ?? defaultProfilePath();
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if (path === undefined && (error as NodeJS.ErrnoException).code === "ENOENT") return {};
    throw new SettingsError(`cannot read profile ${file}: ${(error as Error).message}`);
  }
  try {
    return JSON.parse(text) as SettingsLayer;
  } catch (error) {
    throw new SettingsError(`profile ${file} is not valid JSON: ${(error as Error).message}`);
  }
}

/**
 * Merges layers, first wins. Endpoint and project are taken field by field; the credential comes whole from the first
 * layer that has one, so a token in the environment never pairs with a secret key from the profile.
 */
export function resolveSettings(layers: readonly SettingsLayer[]): CceUpgradeClientOptions {
  const endpoint = layers.find((layer) => layer.endpoint)?.endpoint ?? DEFAULT_ENDPOINT;
  const projectId = layers.find((layer) => layer.projectId)?.projectId;
  if (!projectId) throw new SettingsError("no project: set CCE_PROJECT_ID, --project or projectId in the profile");
  const credential = layers.map(credentialOf).find((found) => found !== undefined);
  if (!credential)
    throw new SettingsError("no credentials: set CCE_TOKEN, or CCE_AK and CCE_SK (or --token/--ak/--sk)");
  return { endpoint, projectId, ...credential };
}

function credentialOf(layer: SettingsLayer): TokenCredential | AccessKeyCredential | undefined {
  if (layer.token) return { token: layer.token };
  if (layer.ak && layer.sk) return { ak: layer.ak, sk: layer.sk };
  if (layer.ak || layer.sk) throw new SettingsError("an access key needs both AK and SK");
  return undefined;
}
