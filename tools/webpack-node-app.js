const { NxAppWebpackPlugin } = require('@nx/webpack/app-plugin');
const { basename, join } = require('path');

/**
 * The webpack build of a Node app in apps/NAME, into dist/apps/NAME (agent, CLI, controller).
 * `singleFile`: every dependency bundled in, so the app ships as one file (DESIGN.md "Layout");
 * ws (socket.io-client) probes for two optional native speed-ups, left out: without them it
 * uses plain JavaScript. `assets` travel with the build. `workers`: entry name → source path
 * (from the workspace root), each built to NAME.js beside main.js for `new Worker()`.
 * `tsConfig`: the TypeScript settings of the build (default ./tsconfig.app.json).
 */
module.exports = function nodeApp(appDir, { singleFile = false, assets, workers, tsConfig = './tsconfig.app.json' } = {}) {
  return {
    output: {
      path: join(appDir, '../../dist/apps', basename(appDir)),
      clean: true,
      ...(process.env.NODE_ENV !== 'production' && {
        devtoolModuleFilenameTemplate: '[absolute-resource-path]',
      }),
    },
    ...(singleFile && { externals: { bufferutil: 'commonjs bufferutil', 'utf-8-validate': 'commonjs utf-8-validate' } }),
    plugins: [
      new NxAppWebpackPlugin({
        target: 'node',
        compiler: 'tsc',
        main: './src/main.ts',
        tsConfig,
        ...(singleFile && { externalDependencies: 'none' }),
        ...(assets && { assets }),
        ...(workers && { additionalEntryPoints: Object.entries(workers).map(([entryName, entryPath]) => ({ entryName, entryPath })) }),
        optimization: false,
        outputHashing: 'none',
        generatePackageJson: false,
        sourceMap: true,
      }),
    ],
  };
};
