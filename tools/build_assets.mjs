// Bundles the process owners' modeler (bpmn-js Modeler, properties panel with the Camunda 7
// extension, bpmnlint in the browser, bpmn-js-differ, the form editor) from node_modules into
// app/web/static/build/: modeler.js (sets window.VhtModeler), modeler.css and the bpmn font.
// No CDN and nothing inline: the pages' CSP is script-src 'self'; style-src 'self'.
//
//   node tools/build_assets.mjs            (run by `make assets`)
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

import * as esbuild from 'esbuild';

const require = createRequire(import.meta.url);
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'app/web/static/build');
const started = performance.now();

// bpmn-js-bpmnlint wants a packed config ({resolver, config}) with every rule it runs bundled.
// bpmnlint's own compiler turns the repo's .bpmnlintrc (the one `make lint` uses) into that
// module's source; esbuild resolves its rule imports from node_modules like any other import.
const compileConfig = require('bpmnlint/lib/support/compile-config');
const lintrc = JSON.parse(readFileSync(join(root, '.bpmnlintrc'), 'utf8'));
const packedLintConfig = await compileConfig(lintrc);

const bpmnlintConfigPlugin = {
  name: 'vht-bpmnlint-config',
  setup(build) {
    build.onResolve({ filter: /^vht:bpmnlint-config$/ }, (args) => ({ path: args.path, namespace: 'vht-bpmnlint' }));
    build.onLoad({ filter: /.*/, namespace: 'vht-bpmnlint' }, () => ({
      contents: packedLintConfig,
      loader: 'js',
      resolveDir: root,
    }));
  },
};

// The properties panel builds its two containers from HTML strings with a style attribute, which
// the CSP (style-src 'self') refuses. The same rules are in frontend/components.css; the build
// takes the attributes out, and stops when an upgrade changes the strings (then look again).
const PANEL_INLINE_STYLES = [
  [' style="height: 100%" tabindex="-1" class="bio-properties-panel-container"', ' tabindex="-1" class="bio-properties-panel-container"'],
  [' style="flex: none; height: auto" class="bio-properties-panel bio-theme-parent bio-properties-panel-header-container"',
    ' class="bio-properties-panel bio-theme-parent bio-properties-panel-header-container"'],
];
const panelWithoutInlineStyles = {
  name: 'vht-panel-without-inline-styles',
  setup(build) {
    build.onLoad({ filter: /bpmn-js-properties-panel[\\/]dist[\\/]index\.esm\.js$/ }, (args) => {
      let contents = readFileSync(args.path, 'utf8');
      for (const [from, to] of PANEL_INLINE_STYLES) {
        if (!contents.includes(from)) throw new Error(`bpmn-js-properties-panel: ${from} not found; check its inline styles against the CSP`);
        contents = contents.split(from).join(to);
      }
      return { contents, loader: 'js' };
    });
  },
};

rmSync(outdir, { recursive: true, force: true });
mkdirSync(outdir, { recursive: true });

const common = {
  absWorkingDir: root,
  bundle: true,
  minify: process.env.VHT_ASSETS_DEBUG ? false : true,
  sourcemap: false,
  legalComments: 'linked', // the licences (bpmn.io's included) in modeler.js.LEGAL.txt beside it
  target: ['es2020'],
  logLevel: 'warning',
};

await esbuild.build({
  ...common,
  // versions.js: the compare page of two versions (a viewer and the differ, no modeler).
  // playback.js: the player on the case page (a viewer).
  entryPoints: { modeler: 'app/web/frontend/index.js', versions: 'app/web/frontend/versions_page.js',
    playback: 'app/web/frontend/playback.js' },
  outdir,
  format: 'iife',
  platform: 'browser',
  define: { 'process.env.NODE_ENV': '"production"' },
  jsx: 'automatic',
  jsxImportSource: 'preact',
  alias: { react: 'preact/compat', 'react-dom': 'preact/compat' },
  plugins: [bpmnlintConfigPlugin, panelWithoutInlineStyles],
});

// The css imports the css of bpmn-js, diagram-js, the properties panel and bpmnlint; the bpmn
// font is copied beside it (a data: URL would need font-src data: in the CSP).
await esbuild.build({
  ...common,
  entryPoints: { modeler: 'app/web/frontend/modeler.css' },
  outdir,
  loader: { '.eot': 'file', '.svg': 'file', '.ttf': 'file', '.woff': 'file', '.woff2': 'file' },
  assetNames: 'font/[name]-[hash]',
});

const seconds = ((performance.now() - started) / 1000).toFixed(2);
const sizes = ['modeler.js', 'modeler.css'].map((name) => {
  const data = readFileSync(join(outdir, name));
  return `${name} ${(statSync(join(outdir, name)).size / 1024).toFixed(0)} KB (gzip ${(gzipSync(data).length / 1024).toFixed(0)} KB)`;
});
writeFileSync(join(outdir, '.built'), `${new Date().toISOString()}\n`);
console.log(`assets: ${sizes.join(', ')} in ${seconds} s`);
