// Writes docs/seed.schema.json, the published JSON Schema of the seed file, from the schema the service validates with.
import { writeFileSync } from "node:fs";
import { SeedFileSchema } from "../src/store/seed-file.js";

writeFileSync(new URL("../docs/seed.schema.json", import.meta.url), `${JSON.stringify(SeedFileSchema, null, 2)}\n`);
