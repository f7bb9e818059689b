// node build.mjs (after `npm ci` here): bundles entry.js with the pinned echarts into one minified ES module,
// pwa/js/team/echarts.js, with the licences of what it contains (ECharts and ZRender, Apache-2.0 and
// BSD-3-Clause; tslib, 0BSD) at its head.
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';

const pkg = (name) => JSON.parse(readFileSync(new URL(`node_modules/${name}/package.json`, import.meta.url)));
const text = (path) => readFileSync(new URL(`node_modules/${path}`, import.meta.url), 'utf8').trim();
const banner = [
  `Apache ECharts ${pkg('echarts').version} (https://echarts.apache.org), trimmed: pwa/tools/echarts/entry.js.`,
  text('echarts/NOTICE'),
  text('echarts/LICENSE'),
  `ZRender ${pkg('zrender').version}: ${text('zrender/LICENSE')}`,
  `tslib: ${text('tslib/LICENSE.txt')}`,
].join('\n\n').replaceAll('*/', '* /');

await build({
  entryPoints: [new URL('entry.js', import.meta.url).pathname],
  outfile: new URL('../../js/team/echarts.js', import.meta.url).pathname,
  bundle: true,
  format: 'esm',
  minify: true,
  target: 'es2020',
  legalComments: 'none',
  banner: { js: `/*!\n${banner}\n*/` },
  define: { 'process.env.NODE_ENV': '"production"', __DEV__: 'false' },
});
