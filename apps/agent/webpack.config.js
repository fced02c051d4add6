// The agent ships as one file (DESIGN.md "Layout"): every dependency is bundled in.
const config = require('../../tools/webpack-node-app')(__dirname, { singleFile: true, tsConfig: './tsconfig.bundle.json' });

/**
 * V8 keeps a script's source for the life of the process, as one byte a character only when
 * every character is Latin-1; a single other one (zod's locale messages carry many) makes all
 * 3.6 MB of the bundle two bytes a character. Escaping them (\uXXXX, the same value in strings,
 * regular expressions and comments) keeps ~3.5 MB off the resident agent. ReplaceSource keeps
 * the source map true.
 */
class AsciiOnlyBundle {
  apply(compiler) {
    const { Compilation, sources } = compiler.webpack;
    compiler.hooks.thisCompilation.tap('AsciiOnlyBundle', (compilation) => {
      compilation.hooks.processAssets.tap({ name: 'AsciiOnlyBundle', stage: Compilation.PROCESS_ASSETS_STAGE_OPTIMIZE_SIZE }, (assets) => {
        for (const name of Object.keys(assets)) {
          if (!name.endsWith('.js')) continue;
          const text = assets[name].source().toString();
          const escaped = new sources.ReplaceSource(assets[name]);
          let changed = false;
          for (let i = 0; i < text.length; i++) {
            const code = text.charCodeAt(i);
            if (code < 0x80) continue;
            escaped.replace(i, i, `\\u${code.toString(16).padStart(4, '0')}`);
            changed = true;
          }
          if (changed) compilation.updateAsset(name, escaped);
        }
      });
    });
  }
}

/**
 * zod's 50 locales (~490 kB of the bundle, all evaluated at start through `z.locales`) are
 * never used here: error messages are English, and zod's schemas take `en` from its own
 * module. `z.locales` becomes that one module, which nothing in qfleet reads.
 */
class EnglishZodOnly {
  apply(compiler) {
    new compiler.webpack.NormalModuleReplacementPlugin(/^\.\.\/locales\/index\.c?js$/, (resource) => {
      if (/[\\/]zod[\\/]v4[\\/]/.test(resource.context)) resource.request = resource.request.replace('index', 'en');
    }).apply(compiler);
  }
}

/**
 * V8 keeps the bundle's source for the life of the process and parses all of it at start, so
 * every byte of it is resident: minified, 3.5 MB becomes ~1.4 MB. Class and function names
 * stay (error names, pino's and commander's output); main.js.map beside it maps a stack trace
 * back to the TypeScript (docs/operations.md "Reading an agent stack trace"). Terser escapes
 * non-Latin-1 itself (`ascii_only`); AsciiOnlyBundle then finds nothing to do.
 */
const TerserPlugin = require('terser-webpack-plugin');
const minify = new TerserPlugin({
  extractComments: false,
  terserOptions: {
    ecma: 2020,
    compress: { passes: 1 },
    mangle: true,
    keep_classnames: true,
    keep_fnames: true,
    format: { ascii_only: true, comments: false },
  },
});

/**
 * @qfleet/protocol's index re-exports every module of it, the controller's REST and rollout
 * schemas too; without this webpack bundles and evaluates all of them at start (zod builds each
 * schema's internals then: ~1,000 schemas in the idle agent's heap). The libraries' modules
 * only declare schemas, types and pure functions (no statement runs at load for its effect),
 * so a module none of whose exports the agent uses is left out of the bundle. This needs ES
 * modules from TypeScript (tsconfig.bundle.json): webpack cannot see through CommonJS exports.
 */
config.module = config.module ?? {};
config.module.rules = [...(config.module.rules ?? []), { test: /[\\/]libs[\\/]protocol[\\/]src[\\/].*\.ts$/, sideEffects: false }];
config.optimization = { ...config.optimization, usedExports: true, providedExports: true, innerGraph: true };

config.plugins.push(new EnglishZodOnly(), minify, new AsciiOnlyBundle());
module.exports = config;
