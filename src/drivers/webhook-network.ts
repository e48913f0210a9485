import type { LookupAddress } from "node:dns";
import { lookup } from "node:dns/promises";
import { isIP, type LookupFunction } from "node:net";
import ipaddr from "ipaddr.js";

/** Every address a host name resolves to, as `dns.lookup` with `all: true` gives them. */
export type HostResolver = (hostname: string) => Promise<readonly LookupAddress[]>;

/** What the operator decided for every webhook of this process, and how it resolves names. */
export interface HookNetwork {
  /** `HOOK_ALLOW_PRIVATE_NETWORKS`: every profile may reach private addresses, as if it said so itself. */
  readonly allowPrivateNetworks: boolean;
  /** The system's resolver unless a test plays DNS. */
  readonly resolve?: HostResolver;
}

export const systemResolver: HostResolver = (hostname) => lookup(hostname, { all: true });

/** A webhook's address is not one it may reach; the tenant sees it as any unreachable webhook. */
export class RefusedAddressError extends Error {
  readonly code = "EHOOKADDRESS";

  constructor(
    readonly address: string,
    readonly range: string,
  ) {
    super(`${address} is ${range}: webhooks may not reach it without allowPrivateNetwork`);
  }
}

/**
 * The ipaddr.js range that keeps webhooks away from an address (loopback, private, linkLocal, …), or undefined for a
 * public unicast one. An IPv4-mapped IPv6 address is judged as its IPv4.
 */
export function refusedRange(address: string): string | undefined {
  const range = ipaddr.process(address).range();
  return range === "unicast" ? undefined : range;
}

/** Throws a RefusedAddressError for an address a webhook may not reach. */
function checkAddress(address: string): void {
  const range = refusedRange(address);
  if (range !== undefined) throw new RefusedAddressError(address, range);
}

/** Checks a URL's host when it is an address: sockets resolve only names, so those never reach `checkedLookup`. */
export function checkLiteralHost(host: string, allowPrivate: boolean): void {
  if (!allowPrivate && isIP(host) !== 0) checkAddress(host);
}

/**
 * A socket `lookup` that resolves the name once, checks every address it got and hands the socket only those: the
 * connection goes where the check looked, whatever the name answers next (DNS rebinding).
 */
export function checkedLookup(resolve: HostResolver, allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname)
      .then((resolved) => {
        const addresses = resolved.filter((a) => !options.family || a.family === options.family);
        if (addresses.length === 0) {
          throw Object.assign(new Error(`${hostname} has no address`), { code: "ENOTFOUND" });
        }
        if (!allowPrivate) for (const { address } of addresses) checkAddress(address);
        return addresses as [LookupAddress, ...LookupAddress[]];
      })
      .then(
        (addresses) => {
          if (options.all) callback(null, addresses);
          else callback(null, addresses[0].address, addresses[0].family);
        },
        (error: NodeJS.ErrnoException) => callback(error, ""),
      );
  };
}
