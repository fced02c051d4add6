// The agent ships as one file (DESIGN.md "Layout"): every dependency is bundled in.
module.exports = require('../../tools/webpack-node-app')(__dirname, { singleFile: true });
