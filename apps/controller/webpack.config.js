// The schema and migrations travel with the build: the controller migrates at start.
module.exports = require('../../tools/webpack-node-app')(__dirname, { assets: [{ input: '../../prisma', glob: '**/*', output: 'prisma' }] });
