// Bundle entry.js the way plotly.js bundles itself (its esbuild-config.js), minified,
// with every licence comment kept at the end of the file.
'use strict';
const path = require('path');
const esbuild = require('esbuild');
const { environmentPlugin } = require('esbuild-plugin-environment');
const { glsl } = require('esbuild-plugin-glsl');
const InlineCSSPlugin = require('esbuild-plugin-inline-css');

const out = path.join(__dirname, '..', '..', 'src', 'musicrec', 'api', 'static', 'vendor',
  'plotly-scattergl.min.js');

esbuild.build({
  entryPoints: [path.join(__dirname, 'entry.js')],
  outfile: out,
  format: 'iife',
  globalName: 'Plotly',
  bundle: true,
  minify: true,
  sourcemap: false,
  legalComments: 'eof',
  banner: { js: '/* plotly.js v4.1.1 (core + scattergl, strict), MIT licence, (c) Plotly, Inc.; built by web/plotly-bundle */' },
  plugins: [InlineCSSPlugin(), glsl({ minify: true }), environmentPlugin({ NODE_DEBUG: false })],
  alias: { regl: '@plotly/regl', stream: 'stream-browserify' },
  define: { global: 'window', 'define.amd': 'false' },
  target: 'es2016',
  logLevel: 'info',
}).catch(() => process.exit(1));
