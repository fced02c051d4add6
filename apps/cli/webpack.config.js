// The CLI ships as one file, like the agent: every dependency is bundled in.
module.exports = require('../../tools/webpack-node-app')(__dirname, { singleFile: true });
