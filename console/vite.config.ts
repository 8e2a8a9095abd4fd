// Builds the console into the Python package (orchestrator/api/console_assets/), which is committed:
// a wheel or `pip install` of the repository serves the console with no Node. `make console` runs
// this; tests/console/test_assets_fresh.py rebuilds into a temporary folder and compares.
import { defineConfig } from "vite";

export default defineConfig({
  base: "/console/",
  esbuild: { jsx: "automatic", jsxImportSource: "preact", legalComments: "none" },
  build: {
    outDir: process.env.WARREN_CONSOLE_OUT ?? "../orchestrator/api/console_assets",
    emptyOutDir: true,
    target: "es2022",
    modulePreload: { polyfill: false },
    sourcemap: false,
    reportCompressedSize: false,
  },
});
