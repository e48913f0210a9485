import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Fastify from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { consoleRoutes } from "../../src/api/routes/console.js";

describe("console route", () => {
  let build: string;
  beforeAll(async () => {
    build = await mkdtemp(join(tmpdir(), "console-build-"));
    await writeFile(join(build, "index.html"), "<!doctype html><title>console</title>");
  });
  afterAll(async () => rm(build, { recursive: true, force: true }));

  async function serverFor(directory: string) {
    const app = Fastify();
    await app.register(consoleRoutes(directory));
    return app;
  }

  it("serves the build under /console/ and redirects /console there", async () => {
    const app = await serverFor(build);
    const page = await app.inject({ url: "/console/" });
    expect(page.statusCode).toBe(200);
    expect(page.headers["content-type"]).toMatch(/text\/html/);
    expect(page.body).toContain("<title>console</title>");
    const bare = await app.inject({ url: "/console" });
    expect(bare.statusCode).toBe(302);
    expect(bare.headers.location).toBe("/console/");
    await app.close();
  });

  it("answers 503 with how to build it when the build is missing", async () => {
    const app = await serverFor(join(build, "missing"));
    for (const url of ["/console", "/console/", "/console/assets/index.js"]) {
      const response = await app.inject({ url });
      expect(response.statusCode).toBe(503);
      expect(response.body).toContain("vite build --config src/console/vite.config.ts");
    }
    await app.close();
  });
});
