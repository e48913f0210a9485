import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

const consoleRoot = new URL(".", import.meta.url).pathname;

// Served by the API process under /console/ from dist/console (src/api/routes/console.ts).
export default defineConfig({
  root: consoleRoot,
  base: "/console/",
  plugins: [react()],
  logLevel: "warn",
  build: {
    outDir: new URL("../../dist/console", import.meta.url).pathname,
    emptyOutDir: true,
  },
});
